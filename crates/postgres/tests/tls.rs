//! Postgres over TLS: `sslmode` in the database URL is honoured. Each test puts a TLS-terminating proxy with a
//! certificate it generates (its own CA, a leaf for `localhost`) in front of the test server, speaking
//! Postgres' own TLS negotiation (an `SSLRequest`, answered `S` or `N`), and counts what the store sent: TLS
//! sessions, and sessions in plain text.

use payments_domain::{OrderStore, StoreError};
use payments_postgres::test_support::fresh_database;
use payments_postgres::{PgStore, PgStoreOptions};
use payments_store_contract::fixtures::order;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Postgres' `SSLRequest`: length 8, then the code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// A certificate authority and a server certificate for `localhost` it signed.
struct Pki {
    ca_pem: String,
    acceptor: TlsAcceptor,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf =
        CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&leaf_key, &ca).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    Pki { ca_pem: ca.pem(), acceptor: TlsAcceptor::from(Arc::new(config)) }
}

/// What the proxy saw.
#[derive(Debug, Default)]
struct Seen {
    tls: AtomicUsize,
    plain: AtomicUsize,
}

/// Forwards to `upstream`: with `acceptor`, a client asking for TLS gets it; without, it is answered `N`.
async fn proxy(upstream: SocketAddr, acceptor: Option<TlsAcceptor>) -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), counts.clone());
            tokio::spawn(async move {
                let mut first = [0u8; 8];
                client.read_exact(&mut first).await?;
                let mut server = TcpStream::connect(upstream).await?;
                match (first == SSL_REQUEST, acceptor) {
                    (true, Some(acceptor)) => {
                        client.write_all(b"S").await?;
                        let mut tls = acceptor.accept(client).await?;
                        seen.tls.fetch_add(1, Ordering::SeqCst);
                        tokio::io::copy_bidirectional(&mut tls, &mut server).await?;
                    }
                    (true, None) => {
                        client.write_all(b"N").await?;
                        seen.plain.fetch_add(1, Ordering::SeqCst);
                        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
                    }
                    (false, _) => {
                        seen.plain.fetch_add(1, Ordering::SeqCst);
                        server.write_all(&first).await?;
                        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
                    }
                }
                Ok::<_, std::io::Error>(())
            });
        }
    });
    (addr, seen)
}

/// A fresh database: the address of its server, and its URL through a proxy at `proxy` with `params`.
async fn database() -> (SocketAddr, impl Fn(SocketAddr, &str) -> String) {
    let options = PgConnectOptions::from_str(&fresh_database().await).unwrap();
    let host = options.get_host().to_owned();
    assert!(!host.starts_with('/'), "the TLS tests need the test server on TCP, not the socket {host}");
    let upstream = tokio::net::lookup_host((host, options.get_port())).await.unwrap().next().unwrap();
    let (user, name) = (options.get_username().to_owned(), options.get_database().unwrap().to_owned());
    (upstream, move |proxy: SocketAddr, params: &str| {
        format!("postgres://{user}@localhost:{}/{name}?{params}", proxy.port())
    })
}

async fn store(url: &str) -> PgStore {
    let options = PgStoreOptions { acquire_timeout: Duration::from_secs(3), ..PgStoreOptions::default() };
    PgStore::connect(url, &options).await.expect("a valid URL")
}

/// Writes and reads an order: the store works over the connection it has.
async fn works(store: &PgStore) -> Result<(), StoreError> {
    let order = order();
    store.insert_order(&order).await.map_err(|error| StoreError::Unknown(anyhow::anyhow!("{error:?}")))?;
    let found = store.find_order(order.id()).await?;
    assert_eq!(found.map(|found| found.id()), Some(order.id()));
    Ok(())
}

#[tokio::test]
async fn sslmode_require_speaks_tls_to_a_server_with_a_self_signed_certificate() {
    let (upstream, url) = database().await;
    let (proxy, seen) = proxy(upstream, Some(pki().acceptor)).await;
    works(&store(&url(proxy, "sslmode=require")).await).await.expect("the store works over TLS");
    assert!(seen.tls.load(Ordering::SeqCst) >= 1, "no TLS session");
    assert_eq!(seen.plain.load(Ordering::SeqCst), 0, "a session in plain text");
}

#[tokio::test]
async fn sslmode_require_refuses_a_server_that_offers_no_tls_rather_than_talk_in_plain_text() {
    let (upstream, url) = database().await;
    let (proxy, seen) = proxy(upstream, None).await;
    let store = store(&url(proxy, "sslmode=require")).await;
    assert!(store.ping().await.is_err(), "connected without TLS");
    assert!(works(&store).await.is_err(), "wrote without TLS");
    assert_eq!(seen.tls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn sslmode_prefer_takes_tls_when_the_server_offers_it() {
    let (upstream, url) = database().await;
    let (proxy, seen) = proxy(upstream, Some(pki().acceptor)).await;
    works(&store(&url(proxy, "sslmode=prefer")).await).await.expect("the store works");
    assert!(seen.tls.load(Ordering::SeqCst) >= 1, "prefer fell back to plain text with TLS on offer");
    assert_eq!(seen.plain.load(Ordering::SeqCst), 0, "a session in plain text");
}

#[tokio::test]
async fn sslmode_verify_full_takes_the_servers_certificate_only_from_the_configured_authority() {
    let Pki { acceptor, ca_pem } = pki();
    let dir = std::env::temp_dir().join(format!("payments-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (right, wrong) = (dir.join("ca.pem"), dir.join("other-ca.pem"));
    std::fs::write(&right, &ca_pem).unwrap();
    std::fs::write(&wrong, pki().ca_pem).unwrap();

    let (upstream, url) = database().await;
    let (proxy, _) = proxy(upstream, Some(acceptor)).await;
    let trusted = store(&url(proxy, &format!("sslmode=verify-full&sslrootcert={}", right.display()))).await;
    works(&trusted).await.expect("the server's certificate is signed by the configured authority");
    let untrusted = store(&url(proxy, &format!("sslmode=verify-full&sslrootcert={}", wrong.display()))).await;
    assert!(untrusted.ping().await.is_err(), "a certificate from another authority was taken");
    std::fs::remove_dir_all(dir).unwrap();
}
