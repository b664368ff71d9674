//! `riffle agent`: the Kinesis Agent. It tails the files that each flow's `filePattern`
//! matches, follows rotation (rename, and copy-then-truncate), turns lines into records
//! (optionally multi-line, by `multiLineStartPattern`), runs the data-processing options, and
//! ships the records through the `riffle-client` producer. Offsets are checkpointed in a
//! state file only once their records are acknowledged, so a restart resumes exactly where
//! the last acknowledged record ended.
//!
//! The configuration is the Kinesis Agent's JSON (`agent.json`): `checkpointFile`,
//! `kinesis.endpoint`, and `flows` with `filePattern`, `kinesisStream`, `partitionKeyOption`
//! (RANDOM or DETERMINISTIC), `initialPosition` (START_OF_FILE or END_OF_FILE),
//! `multiLineStartPattern`, `maxBufferAgeMillis` and `dataProcessingOptions`. A
//! `deliveryStream` flow is refused until Riffle has Firehose.

pub mod process;
mod tailer;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use riffle_client::producer::{Producer, ProducerConfig};
use serde::Deserialize;

use super::Conn;
use process::{OptionConfig, Step};
use tailer::{Checkpoints, Flow};

#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// The agent configuration (the Kinesis Agent's agent.json format).
    #[arg(long)]
    pub config: PathBuf,
    /// How often files are checked for new data, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgentConfig {
    #[serde(default = "default_checkpoint_file")]
    checkpoint_file: PathBuf,
    #[serde(rename = "kinesis.endpoint")]
    kinesis_endpoint: Option<String>,
    flows: Vec<FlowConfig>,
}

fn default_checkpoint_file() -> PathBuf {
    PathBuf::from("riffle-agent-checkpoints.json")
}

/// One flow of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowConfig {
    pub file_pattern: String,
    pub kinesis_stream: Option<String>,
    pub delivery_stream: Option<String>,
    #[serde(default = "default_key_option")]
    pub partition_key_option: String,
    #[serde(default = "default_initial_position")]
    pub initial_position: String,
    pub multi_line_start_pattern: Option<String>,
    pub max_buffer_age_millis: Option<u64>,
    #[serde(default)]
    pub data_processing_options: Vec<OptionConfig>,
}

fn default_key_option() -> String {
    "RANDOM".into()
}

fn default_initial_position() -> String {
    "END_OF_FILE".into()
}

fn load(path: &PathBuf) -> anyhow::Result<AgentConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let config: AgentConfig = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    if config.flows.is_empty() {
        bail!("{}: no flows", path.display());
    }
    for f in &config.flows {
        if f.delivery_stream.is_some() {
            bail!(
                "flow {}: deliveryStream targets need Firehose, which Riffle does not have yet; use kinesisStream",
                f.file_pattern
            );
        }
        if f.kinesis_stream.is_none() {
            bail!("flow {}: kinesisStream is missing", f.file_pattern);
        }
        if !["RANDOM", "DETERMINISTIC"].contains(&f.partition_key_option.as_str()) {
            bail!("flow {}: partitionKeyOption must be RANDOM or DETERMINISTIC", f.file_pattern);
        }
        if !["START_OF_FILE", "END_OF_FILE"].contains(&f.initial_position.as_str()) {
            bail!("flow {}: initialPosition must be START_OF_FILE or END_OF_FILE", f.file_pattern);
        }
    }
    Ok(config)
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}

pub async fn run(conn: &Conn, args: AgentArgs) -> anyhow::Result<()> {
    let config = load(&args.config)?;
    let mut conn = conn.clone();
    if let Some(e) = &config.kinesis_endpoint
        && std::env::var_os("RIFFLE_ENDPOINT").is_none()
    {
        conn.endpoint = e.clone();
    }
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    // Everything that can be wrong in the configuration is found before connecting.
    let steps = config
        .flows
        .iter()
        .map(|f| f.data_processing_options.iter().map(Step::build).collect::<anyhow::Result<Vec<_>>>())
        .collect::<anyhow::Result<Vec<_>>>()?;
    for f in &config.flows {
        if let Some(p) = &f.multi_line_start_pattern {
            regex::Regex::new(p).with_context(|| format!("flow {}: multiLineStartPattern {p}", f.file_pattern))?;
        }
    }
    let mut checkpoints = Checkpoints::load(&config.checkpoint_file)?;
    let mut producers: HashMap<String, Arc<Producer>> = HashMap::new();
    let mut flows = Vec::new();
    for (f, steps) in config.flows.iter().zip(steps) {
        let stream = f.kinesis_stream.clone().expect("checked");
        let producer = match producers.get(&stream) {
            Some(p) => p.clone(),
            None => {
                let pc = ProducerConfig {
                    record_max_buffered_time: Duration::from_millis(f.max_buffer_age_millis.unwrap_or(1000)),
                    // The agent keeps retrying through outages, as the Kinesis Agent does.
                    record_ttl: Duration::from_secs(24 * 3600),
                    ..Default::default()
                };
                let p = Arc::new(Producer::new(conn.client(), &stream, pc).await?);
                producers.insert(stream, p.clone());
                p
            }
        };
        flows.push(Flow::new(f.clone(), steps, producer, hostname.clone())?);
    }
    tracing::info!(flows = flows.len(), checkpoints = %config.checkpoint_file.display(), "agent started");
    let mut stop = std::pin::pin!(stop_signal());
    let mut last_save = std::time::Instant::now();
    loop {
        for flow in &mut flows {
            if let Err(e) = flow.poll(&checkpoints) {
                tracing::warn!(flow = %flow.pattern(), error = %format!("{e:#}"), "reading files failed");
            }
            flow.ack();
        }
        if last_save.elapsed() >= Duration::from_secs(1) {
            checkpoints.update(&flows);
            checkpoints.save()?;
            last_save = std::time::Instant::now();
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(Duration::from_millis(args.poll_ms)) => {}
        }
    }
    // Shutdown: send what is buffered, wait for every acknowledgement, save the offsets.
    for p in producers.values() {
        p.flush().await;
    }
    for flow in &mut flows {
        flow.finish().await;
    }
    checkpoints.update(&flows);
    checkpoints.save()?;
    for p in producers.values() {
        p.shutdown().await;
    }
    tracing::info!("agent stopped; offsets saved");
    Ok(())
}
