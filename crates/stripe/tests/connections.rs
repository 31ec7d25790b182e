//! The gateway keeps its connections to Stripe alive: against a small local HTTP/1.1 server that counts the
//! connections it accepts, sequential and concurrent calls come back to a few connections, and a kept
//! connection the server closed while idle is replaced without the caller noticing.
//!
//! Not tested here: HTTP/2. The client offers h2 and http/1.1 by ALPN on https, as Stripe negotiates it;
//! a test of that needs a TLS server with a certificate the client trusts, and the client trusts only the
//! webpki roots. Plain http (this server, the emulator) is HTTP/1.1.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use payments_domain::{Email, NewCustomer, PaymentGateway, UserId};
use payments_stripe::{StripeConfig, StripeGateway};
use secrecy::SecretString;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

const KEY: &str = "sk_test_51FakeKeyForConnectionTests0123456789";

/// A fake Stripe that answers every request with a customer and counts connections and requests.
struct CountingStripe {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    /// Bumped to make the server close every connection it holds (as a load balancer drops idle ones).
    close_all: watch::Sender<u64>,
}

impl CountingStripe {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi/customer.json");
        let customer = Bytes::from(std::fs::read(file).unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (close_all, closing) = watch::channel(0u64);
        let server = Self {
            addr,
            accepted: accepted.clone(),
            open: open.clone(),
            requests: requests.clone(),
            close_all,
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                accepted.fetch_add(1, Ordering::SeqCst);
                open.fetch_add(1, Ordering::SeqCst);
                let (customer, requests, open, mut closing) =
                    (customer.clone(), requests.clone(), open.clone(), closing.clone());
                // only a close requested from now on ends this connection
                closing.borrow_and_update();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let (customer, requests) = (customer.clone(), requests.clone());
                        async move {
                            // read the whole form, as Stripe does, before answering
                            let _ = request.into_body().collect().await;
                            requests.fetch_add(1, Ordering::SeqCst);
                            let response = Response::builder()
                                .status(200)
                                .header("content-type", "application/json")
                                .body(Full::new(customer))
                                .unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    // Dropping the connection closes the socket with no `Connection: close` first.
                    tokio::select! {
                        _ = connection => {}
                        _ = closing.changed() => {}
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        server
    }

    fn gateway(&self) -> StripeGateway {
        StripeGateway::new(StripeConfig {
            secret_key: SecretString::from(KEY),
            api_base: url::Url::parse(&format!("http://{}/", self.addr)).unwrap(),
            timeout: Duration::from_secs(5),
            deadline: StripeConfig::DEFAULT_DEADLINE,
        })
        .unwrap()
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Closes every connection the server holds and waits until they are gone.
    async fn close_all_connections(&self) {
        self.close_all.send_modify(|generation| *generation += 1);
        for _ in 0..200 {
            if self.open.load(Ordering::SeqCst) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the server's connections did not close");
    }
}

fn new_customer(n: usize) -> NewCustomer {
    NewCustomer {
        user_id: UserId::parse(&format!("auth0|{n}")).unwrap(),
        email: Email::parse("ada@example.com").unwrap(),
        idempotency_key: format!("customer-auth0|{n}"),
    }
}

#[tokio::test]
async fn sequential_calls_share_one_connection() {
    let stripe = CountingStripe::start().await;
    let gateway = stripe.gateway();

    for n in 0..20 {
        gateway.create_customer(&new_customer(n)).await.unwrap();
    }

    assert_eq!(stripe.requests(), 20);
    assert_eq!(stripe.accepted(), 1, "20 sequential calls should reuse one kept-alive connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_come_back_to_the_connections_they_opened() {
    const IN_FLIGHT: usize = 16;
    const ROUNDS: usize = 4;
    let stripe = CountingStripe::start().await;
    let gateway = stripe.gateway();

    for round in 0..ROUNDS {
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..IN_FLIGHT {
            let (gateway, customer) = (gateway.clone(), new_customer(round * IN_FLIGHT + n));
            calls.spawn(async move { gateway.create_customer(&customer).await });
        }
        while let Some(result) = calls.join_next().await {
            result.unwrap().unwrap();
        }
    }

    assert_eq!(stripe.requests(), IN_FLIGHT * ROUNDS);
    // The first round may open one connection per call in flight; later rounds find them idle in the pool.
    assert!(
        stripe.accepted() <= IN_FLIGHT,
        "{} connections for {} calls, {IN_FLIGHT} at a time",
        stripe.accepted(),
        IN_FLIGHT * ROUNDS
    );
}

#[tokio::test]
async fn a_kept_connection_the_server_closed_is_replaced_transparently() {
    let stripe = CountingStripe::start().await;
    let gateway = stripe.gateway();
    gateway.create_customer(&new_customer(1)).await.unwrap();
    assert_eq!(stripe.accepted(), 1);

    stripe.close_all_connections().await;
    // let the client's connection task see the end of the stream
    tokio::time::sleep(Duration::from_millis(50)).await;

    gateway.create_customer(&new_customer(2)).await.unwrap();
    gateway.create_customer(&new_customer(3)).await.unwrap();
    assert_eq!(stripe.requests(), 3, "no call failed or was retried");
    assert_eq!(stripe.accepted(), 2, "one new connection, then kept");
}
