//! A PostgreSQL primary and a streaming hot standby for tests, made with `initdb` and
//! `pg_basebackup -R` on free ports in a temporary directory, both stopped when dropped.
//! Shared by the end-to-end tests and the real-binary cluster test (`#[path]`-included).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A primary and its standby, stopped when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub primary: u16,
    pub standby: u16,
}

/// The newest installed PostgreSQL's server binaries.
fn server_binaries() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_basebackup").exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL with pg_basebackup")
}

/// A free port on loopback (the clusters bind it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// Runs a server binary as `postgres` when this process is root (PostgreSQL refuses
    /// to run as root), else as this user.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0"))
            .unwrap_or(false);
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = cmd.args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Makes and starts both: the primary with `initdb`, the standby with
    /// `pg_basebackup -R` streaming from it.
    pub fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("fangxin-replication-")
            .tempdir()
            .unwrap();
        // The postgres user works in it.
        let _ = Command::new("chmod").arg("0777").arg(dir.path()).status();
        let cluster = Cluster {
            dir,
            bin: server_binaries(),
            primary: free_port(),
            standby: free_port(),
        };
        let primary = cluster.path("primary");
        cluster.run(
            "initdb",
            &["-D", &primary, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        let settings = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n\
             synchronous_commit = off\nmax_connections = 60\n",
            cluster.primary,
            cluster.dir.path().display()
        );
        append(&Path::new(&primary).join("postgresql.conf"), &settings);
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &primary,
                "-l",
                &cluster.path("primary.log"),
                "-w",
                "start",
            ],
        );
        let standby = cluster.path("standby");
        cluster.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.primary.to_string(),
                "-U",
                "postgres",
                "-D",
                &standby,
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        append(
            &Path::new(&standby).join("postgresql.conf"),
            &format!("\nport = {}\n", cluster.standby),
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                &standby,
                "-l",
                &cluster.path("standby.log"),
                "-w",
                "start",
            ],
        );
        cluster
    }

    /// The URL of the server on `port`.
    pub fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in ["standby", "primary"] {
            let data = self.path(node);
            let path = self.bin.join("pg_ctl");
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&path)
                .args(["-D", &data, "-m", "immediate", "stop"])
                .output()
                .or_else(|_| {
                    Command::new(&path)
                        .args(["-D", &data, "-m", "immediate", "stop"])
                        .output()
                });
        }
    }
}

fn append(file: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}
