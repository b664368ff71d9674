//! Configuration. Each setting comes from, in order of precedence: a command-line flag, its
//! `RIFFLE_*` environment variable, the TOML file named by `--config`, then the default.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(name = "riffle", version, about = "Amazon Kinesis, self-hosted.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Drive a running server with PutRecords load and report throughput and latency.
    Bench(crate::bench::BenchArgs),
    /// Create, list, describe, delete and reshard streams.
    Stream {
        #[command(flatten)]
        conn: crate::tools::Conn,
        #[command(subcommand)]
        cmd: crate::tools::stream::StreamCommand,
    },
    /// Put records from arguments, a file or stdin, batched and aggregated by the producer.
    Put {
        #[command(flatten)]
        conn: crate::tools::Conn,
        #[command(flatten)]
        args: crate::tools::put::PutArgs,
    },
    /// Follow a stream's records across all shards and reshards, like `tail -f`.
    Tail {
        #[command(flatten)]
        conn: crate::tools::Conn,
        #[command(flatten)]
        args: crate::tools::tail::TailArgs,
    },
    /// Generate records from a template at a rate, and report their spread over shards.
    Gen {
        #[command(flatten)]
        conn: crate::tools::Conn,
        #[command(flatten)]
        args: crate::tools::generate::GenArgs,
    },
    /// Tail log files into streams, like the Kinesis Agent (agent.json flows).
    Agent {
        #[command(flatten)]
        conn: crate::tools::Conn,
        #[command(flatten)]
        args: crate::tools::agent::AgentArgs,
    },
    /// Work out how many shards a workload needs.
    Plan(crate::tools::plan::PlanArgs),
}

/// When the log fsyncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncArg {
    /// fsync before every acknowledgement (group commit).
    Always,
    /// Acknowledge after the write, fsync every second.
    Interval,
    /// Never fsync.
    Never,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (snake_case keys).
    #[arg(long, env = "RIFFLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long, env = "RIFFLE_HOST")]
    pub host: Option<String>,
    /// Port to listen on [default: 4567]
    #[arg(long, env = "RIFFLE_PORT")]
    pub port: Option<u16>,
    /// Where data lives [default: ./riffle-data]
    #[arg(long, env = "RIFFLE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// When writes are fsynced [default: always]
    #[arg(long, env = "RIFFLE_SYNC", value_enum)]
    pub sync: Option<SyncArg>,
    /// MiB of the newest durable writes kept in memory to serve reads at the tip [default: 64]
    #[arg(long, env = "RIFFLE_TIP_CACHE_MIB")]
    pub tip_cache_mib: Option<usize>,
    /// Region used when a request's credential scope names none, and in ARNs [default: us-east-1]
    #[arg(long, env = "RIFFLE_REGION")]
    pub region: Option<String>,
    /// Account used when the access key is not a 12-digit account id [default: 000000000000]
    #[arg(long, env = "RIFFLE_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// Milliseconds a new stream stays CREATING [default: 0]
    #[arg(long, env = "RIFFLE_CREATE_DELAY")]
    pub create_delay: Option<u64>,
    /// Milliseconds a deleted stream stays DELETING [default: 0]
    #[arg(long, env = "RIFFLE_DELETE_DELAY")]
    pub delete_delay: Option<u64>,
    /// Milliseconds an updated stream stays UPDATING [default: 0]
    #[arg(long, env = "RIFFLE_UPDATE_DELAY")]
    pub update_delay: Option<u64>,
    /// Open shards allowed per account and region [default: 10000]
    #[arg(long, env = "RIFFLE_SHARD_LIMIT")]
    pub shard_limit: Option<u32>,
    /// AWS's throughput limits: per-shard read/write rates and control-plane TPS [default: on]
    #[arg(long, env = "RIFFLE_LIMITS", value_enum)]
    pub limits: Option<OnOff>,
    /// Per-shard write limit in bytes/s, data plus partition keys [default: 1048576]
    #[arg(long, env = "RIFFLE_SHARD_WRITE_BYTES_PER_SEC")]
    pub shard_write_bytes_per_sec: Option<f64>,
    /// Per-shard write limit in records/s [default: 1000]
    #[arg(long, env = "RIFFLE_SHARD_WRITE_RECORDS_PER_SEC")]
    pub shard_write_records_per_sec: Option<f64>,
    /// Per-shard GetRecords calls/s [default: 5]
    #[arg(long, env = "RIFFLE_SHARD_READ_CALLS_PER_SEC")]
    pub shard_read_calls_per_sec: Option<f64>,
    /// Per-shard read limit in bytes/s [default: 2097152]
    #[arg(long, env = "RIFFLE_SHARD_READ_BYTES_PER_SEC")]
    pub shard_read_bytes_per_sec: Option<f64>,
    /// How often ON_DEMAND streams check their shards' write rates, in ms [default: 10000]
    #[arg(long, env = "RIFFLE_ON_DEMAND_CHECK_MS")]
    pub on_demand_check_ms: Option<u64>,
    /// Fraction of the per-shard write limit above which an ON_DEMAND shard splits [default: 0.5]
    #[arg(long, env = "RIFFLE_ON_DEMAND_SPLIT_THRESHOLD")]
    pub on_demand_split_threshold: Option<f64>,
    /// File holding the base64 master key for encryption at rest (or set RIFFLE_MASTER_KEY)
    /// [default: <data-dir>/keyring.key, created on first start]
    #[arg(long, env = "RIFFLE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Request authentication: `off` accepts any well-formed credentials; `sigv4` verifies
    /// signatures against --credentials-file and evaluates IAM policies [default: off]
    #[arg(long, env = "RIFFLE_AUTH", value_enum)]
    pub auth: Option<AuthMode>,
    /// TOML file of credentials (and their IAM policies) for --auth sigv4
    #[arg(long, env = "RIFFLE_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
    /// PEM certificate chain for TLS (with --tls-key); HTTP/2 is offered by ALPN
    #[arg(long, env = "RIFFLE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS (with --tls-cert)
    #[arg(long, env = "RIFFLE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a generated self-signed certificate (written to <data-dir>/tls/)
    #[arg(long, env = "RIFFLE_TLS_SELF_SIGNED", conflicts_with = "tls_cert")]
    pub tls_self_signed: bool,
    /// Testing aid: shift the server's clock by this many milliseconds.
    #[arg(long, env = "RIFFLE_CLOCK_OFFSET_MS", hide = true, allow_hyphen_values = true)]
    pub clock_offset_ms: Option<i64>,
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    Off,
    Sigv4,
}

/// A switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnOff {
    On,
    Off,
}

/// The TOML file's shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    host: Option<String>,
    port: Option<u16>,
    data_dir: Option<PathBuf>,
    sync: Option<SyncArg>,
    tip_cache_mib: Option<usize>,
    region: Option<String>,
    account_id: Option<String>,
    create_delay: Option<u64>,
    delete_delay: Option<u64>,
    update_delay: Option<u64>,
    shard_limit: Option<u32>,
    limits: Option<OnOff>,
    shard_write_bytes_per_sec: Option<f64>,
    shard_write_records_per_sec: Option<f64>,
    shard_read_calls_per_sec: Option<f64>,
    shard_read_bytes_per_sec: Option<f64>,
    on_demand_check_ms: Option<u64>,
    on_demand_split_threshold: Option<f64>,
    master_key_file: Option<PathBuf>,
    auth: Option<AuthMode>,
    credentials_file: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_self_signed: Option<bool>,
}

/// How the listener speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Cleartext HTTP/1.1 and h2c.
    Off,
    /// TLS with these PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// TLS with a generated certificate.
    SelfSigned,
}

/// Resolved settings of `riffle serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub sync: SyncArg,
    pub tip_cache_mib: usize,
    pub region: String,
    pub account_id: String,
    pub create_delay: Duration,
    pub delete_delay: Duration,
    pub update_delay: Duration,
    pub shard_limit: u32,
    pub limits: riffle_streams::limits::LimitsConfig,
    pub autoscale: riffle_streams::autoscale::AutoscaleConfig,
    pub master_key_file: Option<PathBuf>,
    pub auth: AuthMode,
    pub credentials_file: Option<PathBuf>,
    pub tls: Tls,
    pub clock_offset_ms: i64,
}

impl ServeArgs {
    pub fn resolve(self) -> anyhow::Result<ServeConfig> {
        let file: FileConfig = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
            }
            None => FileConfig::default(),
        };
        let account_id = self.account_id.or(file.account_id).unwrap_or_else(|| "000000000000".into());
        anyhow::ensure!(
            account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit()),
            "--account-id must be 12 digits"
        );
        Ok(ServeConfig {
            host: self.host.or(file.host).unwrap_or_else(|| "127.0.0.1".into()),
            port: self.port.or(file.port).unwrap_or(4567),
            data_dir: self.data_dir.or(file.data_dir).unwrap_or_else(|| "riffle-data".into()),
            sync: self.sync.or(file.sync).unwrap_or(SyncArg::Always),
            tip_cache_mib: self.tip_cache_mib.or(file.tip_cache_mib).unwrap_or(64),
            region: self.region.or(file.region).unwrap_or_else(|| "us-east-1".into()),
            account_id,
            create_delay: Duration::from_millis(self.create_delay.or(file.create_delay).unwrap_or(0)),
            delete_delay: Duration::from_millis(self.delete_delay.or(file.delete_delay).unwrap_or(0)),
            update_delay: Duration::from_millis(self.update_delay.or(file.update_delay).unwrap_or(0)),
            shard_limit: self.shard_limit.or(file.shard_limit).unwrap_or(10_000),
            limits: {
                let d = riffle_streams::limits::LimitsConfig::default();
                let rate = |v: Option<f64>, default: f64| -> anyhow::Result<f64> {
                    let r = v.unwrap_or(default);
                    anyhow::ensure!(r.is_finite() && r > 0.0, "limit rates must be positive numbers");
                    Ok(r)
                };
                riffle_streams::limits::LimitsConfig {
                    enabled: self.limits.or(file.limits).unwrap_or(OnOff::On) == OnOff::On,
                    shard_write_bytes_per_sec: rate(
                        self.shard_write_bytes_per_sec.or(file.shard_write_bytes_per_sec),
                        d.shard_write_bytes_per_sec,
                    )?,
                    shard_write_records_per_sec: rate(
                        self.shard_write_records_per_sec.or(file.shard_write_records_per_sec),
                        d.shard_write_records_per_sec,
                    )?,
                    shard_read_calls_per_sec: rate(
                        self.shard_read_calls_per_sec.or(file.shard_read_calls_per_sec),
                        d.shard_read_calls_per_sec,
                    )?,
                    shard_read_bytes_per_sec: rate(
                        self.shard_read_bytes_per_sec.or(file.shard_read_bytes_per_sec),
                        d.shard_read_bytes_per_sec,
                    )?,
                }
            },
            autoscale: {
                let threshold = self.on_demand_split_threshold.or(file.on_demand_split_threshold).unwrap_or(0.5);
                anyhow::ensure!(
                    threshold > 0.0 && threshold.is_finite(),
                    "--on-demand-split-threshold must be positive"
                );
                riffle_streams::autoscale::AutoscaleConfig {
                    check_interval: Duration::from_millis(
                        self.on_demand_check_ms.or(file.on_demand_check_ms).unwrap_or(10_000).max(10),
                    ),
                    split_threshold: threshold,
                }
            },
            master_key_file: self.master_key_file.or(file.master_key_file),
            auth: self.auth.or(file.auth).unwrap_or(AuthMode::Off),
            credentials_file: self.credentials_file.or(file.credentials_file),
            tls: match (self.tls_cert.or(file.tls_cert), self.tls_key.or(file.tls_key)) {
                (Some(cert), Some(key)) => Tls::Files { cert, key },
                (None, None) if self.tls_self_signed || file.tls_self_signed.unwrap_or(false) => Tls::SelfSigned,
                (None, None) => Tls::Off,
                _ => anyhow::bail!("TLS needs both a certificate and a key"),
            },
            clock_offset_ms: self.clock_offset_ms.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_override_defaults() {
        let dir = std::env::temp_dir().join(format!("riffle-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("riffle.toml");
        std::fs::write(
            &file,
            "port = 9999\nregion = \"eu-west-1\"\nsync = \"never\"\nlimits = \"off\"\nshard_write_records_per_sec = 5000\n",
        )
        .unwrap();
        let c = ServeArgs { config: Some(file), port: Some(1234), ..Default::default() }.resolve().unwrap();
        assert_eq!(c.port, 1234);
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.sync, SyncArg::Never);
        assert_eq!(c.host, "127.0.0.1");
        assert_eq!(c.shard_limit, 10_000);
        assert!(!c.limits.enabled);
        assert_eq!(c.limits.shard_write_records_per_sec, 5000.0);
        assert_eq!(c.limits.shard_read_calls_per_sec, 5.0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_account_is_refused() {
        assert!(ServeArgs { account_id: Some("12".into()), ..Default::default() }.resolve().is_err());
    }
}
