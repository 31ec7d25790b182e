//! The `payments` binary as a separate process (`payments serve`), configured by environment variables only,
//! with its JSON log kept for the test. It can be killed with SIGKILL and started again on the same port.
//! Dropping it kills it.

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Stripe webhook secret the service is configured with, and the events are signed with.
pub const WEBHOOK_SECRET: &str = "whsec_faults_0123456789abcdef";

/// Most log lines kept (the newest).
const KEPT_LINES: usize = 20_000;

/// A `payments serve` process.
#[derive(Debug)]
pub struct Service {
    env: Vec<(String, String)>,
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
    log: Arc<Mutex<Log>>,
}

#[derive(Debug, Default)]
struct Log {
    lines: VecDeque<String>,
    port: Option<u16>,
}

impl Service {
    /// Starts the service on a free port with a real (fake) Stripe key, the test webhook secret, JSON logs and
    /// `database_url`, plus `env` (`APP__...` settings), and waits until it listens and `/readyz` answers 200.
    /// Its working directory is an empty temporary one, so no `.env` or `config/` around is read.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Service {
        let catalog = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/catalog.toml");
        let mut all: Vec<(String, String)> = [
            ("DATABASE_URL", database_url),
            ("STRIPE_SECRET_KEY", "sk_test_faults"),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
            // Never called: the tests send webhooks only.
            ("STRIPE_API_BASE", "http://127.0.0.1:9/"),
            ("LOG_FORMAT", "json"),
            ("APP__LOG__LEVEL", "warn,payments=info"),
            ("APP__SERVER__STOREFRONT", "false"),
            ("APP__CATALOG__PATH", catalog),
        ]
        .iter()
        .chain(env)
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
        all.push(("PORT".to_owned(), "0".to_owned()));
        let dir = std::env::temp_dir().join(format!("payments-faults-cwd-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        let mut service = Service { env: all, dir, child: None, port: 0, log: Arc::default() };
        service.spawn().await;
        service
    }

    /// Starts it again after [`Service::kill`], on the same port, and waits until it is ready.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "restart a service that was killed");
        let port = self.port.to_string();
        self.env.retain(|(name, _)| name != "PORT");
        self.env.push(("PORT".to_owned(), port));
        self.spawn().await;
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The log lines kept that contain `needle`.
    pub fn log_lines_with(&self, needle: &str) -> Vec<String> {
        let log = self.log.lock().expect("log lock");
        log.lines.iter().filter(|line| line.contains(needle)).cloned().collect()
    }

    /// The last `count` log lines, for a failure message.
    pub fn log_tail(&self, count: usize) -> String {
        let log = self.log.lock().expect("log lock");
        let skip = log.lines.len().saturating_sub(count);
        log.lines.iter().skip(skip).cloned().collect::<Vec<_>>().join("\n")
    }

    async fn spawn(&mut self) {
        let binary = env!("CARGO_BIN_EXE_payments");
        let mut child = Command::new(binary)
            .arg("serve")
            .current_dir(&self.dir)
            .env_clear()
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {binary}: {error}"));
        self.log.lock().expect("log lock").port = None;
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = self.log.clone();
            std::thread::spawn(move || keep(stream, &log));
        }
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        self.port = loop {
            if let Some(port) = self.log.lock().expect("log lock").port {
                break port;
            }
            if let Some(status) = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten()) {
                panic!("the service exited ({status}) before listening:\n{}", self.log_tail(40));
            }
            assert!(
                Instant::now() < deadline,
                "the service did not listen within 60 s:\n{}",
                self.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        self.wait_ready(Duration::from_secs(60)).await;
    }

    /// Waits until `/readyz` answers 200.
    pub async fn wait_ready(&self, within: Duration) {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
        let deadline = Instant::now() + within;
        loop {
            let ready = client.get(self.url("/readyz")).send().await.map(|r| r.status().as_u16());
            if ready.as_ref().is_ok_and(|status| *status == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the service was not ready within {within:?} (last: {ready:?}):\n{}",
                self.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Keeps every line of `stream` (the newest [`KEPT_LINES`]) and notes the port the service says it listens on.
fn keep(stream: Box<dyn std::io::Read + Send>, log: &Mutex<Log>) {
    for line in std::io::BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let port = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .filter(|entry| entry["message"] == "payments service listening")
            .and_then(|entry| entry["port"].as_u64())
            .and_then(|port| u16::try_from(port).ok());
        let mut log = log.lock().expect("log lock");
        if port.is_some() {
            log.port = port;
        }
        if log.lines.len() == KEPT_LINES {
            log.lines.pop_front();
        }
        log.lines.push_back(line);
    }
}
