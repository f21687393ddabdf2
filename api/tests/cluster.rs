//! Beyond one machine, with the real things: a PostgreSQL primary and a streaming hot
//! standby (`pg_basebackup -R`), two `fangxin serve` processes writing to the primary and
//! reading from the standby, sharing Redis and a CSRF key, and Debian's HAProxy in front.
//!
//! - a write through one replica is on the other's page and in its search within 2 s;
//! - a replica killed with SIGKILL is routed around: no public request fails;
//! - a replica started fresh, with an empty data directory, builds its index and joins;
//! - a portal login started on one replica finishes on the other (CSRF, sessions);
//! - a rolling restart (SIGTERM, drain, start) of both under read load loses no request;
//! - `fangxin index check` passes on both afterwards.
//!
//! Runs where PostgreSQL and Redis run (`FANGXIN_TEST_DATABASE_URL` and
//! `FANGXIN_TEST_REDIS_URL`, as CI sets them); then PostgreSQL's server binaries and
//! `haproxy` must be installed (`.ci/run` installs HAProxy).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "../../tests/support/pg_cluster.rs"]
mod pg_cluster;

use pg_cluster::Cluster;

const BIN: &str = env!("CARGO_BIN_EXE_fangxin");
const PASSWORD: &str = "cluster test password";
const CSRF_KEY: &str = "one key every replica behind the balancer shares";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("bound")
        .port()
}

/// One HTTP/1.1 exchange on a fresh connection: status, headers, body; `None` when nothing
/// answers.
fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((status, head.to_owned(), body.to_owned()))
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    exchange(port, "GET", path, "", "").map(|(s, _, b)| (s, b))
}

fn wait_until(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "{what} (waited {limit:?})");
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

struct Env {
    primary: String,
    standby: String,
    redis: String,
}

/// One `fangxin serve` process with its own data directory (its index).
struct Replica {
    data_dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl Replica {
    fn command(env: &Env, data_dir: &std::path::Path) -> Command {
        let mut c = Command::new(BIN);
        c.env("FANGXIN_DATA_DIR", data_dir)
            .env("FANGXIN__DATABASE__URL", &env.primary)
            .env("FANGXIN__DATABASE__READ_URL", &env.standby)
            .env("FANGXIN__REDIS__URL", &env.redis)
            .env("FANGXIN__SERVER__CSRF_KEY", CSRF_KEY)
            .env("FANGXIN__LIMITS__PUBLIC_PER_MINUTE", "0")
            .env("FANGXIN__LIMITS__LOGIN_PER_MINUTE", "0")
            .env("FANGXIN__DEMO__MERCHANTS", "200")
            .env("FANGXIN__INDEX__POLL_INTERVAL_MS", "50")
            // Unready for longer than the balancer takes to notice (200 ms × 1 check).
            .env("FANGXIN__SERVER__DRAIN_MS", "800")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    fn new(port: u16) -> Replica {
        Replica {
            data_dir: tempfile::tempdir().expect("a data directory"),
            port,
            child: None,
        }
    }

    /// Starts (or starts again) and waits until it is ready.
    fn start(&mut self, env: &Env) {
        let child = Replica::command(env, self.data_dir.path())
            .args([
                "serve",
                "--demo",
                "--bind",
                &format!("127.0.0.1:{}", self.port),
            ])
            .spawn()
            .expect("fangxin serve starts");
        self.child = Some(child);
        let port = self.port;
        wait_until(Duration::from_secs(120), "the replica became ready", || {
            get(port, "/readyz").is_some_and(|(s, _)| s == 200)
        });
    }

    fn signal(&mut self, signal: &str) {
        if let Some(child) = &self.child {
            let sent = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(sent.success());
        }
    }

    /// SIGTERM, then the exit it leads to (in-flight requests finish first).
    fn stop(&mut self) {
        self.signal("-TERM");
        if let Some(mut child) = self.child.take() {
            let status = child.wait().expect("the replica exits");
            assert!(status.success(), "a clean exit after SIGTERM: {status}");
        }
    }

    fn kill(&mut self) {
        self.signal("-KILL");
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    fn index_check(&self, env: &Env) {
        let out = Replica::command(env, self.data_dir.path())
            .args(["index", "check"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("fangxin index check runs");
        assert!(
            out.status.success(),
            "index check on :{}: {}{}",
            self.port,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// HAProxy in front of the replicas: health checks on `/readyz` every 200 ms, and reads
/// that meet a dead or closing replica retried on the other.
struct Balancer {
    child: Child,
    port: u16,
    stats: u16,
    _dir: tempfile::TempDir,
}

impl Balancer {
    fn start(replicas: &[u16]) -> Balancer {
        let dir = tempfile::tempdir().unwrap();
        let (port, stats) = (free_port(), free_port());
        let servers: String = replicas
            .iter()
            .enumerate()
            .map(|(i, p)| format!("  server r{i} 127.0.0.1:{p} check\n"))
            .collect();
        let config = format!(
            "global\n  maxconn 512\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 15s\n  timeout server 15s\n\
             \x20 retries 3\n  option redispatch 1\n  retry-on all-retryable-errors\n\
             listen stats\n  bind 127.0.0.1:{stats}\n  stats enable\n  stats uri /stats\n\
             frontend fangxin\n  bind 127.0.0.1:{port}\n  default_backend replicas\n\
             backend replicas\n  balance roundrobin\n  option httpchk GET /readyz\n\
             \x20 http-check expect status 200\n  default-server inter 200ms fall 1 rise 2\n{servers}"
        );
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts (Debian's haproxy package)");
        wait_until(Duration::from_secs(10), "HAProxy serves", || {
            get(port, "/readyz").is_some_and(|(s, _)| s == 200)
        });
        Balancer {
            child,
            port,
            stats,
            _dir: dir,
        }
    }

    /// How often the balancer had to retry or send a request elsewhere, and how many
    /// responses and connections to the replicas failed: HAProxy's own counters.
    fn trouble(&self) -> (u64, u64, u64, u64) {
        // HTTP/1.0: the answer comes whole, not in chunks.
        let mut stream = TcpStream::connect(("127.0.0.1", self.stats)).unwrap();
        stream
            .write_all(b"GET /stats;csv HTTP/1.0\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let csv = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let mut lines = csv.lines().skip_while(|l| !l.starts_with("# pxname"));
        let header: Vec<&str> = lines
            .next()
            .unwrap()
            .trim_start_matches("# ")
            .split(',')
            .collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let row: Vec<&str> = lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|r| r[0] == "replicas" && r[1] == "BACKEND")
            .expect("the backend's row");
        let n = |name: &str| row[col(name)].parse::<u64>().unwrap_or(0);
        (n("wretr"), n("wredis"), n("eresp"), n("econ"))
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads through the balancer on two threads until stopped: how many were made and which
/// failed.
struct ReadLoad {
    stop: Arc<AtomicBool>,
    made: Arc<AtomicUsize>,
    failed: Arc<std::sync::Mutex<Vec<String>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl ReadLoad {
    fn start(port: u16, uscc: &str) -> ReadLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let paths = [
            format!("/m/{uscc}"),
            "/api/v1/merchants/search?q=%E7%B1%B3%E7%BA%BF".to_owned(),
            format!("/api/v1/merchants/{uscc}"),
            "/penalties".to_owned(),
        ];
        let threads = (0..2)
            .map(|t| {
                let (stop, made, failed, paths) =
                    (stop.clone(), made.clone(), failed.clone(), paths.clone());
                std::thread::spawn(move || {
                    let mut n = t;
                    while !stop.load(Ordering::Relaxed) {
                        let path = &paths[n % paths.len()];
                        n += 1;
                        made.fetch_add(1, Ordering::Relaxed);
                        match get(port, path) {
                            Some((200, _)) => {}
                            Some((status, _)) => {
                                failed.lock().unwrap().push(format!("{status} {path}"))
                            }
                            None => failed.lock().unwrap().push(format!("no answer {path}")),
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                })
            })
            .collect();
        ReadLoad {
            stop,
            made,
            failed,
            threads,
        }
    }

    /// Stops the load; returns (requests made, failures).
    fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        let failed = self.failed.lock().unwrap().clone();
        (self.made.load(Ordering::Relaxed), failed)
    }
}

fn cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .filter_map(|l| l.split_once(':').map(|(_, v)| v.trim()))
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

fn form_token(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form token");
    let rest = &page[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[test]
fn replicas_behind_a_balancer_on_a_streaming_standby() {
    let (Some(_), Some(redis)) = (
        std::env::var("FANGXIN_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty()),
        std::env::var("FANGXIN_TEST_REDIS_URL")
            .ok()
            .filter(|u| !u.trim().is_empty()),
    ) else {
        eprintln!("skipped: FANGXIN_TEST_DATABASE_URL and FANGXIN_TEST_REDIS_URL are not both set");
        return;
    };
    let cluster = Cluster::start();
    let env = Env {
        primary: Cluster::url(cluster.primary),
        standby: Cluster::url(cluster.standby),
        redis,
    };
    // The first makes the demo district on the primary; the second joins it.
    let mut a = Replica::new(free_port());
    a.start(&env);
    let mut b = Replica::new(free_port());
    b.start(&env);
    let mut create = Replica::command(&env, a.data_dir.path());
    create
        .args([
            "accounts",
            "create",
            "--role",
            "regulator",
            "--username",
            "lb.clerk",
        ])
        .stdin(Stdio::piped());
    let mut child = create.spawn().expect("accounts create runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let lb = Balancer::start(&[a.port, b.port]);

    // A write through one replica is on the other's page and in its search within 2 s.
    let (status, body) = get(lb.port, "/api/v1/merchants/search?q=&per_page=1").unwrap();
    assert_eq!(status, 200, "{body}");
    let hits: serde_json::Value = serde_json::from_str(&body).unwrap();
    let uscc = hits["hits"][0]["uscc"].as_str().unwrap().to_owned();
    let (status, _, body) = exchange(
        a.port,
        "POST",
        "/api/v1/auth/login",
        "Content-Type: application/json\r\n",
        &format!("{{\"username\":\"lb.clerk\",\"password\":\"{PASSWORD}\"}}"),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let warning = "负载均衡测试警示";
    let (status, _, body) = exchange(
        a.port,
        "POST",
        "/api/v1/admin/warnings",
        &format!("Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"),
        &format!(
            "{{\"title\":\"{warning}\",\"body\":\"请保存好票据。\",\"category\":\"消费警示\"}}"
        ),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let took = wait_until(
        Duration::from_secs(2),
        "the other replica shows the write",
        || get(b.port, "/warnings").is_some_and(|(_, page)| page.contains(warning)),
    );
    eprintln!("a write through one replica was on the other's page after {took:?}");

    // A portal login begun on one replica (its form and CSRF token) ends on the other, and
    // the session holds on both.
    let (_, head, page) = exchange(a.port, "GET", "/login", "", "").unwrap();
    let nonce = cookie(&head, "fangxin_csrf").expect("a CSRF cookie");
    let form = format!(
        "csrf={}&username=lb.clerk&password={}&next=%2Fadmin",
        form_token(&page),
        PASSWORD.replace(' ', "+")
    );
    let (status, head, _) = exchange(
        b.port,
        "POST",
        "/login",
        &format!("Cookie: {nonce}\r\nContent-Type: application/x-www-form-urlencoded\r\n"),
        &form,
    )
    .unwrap();
    assert_eq!(
        status, 303,
        "the other replica accepts the first's form token"
    );
    let session = cookie(&head, "fangxin_session").expect("a session cookie");
    for port in [a.port, b.port] {
        let (status, _, _) = exchange(
            port,
            "GET",
            "/admin",
            &format!("Cookie: {session}; {nonce}\r\n"),
            "",
        )
        .unwrap();
        assert_eq!(status, 200, "the session holds on :{port}");
    }

    // SIGKILL one replica under read load: the balancer routes around it, no read fails.
    let load = ReadLoad::start(lb.port, &uscc);
    std::thread::sleep(Duration::from_millis(500));
    a.kill();
    std::thread::sleep(Duration::from_secs(2));
    let (made, failed) = load.finish();
    assert!(made > 50, "the load ran: {made}");
    assert!(
        failed.is_empty(),
        "{} of {made} reads failed after SIGKILL: {failed:?}",
        failed.len()
    );

    // A replica started fresh, with an empty data directory, builds its index and joins.
    let port = a.port;
    drop(a);
    let mut a = Replica::new(port);
    a.start(&env);
    let (_, body) = get(a.port, "/api/v1/merchants/search?q=&per_page=1").unwrap();
    let found: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        found["total"], hits["total"],
        "the fresh replica's index is complete"
    );
    assert!(get(a.port, "/warnings").is_some_and(|(_, p)| p.contains(warning)));
    std::thread::sleep(Duration::from_millis(600));

    // A rolling restart of both under read load: each drains on SIGTERM (unready first,
    // still serving, then finishing what it holds) and comes back. No read fails, and the
    // balancer never had to retry one: no request met a replica that was going away.
    let before = lb.trouble();
    eprintln!(
        "after the SIGKILL: retries, redispatches, failed responses, failed connections: {before:?}"
    );
    let load = ReadLoad::start(lb.port, &uscc);
    for replica in [&mut a, &mut b] {
        std::thread::sleep(Duration::from_millis(300));
        replica.stop();
        replica.start(&env);
        // The balancer sees it up again (two checks 200 ms apart).
        std::thread::sleep(Duration::from_millis(600));
    }
    let (made, failed) = load.finish();
    assert!(made > 50, "the load ran: {made}");
    assert!(
        failed.is_empty(),
        "{} of {made} reads failed in a rolling restart: {failed:?}",
        failed.len()
    );
    assert_eq!(
        lb.trouble(),
        before,
        "retries, redispatches, failed responses, failed connections: none in the restart"
    );
    a.index_check(&env);
    b.index_check(&env);
    drop(lb);
    drop(a);
    drop(b);
    drop(cluster);
}
