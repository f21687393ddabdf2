//! Kill -9 cycles: the real `fangxin serve` takes merchant registrations from two writers and
//! is killed with SIGKILL at a random moment, again and again. After every restart each
//! registration that was acknowledged (201) is in the database (its profile answers) and in
//! search, and at the end `fangxin index check` finds the index and the database in step.
//!
//! On SQLite always, on PostgreSQL when `FANGXIN_TEST_DATABASE_URL` is set (a fresh database
//! of its own). `FANGXIN_KILL_CYCLES` sets the cycles per backend (3 by default; CI runs 10).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fangxin_scoring::Uscc;

const BIN: &str = env!("CARGO_BIN_EXE_fangxin");
const PASSWORD: &str = "kill nine cycles password";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// A small, seeded pseudo-random sequence: kill moments differ from run to run, and the
/// seed is printed so a failing run can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// One HTTP/1.1 request on a fresh connection; `None` when the server is not there.
fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

struct Backend {
    name: &'static str,
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Backend {
    fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env("FANGXIN_DATA_DIR", self.data_dir.path())
            .env("FANGXIN__LIMITS__PUBLIC_PER_MINUTE", "0")
            .env("FANGXIN__LIMITS__LOGIN_PER_MINUTE", "0")
            .env("FANGXIN__DEMO__MERCHANTS", "50")
            .env("FANGXIN__INDEX__POLL_INTERVAL_MS", "50")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = &self.database_url {
            c.env("FANGXIN__DATABASE__URL", url);
        }
        c
    }

    fn serve(&self) -> (Child, u16) {
        let port = free_port();
        let child = self
            .command()
            .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
            .spawn()
            .expect("fangxin serve starts");
        let started = Instant::now();
        while request(port, "GET", "/readyz", None, None).map(|r| r.0) != Some(200) {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{}: the server did not become ready after a restart",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (child, port)
    }
}

fn postgres_database() -> Option<String> {
    let server = std::env::var("FANGXIN_TEST_DATABASE_URL").ok()?;
    let server = server.trim().trim_end_matches('/').to_owned();
    let name = format!(
        "fx_kill_{}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    let created = Command::new("psql")
        .arg(&server)
        .args(["-qAtc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs where FANGXIN_TEST_DATABASE_URL is set");
    assert!(created.success(), "CREATE DATABASE {name}");
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

fn login(port: u16) -> String {
    let (status, body) = request(
        port,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&format!(
            "{{\"username\":\"k9\",\"password\":\"{PASSWORD}\"}}"
        )),
    )
    .expect("login answers");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    v["token"].as_str().expect("a token").to_owned()
}

/// Every acknowledged merchant answers on its profile and is found in search (the index
/// follows the feed after a restart: allow it a few seconds).
fn check_acknowledged(backend: &Backend, port: u16, acked: &[String]) {
    for uscc in acked {
        let (status, body) = request(
            port,
            "GET",
            &format!("/api/v1/merchants/{uscc}"),
            None,
            None,
        )
        .expect("the profile answers");
        assert_eq!(
            status, 200,
            "{}: acknowledged merchant {uscc} is gone after kill -9: {body}",
            backend.name
        );
        let started = Instant::now();
        loop {
            let (_, body) = request(
                port,
                "GET",
                &format!("/api/v1/merchants/search?q={uscc}"),
                None,
                None,
            )
            .expect("search answers");
            if body.contains(uscc.as_str()) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{}: acknowledged merchant {uscc} is not in search after kill -9",
                backend.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn cycles(backend: Backend, cycles: u32, rng: &mut Lcg) {
    let mut create = backend.command();
    create
        .args([
            "accounts",
            "create",
            "--role",
            "regulator",
            "--username",
            "k9",
        ])
        .stdin(Stdio::piped());
    let mut child = create.spawn().expect("accounts create runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password sent");
    assert!(child.wait().expect("accounts create ends").success());

    let mut acked: Vec<String> = Vec::new();
    let mut writes = 0usize;
    for cycle in 0..cycles {
        let (mut server, port) = backend.serve();
        check_acknowledged(&backend, port, &acked);
        let token = login(port);
        let stop = Arc::new(AtomicBool::new(false));
        let new_acks = Arc::new(Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..2u32)
            .map(|writer| {
                let (stop, new_acks, token) = (stop.clone(), new_acks.clone(), token.clone());
                std::thread::spawn(move || {
                    for n in 0..10_000u32 {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let code = format!("K{cycle:02}{writer}{n:04}");
                        let uscc = Uscc::from_parts('9', '2', "530102", &code)
                            .expect("a valid code")
                            .to_string();
                        let body = serde_json::json!({
                            "uscc": uscc, "name": format!("断电测试店{code}"),
                            "kind": "individual", "industry": "餐饮",
                            "street": "华山", "address": "华山南路1号"
                        })
                        .to_string();
                        match request(
                            port,
                            "POST",
                            "/api/v1/admin/merchants",
                            Some(&token),
                            Some(&body),
                        ) {
                            Some((201, _)) => new_acks.lock().expect("acks").push(uscc),
                            Some(_) | None => return,
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200 + rng.next(1_300)));
        server.kill().expect("SIGKILL");
        server.wait().expect("the server is gone");
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().expect("writer");
        }
        let new_acks = new_acks.lock().expect("acks").clone();
        writes += new_acks.len();
        acked.extend(new_acks);
        eprintln!(
            "{}: cycle {cycle}: {} acknowledged so far",
            backend.name,
            acked.len()
        );
    }
    // A last start: everything acknowledged is there; then a clean stop and the index check.
    let (mut server, port) = backend.serve();
    check_acknowledged(&backend, port, &acked);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let stopped = Instant::now();
    while server.try_wait().ok().flatten().is_none() {
        assert!(
            stopped.elapsed() < Duration::from_secs(60),
            "SIGTERM stops the server"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let check = backend
        .command()
        .args(["index", "check"])
        .stderr(Stdio::inherit())
        .status()
        .expect("fangxin index check runs");
    assert!(
        check.success(),
        "{}: fangxin index check found differences",
        backend.name
    );
    assert!(
        writes > 0,
        "{}: no write was acknowledged at all",
        backend.name
    );
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let n: u32 = std::env::var("FANGXIN_KILL_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed = std::env::var("FANGXIN_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos() as u64
        });
    eprintln!("kill -9 cycles: {n} per backend, FANGXIN_KILL_SEED={seed}");
    let mut rng = Lcg(seed);
    cycles(
        Backend {
            name: "sqlite",
            data_dir: tempfile::tempdir().expect("temp dir"),
            database_url: None,
        },
        n,
        &mut rng,
    );
    if let Some(url) = postgres_database() {
        cycles(
            Backend {
                name: "postgres",
                data_dir: tempfile::tempdir().expect("temp dir"),
                database_url: Some(url.clone()),
            },
            n,
            &mut rng,
        );
        if let (Ok(server), Some((_, name))) = (
            std::env::var("FANGXIN_TEST_DATABASE_URL"),
            url.rsplit_once('/'),
        ) {
            let _ = Command::new("psql")
                .arg(server.trim())
                .args([
                    "-qAtc",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .status();
        }
    }
}
