//! Over https the client speaks HTTP/2 when the server offers it (ALPN), and its requests share one
//! connection: a local TLS server with its own certificate authority, offering `h2` and `http/1.1`.

use super::PooledStripeClient;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stripe_client_core::{RequestBuilder, StripeMethod};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// What the server saw: connections accepted, and the HTTP version of each request.
#[derive(Debug, Default)]
struct Seen {
    connections: AtomicUsize,
    versions: Mutex<Vec<Version>>,
}

/// A TLS server for `localhost` offering `alpn`, answering every request `{}`; and a client configuration
/// that trusts its certificate authority.
async fn server(alpn: &[&[u8]]) -> (u16, Arc<Seen>, ClientConfig) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf =
        CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&leaf_key, &ca).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(config));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let serving = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            serving.connections.fetch_add(1, Ordering::SeqCst);
            let (acceptor, seen) = (acceptor.clone(), serving.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let answer = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    seen.versions.lock().unwrap().push(request.version());
                    async {
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
                    }
                });
                let io = TokioIo::new(tls);
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, answer)
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, answer).await;
                }
            });
        }
    });

    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (port, seen, client)
}

/// One request, then eight, four at a time, through a client trusting `tls`. (Requests sent at once before
/// the first connection is up each open one: the client learns the protocol only from the handshake.)
async fn send_nine(port: u16, tls: ClientConfig) {
    let client = PooledStripeClient::with_tls_config(
        tls,
        "sk_test_h2",
        format!("https://localhost:{port}/"),
        Duration::from_secs(5),
        4,
    )
    .unwrap();
    for size in [1, 4, 4] {
        let calls = (0..size).map(|n| {
            let request = client
                .http_request(
                    RequestBuilder::new(StripeMethod::Get, format!("/customers/cus_{n}")),
                    None,
                    None,
                )
                .unwrap();
            client.attempt(request)
        });
        for answer in futures::future::join_all(calls).await {
            assert_eq!(answer.unwrap(), (200, Bytes::from_static(b"{}")));
        }
    }
}

#[tokio::test]
async fn over_https_it_speaks_http2_when_offered_and_its_requests_share_one_connection() {
    let (port, seen, tls) = server(&[b"h2", b"http/1.1"]).await;
    send_nine(port, tls).await;
    assert_eq!(*seen.versions.lock().unwrap(), vec![Version::HTTP_2; 9]);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1, "HTTP/2 carries every request on one connection");
}

#[tokio::test]
async fn over_https_it_speaks_http1_when_only_that_is_offered() {
    let (port, seen, tls) = server(&[b"http/1.1"]).await;
    send_nine(port, tls).await;
    // (Keeping HTTP/1.1 connections alive is tests/connections.rs's.)
    assert_eq!(*seen.versions.lock().unwrap(), vec![Version::HTTP_11; 9]);
}
