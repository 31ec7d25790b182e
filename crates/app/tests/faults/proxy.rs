//! A TCP proxy in front of the database that can go silent: while stalled it keeps every connection open
//! and accepts new ones, but forwards nothing in either direction (what it has read it holds, what it has
//! not read stays in the sockets), as a database host that stops answering without closing anything.
//! Resumed, it forwards what it held and carries on. Dropping it closes everything.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// The proxy.
#[derive(Debug)]
pub struct StallProxy {
    addr: SocketAddr,
    flowing: watch::Sender<bool>,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl StallProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> StallProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (flowing, _) = watch::channel(true);
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (gate, kept) = (flowing.clone(), tasks.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (gate, kept_inner) = (gate.subscribe(), kept.clone());
                let task = tokio::spawn(async move {
                    let mut gate = gate;
                    if wait_flowing(&mut gate).await.is_err() {
                        return;
                    }
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let up = tokio::spawn(pump(client_read, server_write, gate.clone()));
                    let down = tokio::spawn(pump(server_read, client_write, gate));
                    kept_inner.lock().expect("proxy lock").extend([up.abort_handle(), down.abort_handle()]);
                });
                kept.lock().expect("proxy lock").push(task.abort_handle());
            }
        });
        tasks.lock().expect("proxy lock").push(accepting.abort_handle());
        StallProxy { addr, flowing, tasks }
    }

    /// The address to connect to instead of the database's.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops forwarding: nothing more goes through, nothing is closed.
    pub fn stall(&self) {
        self.flowing.send_replace(false);
    }

    /// Forwards again, what was held first.
    pub fn resume(&self) {
        self.flowing.send_replace(true);
    }
}

impl Drop for StallProxy {
    fn drop(&mut self) {
        for task in self.tasks.lock().expect("proxy lock").drain(..) {
            task.abort();
        }
    }
}

/// Waits until the gate is open. Errors when the proxy is gone.
async fn wait_flowing(gate: &mut watch::Receiver<bool>) -> Result<(), watch::error::RecvError> {
    gate.wait_for(|flowing| *flowing).await.map(drop)
}

/// Copies `from` to `to` while the gate is open: reads only when open, and holds what it read until it is
/// open again before writing it.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut gate: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if wait_flowing(&mut gate).await.is_err() {
            return;
        }
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(read) => read,
        };
        if wait_flowing(&mut gate).await.is_err() || to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
