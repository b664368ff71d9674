//! `riffle serve`: opens the data directory (log and catalog), starts the Data Streams service
//! and serves HTTP/1.1 and cleartext HTTP/2 on one port until SIGTERM or Ctrl-C, then drains
//! in-flight requests and closes the log.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use riffle_log::{FsStorage, Log, LogOptions, SyncMode};
use riffle_meta::RedbStore;
use riffle_streams::crypto::Keyring;
use riffle_streams::{StreamsConfig, StreamsService};
use riffle_types::{Clock, SystemClock};

use crate::auth::Credentials;
use crate::config::{AuthMode, ServeConfig, SyncArg, Tls};
use crate::http::{Edge, app};

pub async fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::with_offset(cfg.clock_offset_ms));
    let storage = Arc::new(FsStorage::new(cfg.data_dir.join("log"))?);
    let mut options = LogOptions::new(clock.clone());
    options.sync = match cfg.sync {
        SyncArg::Always => SyncMode::Always,
        SyncArg::Interval => SyncMode::Interval(Duration::from_secs(1)),
        SyncArg::Never => SyncMode::Never,
    };
    options.tip_cache_bytes = cfg.tip_cache_mib << 20;
    let log = Arc::new(Log::open(storage, options).context("opening the shard log")?);
    let meta = Arc::new(RedbStore::open(&cfg.data_dir.join("catalog.redb")).context("opening the catalog")?);
    let streams = StreamsService::open(
        StreamsConfig {
            create_delay: cfg.create_delay,
            delete_delay: cfg.delete_delay,
            update_delay: cfg.update_delay,
            shard_limit: cfg.shard_limit,
            limits: cfg.limits.clone(),
            autoscale: cfg.autoscale.clone(),
            ..Default::default()
        },
        clock,
        meta,
        log,
        Keyring::new(master_key(&cfg)?),
    )?;
    streams.spawn_background();
    streams.spawn_autoscaler();
    let credentials = match cfg.auth {
        AuthMode::Off => None,
        AuthMode::Sigv4 => {
            let path = cfg.credentials_file.as_ref().context("--auth sigv4 needs --credentials-file")?;
            Some(Credentials::load(path)?)
        }
    };
    let edge = Arc::new(Edge {
        credentials,
        streams: streams.clone(),
        router: StreamsService::router(),
        lease_router: StreamsService::lease_router(),
        default_region: cfg.region.clone(),
        default_account: cfg.account_id.clone(),
    });
    let listener = tokio::net::TcpListener::bind((cfg.host.as_str(), cfg.port))
        .await
        .with_context(|| format!("binding {}:{}", cfg.host, cfg.port))?;
    tracing::info!(
        address = %listener.local_addr()?,
        data_dir = %cfg.data_dir.display(),
        sync = ?cfg.sync,
        limits = cfg.limits.enabled,
        auth = ?cfg.auth,
        tls = cfg.tls != Tls::Off,
        "riffle is listening (HTTP/1.1 and HTTP/2)"
    );
    // On SIGTERM or Ctrl-C, end the event streams first: they would hold a graceful shutdown
    // open for up to five minutes.
    let stopping = streams.clone();
    let shutdown = async move {
        shutdown_signal().await;
        stopping.end_subscriptions();
    };
    match &cfg.tls {
        // TCP_NODELAY: event-stream frames and small replies must not wait for Nagle's
        // algorithm (with delayed ACKs that costs ~40 ms per frame).
        Tls::Off => {
            let listener = listener.tap_io(|tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::warn!(error = %e, "could not set TCP_NODELAY");
                }
            });
            axum::serve(listener, app(edge)).with_graceful_shutdown(shutdown).await?
        }
        tls => {
            let (certs, key) = match tls {
                Tls::Files { cert, key } => crate::tls::load(cert, key)?,
                _ => crate::tls::self_signed(&cfg.data_dir.join("tls"))?,
            };
            crate::tls::serve(listener, certs, key, app(edge), shutdown).await?;
        }
    }
    tracing::info!("shutting down: flushing the log");
    streams.shutdown();
    Ok(())
}

/// The master key for encryption at rest: `RIFFLE_MASTER_KEY` (base64), else the file named by
/// `--master-key-file`, else `<data-dir>/keyring.key`, created (mode 0600) on first start.
fn master_key(cfg: &ServeConfig) -> anyhow::Result<[u8; 32]> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let decode = |text: &str, from: &str| -> anyhow::Result<[u8; 32]> {
        let raw = STANDARD.decode(text.trim()).with_context(|| format!("{from} is not base64"))?;
        raw.try_into().map_err(|_| anyhow::anyhow!("{from} must hold exactly 32 bytes"))
    };
    if let Ok(text) = std::env::var("RIFFLE_MASTER_KEY") {
        return decode(&text, "RIFFLE_MASTER_KEY");
    }
    let path = cfg.master_key_file.clone().unwrap_or_else(|| cfg.data_dir.join("keyring.key"));
    match std::fs::read_to_string(&path) {
        Ok(text) => decode(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && cfg.master_key_file.is_none() => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let key: [u8; 32] = rand::random();
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
            f.write_all(STANDARD.encode(key).as_bytes())?;
            f.sync_all()?;
            tracing::info!(path = %path.display(), "created the master key for encryption at rest");
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading the master key {}", path.display())),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
