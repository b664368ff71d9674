//! `riffle stream ...`: create, list, describe, delete and reshard streams, and set retention.

use anyhow::Context;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::{ScalingType, StreamMode, StreamModeDetails, StreamStatus};
use clap::Subcommand;
use serde_json::{Value, json};

use super::Conn;

#[derive(Debug, Clone, Subcommand)]
pub enum StreamCommand {
    /// Create a stream and wait until it is ACTIVE.
    Create {
        name: String,
        /// Shards (provisioned mode).
        #[arg(long, default_value_t = 1)]
        shards: i32,
        /// On-demand capacity mode instead of provisioned shards.
        #[arg(long)]
        on_demand: bool,
    },
    /// List streams.
    List,
    /// Show a stream and its shards.
    Describe { name: String },
    /// Delete a stream.
    Delete {
        name: String,
        /// Also deregister its enhanced fan-out consumers.
        #[arg(long)]
        force: bool,
    },
    /// Split a shard in two at a hash key (the middle of its range by default).
    Split {
        name: String,
        shard: String,
        #[arg(long)]
        at: Option<u128>,
    },
    /// Merge two adjacent shards.
    Merge { name: String, shard: String, adjacent: String },
    /// Reshard to a target number of open shards (uniform scaling).
    Scale { name: String, count: i32 },
    /// Set the retention period, in hours (24 to 8760).
    Retention { name: String, hours: i32 },
}

pub async fn run(conn: &Conn, cmd: StreamCommand) -> anyhow::Result<()> {
    let k = conn.client();
    let out: Value = match cmd {
        StreamCommand::Create { name, shards, on_demand } => {
            let mut req = k.create_stream().stream_name(&name);
            req = if on_demand {
                req.stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build()?)
            } else {
                req.shard_count(shards)
            };
            req.send().await.map_err(super::sdk)?;
            wait_active(&k, &name).await?;
            json!({"stream": name, "status": "ACTIVE"})
        }
        StreamCommand::List => {
            let mut names = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let out = k.list_streams().set_next_token(token.clone()).send().await.map_err(super::sdk)?;
                names.extend(out.stream_names().iter().cloned());
                token = out.next_token().map(str::to_string);
                if !out.has_more_streams() || token.is_none() {
                    break;
                }
            }
            if !conn.json {
                names.iter().for_each(|n| println!("{n}"));
                return Ok(());
            }
            json!({"streams": names})
        }
        StreamCommand::Describe { name } => {
            let s = k.describe_stream_summary().stream_name(&name).send().await.map_err(super::sdk)?;
            let d = s.stream_description_summary().context("no summary")?;
            let shards = super::list_shards(&k, &name).await?;
            let rows: Vec<Value> = shards
                .iter()
                .map(|s| {
                    let range = s.hash_key_range();
                    json!({
                        "shard": s.shard_id(),
                        "parent": s.parent_shard_id(),
                        "adjacent_parent": s.adjacent_parent_shard_id(),
                        "start_hash": range.map(|r| r.starting_hash_key()),
                        "end_hash": range.map(|r| r.ending_hash_key()),
                        "open": s.sequence_number_range().is_none_or(|r| r.ending_sequence_number().is_none()),
                    })
                })
                .collect();
            let out = json!({
                "stream": d.stream_name(),
                "arn": d.stream_arn(),
                "status": d.stream_status().as_str(),
                "mode": d.stream_mode_details().map(|m| m.stream_mode().as_str()),
                "retention_hours": d.retention_period_hours(),
                "open_shards": d.open_shard_count(),
                "consumers": d.consumer_count(),
                "encryption": d.encryption_type().map(|e| e.as_str()),
                "shards": rows,
            });
            if !conn.json {
                println!("{}  {}", out["stream"].as_str().unwrap_or(""), out["arn"].as_str().unwrap_or(""));
                println!(
                    "status {}  mode {}  retention {} h  open shards {}  consumers {}",
                    out["status"].as_str().unwrap_or(""),
                    out["mode"].as_str().unwrap_or("PROVISIONED"),
                    out["retention_hours"],
                    out["open_shards"],
                    out["consumers"]
                );
                println!("\n{:<22} {:<6} {:<22} {:>40} {:>40}", "shard", "state", "parents", "start hash", "end hash");
                for r in rows {
                    let parents: Vec<&str> =
                        [&r["parent"], &r["adjacent_parent"]].iter().filter_map(|p| p.as_str()).collect();
                    println!(
                        "{:<22} {:<6} {:<22} {:>40} {:>40}",
                        r["shard"].as_str().unwrap_or(""),
                        if r["open"] == true { "open" } else { "closed" },
                        parents.join(","),
                        r["start_hash"].as_str().unwrap_or(""),
                        r["end_hash"].as_str().unwrap_or("")
                    );
                }
                return Ok(());
            }
            out
        }
        StreamCommand::Delete { name, force } => {
            k.delete_stream().stream_name(&name).enforce_consumer_deletion(force).send().await.map_err(super::sdk)?;
            json!({"stream": name, "status": "DELETING"})
        }
        StreamCommand::Split { name, shard, at } => {
            let at = match at {
                Some(h) => h,
                None => {
                    let shards = super::list_shards(&k, &name).await?;
                    let s =
                        shards.iter().find(|s| s.shard_id() == shard).with_context(|| format!("no shard {shard}"))?;
                    let r = s.hash_key_range().context("no hash range")?;
                    let (a, b): (u128, u128) = (r.starting_hash_key().parse()?, r.ending_hash_key().parse()?);
                    a + (b - a) / 2 + 1
                }
            };
            k.split_shard()
                .stream_name(&name)
                .shard_to_split(&shard)
                .new_starting_hash_key(at.to_string())
                .send()
                .await
                .map_err(super::sdk)?;
            wait_active(&k, &name).await?;
            json!({"stream": name, "split": shard, "at": at.to_string()})
        }
        StreamCommand::Merge { name, shard, adjacent } => {
            k.merge_shards()
                .stream_name(&name)
                .shard_to_merge(&shard)
                .adjacent_shard_to_merge(&adjacent)
                .send()
                .await
                .map_err(super::sdk)?;
            wait_active(&k, &name).await?;
            json!({"stream": name, "merged": [shard, adjacent]})
        }
        StreamCommand::Scale { name, count } => {
            let out = k
                .update_shard_count()
                .stream_name(&name)
                .target_shard_count(count)
                .scaling_type(ScalingType::UniformScaling)
                .send()
                .await
                .map_err(super::sdk)?;
            wait_active(&k, &name).await?;
            json!({"stream": name, "from": out.current_shard_count(), "to": out.target_shard_count()})
        }
        StreamCommand::Retention { name, hours } => {
            let s = k.describe_stream_summary().stream_name(&name).send().await.map_err(super::sdk)?;
            let current = s.stream_description_summary().map_or(24, |d| d.retention_period_hours());
            if hours > current {
                k.increase_stream_retention_period()
                    .stream_name(&name)
                    .retention_period_hours(hours)
                    .send()
                    .await
                    .map_err(super::sdk)?;
            } else if hours < current {
                k.decrease_stream_retention_period()
                    .stream_name(&name)
                    .retention_period_hours(hours)
                    .send()
                    .await
                    .map_err(super::sdk)?;
            }
            wait_active(&k, &name).await?;
            json!({"stream": name, "retention_hours": hours, "was": current})
        }
    };
    if conn.json {
        println!("{out}");
    } else {
        let line: Vec<String> = out
            .as_object()
            .map(|m| {
                m.iter().map(|(k, v)| format!("{k} {}", v.as_str().map_or(v.to_string(), str::to_string))).collect()
            })
            .unwrap_or_default();
        println!("{}", line.join("  "));
    }
    Ok(())
}

/// Waits until the stream is ACTIVE again (after create, reshard or retention changes).
pub async fn wait_active(k: &Client, name: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        let s = k.describe_stream_summary().stream_name(name).send().await.map_err(super::sdk)?;
        if s.stream_description_summary().is_some_and(|d| d.stream_status() == &StreamStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("stream {name} did not become ACTIVE within a minute")
}
