//! A private PostgreSQL cluster in a temporary directory, on a free port of 127.0.0.1, made with the installed
//! server's `initdb` and run with its `pg_ctl`, so a test can stop, kill and start it without touching the
//! machine's own server. Run as the `postgres` user when the tests run as root (the server refuses root).
//! Dropping it stops it (immediately) and deletes the directory.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How `pg_ctl stop` stops the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// `-m fast`: sessions are ended, a checkpoint is written.
    Fast,
    /// `-m immediate`: every process quits at once, as in a crash; the next start recovers from the WAL.
    Immediate,
}

impl StopMode {
    fn flag(self) -> &'static str {
        match self {
            StopMode::Fast => "fast",
            StopMode::Immediate => "immediate",
        }
    }
}

/// A running (or stopped) private cluster.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// The uid and gid commands run as (the `postgres` user's when the tests run as root).
    owner: Option<(u32, u32)>,
}

impl Cluster {
    /// Makes a cluster with trust authentication for the `postgres` user, starts it, and creates the database
    /// `payments`.
    ///
    /// # Panics
    /// When `initdb` is not installed, the `postgres` user is missing while running as root, or the server does
    /// not start: with a message saying which.
    pub async fn start() -> Cluster {
        let bin = server_bin();
        let owner = owner();
        let dir = std::env::temp_dir().join(format!("payments-faults-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        let cluster = Cluster { dir, bin, port: free_port(), owner };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid))
                .unwrap_or_else(|error| panic!("cannot give {} to postgres: {error}", cluster.dir.display()));
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", path(&data), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            &["--no-locale", "--no-sync", "--no-instructions"],
        );
        cluster.start_again();
        let admin = cluster.url("postgres");
        let mut connection = connect(&admin).await;
        sqlx::Executor::execute(&mut connection, "CREATE DATABASE payments")
            .await
            .unwrap_or_else(|error| panic!("cannot create the database payments: {error}"));
        cluster
    }

    /// `postgres://postgres@127.0.0.1:{port}/{database}`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `pg_ctl start`, waiting until it accepts connections (at most 60 s).
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c max_connections=60",
            self.port,
            path(&self.dir)
        );
        let log = self.dir.join("server.log");
        self.run(
            "pg_ctl",
            &["start", "-w", "-t", "60", "-D", path(&self.data()), "-l", path(&log)],
            &["-o", &options],
        );
    }

    /// `pg_ctl stop -m fast|immediate`, waiting until it is down (at most 60 s).
    pub fn stop(&self, mode: StopMode) {
        self.run("pg_ctl", &["stop", "-w", "-t", "60", "-D", path(&self.data()), "-m", mode.flag()], &[]);
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the server's programs as the cluster's owner (on a worker of a multi-threaded runtime:
    /// the runtime's other tasks go on meanwhile), panicking with its output (and the server's log) if it fails.
    fn run(&self, program: &str, args: &[&str], more: &[&str]) {
        tokio::task::block_in_place(|| self.run_blocking(program, args, more));
    }

    fn run_blocking(&self, program: &str, args: &[&str], more: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .args(more)
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", self.bin.join(program).display()));
        if !output.status.success() {
            panic!(
                "{program} {} failed ({}):\n{}{}\nserver log:\n{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
            );
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command.current_dir(&self.dir).env_clear().env("PATH", "/usr/bin:/bin").env("LC_ALL", "C");
        if let Some((uid, gid)) = self.owner {
            std::os::unix::process::CommandExt::uid(&mut command, uid);
            std::os::unix::process::CommandExt::gid(&mut command, gid);
        }
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self
                .command("pg_ctl")
                .args(["stop", "-w", "-t", "30", "-m", "immediate", "-D", path(&self.data())])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One connection to `url`, retried for up to 30 s (a server that has just started may still refuse).
pub async fn connect(url: &str) -> sqlx::PgConnection {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match <sqlx::PgConnection as sqlx::Connection>::connect(url).await {
            Ok(connection) => return connection,
            Err(error) if std::time::Instant::now() > deadline => {
                panic!("cannot connect to the private cluster at {url}: {error}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

/// The installed server's programs: `FAULTS_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` that has
/// `initdb`.
fn server_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("FAULTS_PG_BIN") {
        let bin = PathBuf::from(bin);
        assert!(bin.join("initdb").exists(), "FAULTS_PG_BIN={} holds no initdb", bin.display());
        return bin;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!(
            "the fault tests need PostgreSQL's server programs (initdb, pg_ctl) to run a cluster of their own, and \
             none is under /usr/lib/postgresql/*/bin: install the server (as root: apt-get install postgresql) \
             or set FAULTS_PG_BIN to the directory holding initdb"
        )
    })
}

/// `None` when not root; as root, the `postgres` user's uid and gid.
fn owner() -> Option<(u32, u32)> {
    let uid = std::fs::metadata("/proc/self").map(|meta| meta.uid()).unwrap_or(u32::MAX);
    if uid != 0 {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let output = Command::new("id").args([flag, "postgres"]).output().ok().filter(|o| o.status.success());
        let text = output.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
        text.parse().unwrap_or_else(|_| {
            panic!(
                "the fault tests run as root, and PostgreSQL's server refuses to run as root: they run it as the \
                 `postgres` user, which does not exist here (create it, or run the tests as another user)"
            )
        })
    };
    Some((id("-u"), id("-g")))
}

/// A port of 127.0.0.1 nobody listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}
