//! The official stripe-node client (npm `stripe`, pinned in `tests/browser/package-lock.json`) against the
//! real `payments emulator` process: `tests/browser/official-client.mjs` registers a webhook endpoint with
//! the client, pays a Checkout Session and runs a subscription from creation to cancellation, verifying
//! every delivery with stripe-node's `webhooks.constructEvent`. `make test` installs what this needs
//! (`make browser-deps`); without Node.js or the package, this fails with a message saying what to install,
//! never skips.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const STARTUP: Duration = Duration::from_secs(20);
const SCRIPT_RUN: Duration = Duration::from_secs(90);

/// `payments emulator --port 0`, stopped when dropped.
struct EmulatorProcess {
    child: Child,
    base_url: String,
}

impl EmulatorProcess {
    /// Starts the binary and waits for the line naming its address.
    fn start() -> EmulatorProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_payments"))
            .args(["emulator", "--host", "127.0.0.1", "--port", "0"])
            .env("RUST_LOG", "warn")
            .env_remove("EMULATOR_CONTROL_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start `payments emulator`");
        let stdout = child.stdout.take().expect("its stdout");
        let (sender, address) = mpsc::channel();
        // Reads every line, so the emulator never blocks on a full pipe; the first one names the address.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Stripe emulator at ") {
                    let _ = sender.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
            }
        });
        let base_url = match address.recv_timeout(STARTUP) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("`payments emulator --port 0` did not say where it listens within {STARTUP:?}");
            }
        };
        assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
        EmulatorProcess { child, base_url }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// Runs `official-client.mjs` with `args`, killing it after [`SCRIPT_RUN`]. Fails, saying what to install,
/// without Node.js or the `stripe` package.
fn run_official_client(args: &[&str]) -> Output {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/stripe").exists(),
        "the official-client test needs the npm package stripe: run `make browser-deps` (npm ci in tests/browser)"
    );
    let mut child = Command::new("node")
        .arg("official-client.mjs")
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the official-client test needs Node.js (`node` on PATH): install Debian's nodejs");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read_all(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + SCRIPT_RUN;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("official-client.mjs did not finish within {SCRIPT_RUN:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: stdout.join().expect("stdout"), stderr: stderr.join().expect("stderr") }
}

/// The JSON line a successful run prints last.
fn seen(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "official-client.mjs failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().expect("a result line")).expect("json")
}

/// The emulator's record of its deliveries to `endpoint`, once none is pending any more (bounded).
fn settled_deliveries(base_url: &str, endpoint: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = format!("{base_url}_emulator/deliveries?webhook_endpoint={endpoint}");
        let body = http_get(&url);
        let list: Value = serde_json::from_str(&body).expect("deliveries json");
        let data = list["data"].as_array().expect("data").clone();
        if data.iter().all(|d| d["status"] != "pending") || Instant::now() > deadline {
            return data;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A GET on loopback, answered within a few seconds.
fn http_get(url: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
        let response = client.get(url).send().await.expect("GET");
        assert!(response.status().is_success(), "GET {url}: {}", response.status());
        response.text().await.expect("body")
    })
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().expect("an array").iter().map(|v| v.as_str().expect("a string")).collect()
}

#[test]
fn the_official_stripe_node_client_pays_a_checkout_runs_a_subscription_and_confirms_a_payment_intent() {
    let emulator = EmulatorProcess::start();
    let version = payments_stripe_emulator::api_version();
    let seen = seen(&run_official_client(&[&emulator.base_url, "--api-version", version]));

    assert_eq!(seen["apiVersion"], version, "{seen}");
    assert_eq!(strings(&seen["eventApiVersions"]), [version], "{seen}");
    let checkout = &seen["checkout"];
    assert!(checkout["session"].as_str().unwrap().starts_with("cs_test_"), "{seen}");
    assert_eq!(
        (checkout["status"].as_str(), checkout["paymentStatus"].as_str()),
        (Some("complete"), Some("paid"))
    );
    assert!(checkout["paymentIntent"].as_str().unwrap().starts_with("pi_"), "{seen}");
    let subscription = &seen["subscription"];
    assert!(subscription["subscription"].as_str().unwrap().starts_with("sub_"), "{seen}");
    assert!(subscription["invoice"].as_str().unwrap().starts_with("in_"), "{seen}");
    assert_eq!(strings(&subscription["statuses"]), ["active", "active", "canceled"], "{seen}");
    let intent = &seen["paymentIntent"];
    assert!(intent["paid"].as_str().unwrap().starts_with("pi_"), "{seen}");
    assert_eq!(
        (intent["paidStatus"].as_str(), intent["declineCode"].as_str()),
        (Some("succeeded"), Some("generic_decline"))
    );

    let verified = strings(&seen["verified"]);
    let position = |wanted: &str| {
        verified.iter().position(|t| *t == wanted).unwrap_or_else(|| panic!("{wanted}: {seen}"))
    };
    assert!(position("payment_intent.succeeded") < position("checkout.session.completed"), "{seen}");
    assert!(position("customer.subscription.created") < position("invoice.paid"), "{seen}");
    assert!(position("invoice.paid") < position("customer.subscription.updated"), "{seen}");
    assert!(position("customer.subscription.updated") < position("customer.subscription.deleted"), "{seen}");

    // Every delivery the emulator made to the client's endpoint was acknowledged, each after verification.
    let deliveries = settled_deliveries(&emulator.base_url, seen["endpoint"].as_str().unwrap());
    assert_eq!(deliveries.len(), verified.len(), "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d["status"] == "succeeded"), "{deliveries:?}");
}

#[test]
fn webhooks_checked_against_another_secret_fail_stripe_nodes_verification() {
    let emulator = EmulatorProcess::start();
    let version = payments_stripe_emulator::api_version();
    let output = run_official_client(&[
        &emulator.base_url,
        "--api-version",
        version,
        "--verify-with",
        "whsec_not_the_endpoints_secret",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it passed with the wrong secret:\n{stderr}");
    assert!(stderr.contains("a delivery failed verification"), "{stderr}");
    assert!(stderr.contains("No signatures found matching the expected signature"), "{stderr}");
}
