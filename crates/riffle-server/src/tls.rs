//! Optional TLS: `--tls-cert`/`--tls-key` (PEM files), or `--tls-self-signed`, which makes a
//! certificate for `localhost` and `127.0.0.1` and writes it to `<data-dir>/tls/cert.pem` so
//! clients can trust it. ALPN offers `h2` and `http/1.1`, so HTTP/2 clients (the Node SDK,
//! event-stream consumers) negotiate HTTP/2 and everything else HTTP/1.1, on one port.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Loads PEM certificate chain and key.
pub fn load(cert: &Path, key: &Path) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).with_context(|| format!("opening {}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .with_context(|| format!("reading certificates from {}", cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", cert.display());
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).with_context(|| format!("opening {}", key.display()))?,
    ))?
    .with_context(|| format!("{} holds no private key", key.display()))?;
    Ok((certs, key))
}

/// Makes a self-signed certificate for local use and writes it (and its key) to `dir`.
pub fn self_signed(dir: &Path) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()])?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("cert.pem"), cert.cert.pem())?;
    std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem())?;
    tracing::info!(cert = %dir.join("cert.pem").display(), "generated a self-signed certificate");
    load(&dir.join("cert.pem"), &dir.join("key.pem"))
}

/// Serves `app` over TLS until `shutdown` resolves; then stops accepting, asks open
/// connections to close after their current requests, and waits up to five seconds.
pub async fn serve(
    listener: TcpListener,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer): (tokio::net::TcpStream, SocketAddr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            match acceptor.accept(stream).await {
                Ok(tls) => {
                    let builder = Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(tls), service).into_owned();
                    let r = watcher.watch(conn).await;
                    if let Err(e) = r {
                        tracing::debug!(%peer, error = %e, "TLS connection ended with an error");
                    }
                }
                Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
            }
        });
    }
    // Open connections finish their requests and close; give up on stragglers after 5 s.
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}
