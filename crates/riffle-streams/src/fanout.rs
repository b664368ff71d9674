//! Enhanced fan-out: SubscribeToShard streams. A subscription pushes records as soon as the
//! log makes them durable (it waits on the shard's tip watch, never on a timer), sends an
//! event at least every five seconds while idle, ends after five minutes, and ends with
//! ChildShards and a null ContinuationSequenceNumber at the end of a closed shard.
//!
//! One subscription per (consumer, shard): a second one within five seconds of the first is
//! refused with ResourceInUseException; a later one takes over and the older stream ends
//! with a ResourceInUseException event. Each subscription gets its own 2 MiB/s (with limits
//! on), paced rather than refused, since this is push delivery.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use riffle_log::ShardKey;
use riffle_meta::StreamStatus;
use riffle_types::ShardId;
use riffle_wire::model::kinesis::{SubscribeToShardEvent, SubscribeToShardInput};
use riffle_wire::{Codec, eventstream};
use tokio::sync::{mpsc, watch};

use crate::error::{Result, StreamsError};
use crate::ops::consumers::{is_active, parse_consumer_arn};
use crate::read::{child_shards, read_page};
use crate::service::StreamsService;
use crate::shard_map::{self, resolve_shard_id};

/// How long a subscription lasts.
pub const SUBSCRIPTION_MS: u64 = 300_000;
/// Longest silence before an empty event.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A newer subscription for the same consumer and shard is refused within this time.
pub const TAKEOVER_MS: i64 = 5_000;
/// Per-subscription read rate with limits on.
pub const BYTES_PER_SEC: f64 = 2_097_152.0;

struct Active {
    started_ms: i64,
    generation: u64,
    /// Set to a message to end the subscription with ResourceInUseException.
    end: watch::Sender<Option<String>>,
}

/// The registry of live subscriptions.
#[derive(Default)]
pub struct Fanout {
    active: Mutex<HashMap<(String, u32), Active>>,
    generations: AtomicU64,
}

impl Fanout {
    fn claim(&self, consumer: &str, shard: u32, now: i64) -> Result<(u64, watch::Receiver<Option<String>>)> {
        let mut active = self.active.lock().expect("fanout lock");
        let slot = (consumer.to_string(), shard);
        if let Some(a) = active.get(&slot) {
            if now - a.started_ms < TAKEOVER_MS && !a.end.is_closed() {
                return Err(StreamsError::InUse(format!(
                    "Another active subscription exists for this consumer: {consumer} and shard: {}",
                    ShardId(shard)
                )));
            }
            a.end.send_replace(Some(format!(
                "A newer subscription for consumer {consumer} and shard {} took over this one.",
                ShardId(shard)
            )));
        }
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let (end, rx) = watch::channel(None);
        active.insert(slot, Active { started_ms: now, generation, end });
        Ok((generation, rx))
    }

    fn release(&self, consumer: &str, shard: u32, generation: u64) {
        let mut active = self.active.lock().expect("fanout lock");
        let slot = (consumer.to_string(), shard);
        if active.get(&slot).is_some_and(|a| a.generation == generation) {
            active.remove(&slot);
        }
    }

    /// Ends every subscription cleanly (server shutdown): each stream finishes after its
    /// current event, as at the end of its five minutes.
    pub fn end_all(&self) {
        for a in self.active.lock().expect("fanout lock").values() {
            a.end.send_replace(Some(String::new()));
        }
    }

    /// Ends every subscription of a deregistered consumer.
    pub fn end_consumer(&self, consumer: &str) {
        let active = self.active.lock().expect("fanout lock");
        for ((c, _), a) in active.iter() {
            if c == consumer {
                a.end.send_replace(Some(format!("Consumer {consumer} was deregistered.")));
            }
        }
    }
}

/// Starts a subscription; errors before the first event are ordinary errors. The returned
/// channel yields event-stream frames in `codec`, `initial-response` first.
pub async fn subscribe(
    svc: &Arc<StreamsService>,
    input: SubscribeToShardInput,
    codec: Codec,
) -> Result<mpsc::Receiver<Bytes>> {
    let (key, consumer_name) = parse_consumer_arn(&input.consumer_arn)
        .ok_or_else(|| StreamsError::InvalidArgument(format!("Invalid ConsumerARN {}.", input.consumer_arn)))?;
    let consumer_missing = || StreamsError::NotFound(format!("Consumer {} not found.", input.consumer_arn));
    let Some(index) = resolve_shard_id(&input.shard_id) else {
        return Err(StreamsError::ShardUnparseable { shard: input.shard_id, name: key.name, account: key.account });
    };
    let (uid, shard, retention_ms) = svc.read_stream(&key, |s| {
        let c = s.consumers.iter().find(|c| c.arn == input.consumer_arn && c.name == consumer_name);
        let c = c.ok_or_else(consumer_missing)?;
        if !is_active(c) {
            return Err(StreamsError::InUse(format!(
                "Consumer {} is not ACTIVE, instead in state {}.",
                c.arn,
                c.status.as_str()
            )));
        }
        if s.status == StreamStatus::Deleting {
            return Err(StreamsService::not_found(&key));
        }
        let shard = s.shards.iter().find(|x| x.index == index).cloned().ok_or_else(|| StreamsError::ShardNotFound {
            shard: ShardId(index).to_string(),
            name: key.name.clone(),
            account: key.account.clone(),
        })?;
        Ok((s.uid, shard, i64::from(s.retention_hours) * 3_600_000))
    })?;
    let p = &input.starting_position;
    let from = crate::ops::get_shard_iterator::position(
        svc,
        &key,
        &shard,
        uid,
        &p.kind,
        p.sequence_number.as_deref(),
        p.timestamp.map(|t| t.0),
    )?;
    let (generation, mut end) = svc.fanout.claim(&input.consumer_arn, index, svc.now_ms())?;
    let (tx, rx) = mpsc::channel(8);
    let _ = tx.send(eventstream::event(codec, "initial-response", &serde_json::json!({}))).await;
    let svc = svc.clone();
    let consumer = input.consumer_arn.clone();
    tokio::spawn(async move {
        let log_key = ShardKey { stream: uid, shard: index };
        let mut tip = svc.log.watch_tip(log_key);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(SUBSCRIPTION_MS);
        let mut pos = from;
        let mut last_event: Option<tokio::time::Instant> = None;
        // The sequence number just before `pos`: the last record sent, or where we started.
        let mut continuation_seq = shard_map::sequence_number(&shard, from.saturating_sub(1), shard.created_ms);
        let paced = svc.limits.enabled();
        loop {
            let ended = end.borrow().clone();
            if let Some(msg) = ended {
                // An empty message is a clean end (shutdown); otherwise the stream was taken over.
                if !msg.is_empty() {
                    let _ = tx.send(eventstream::exception(codec, "ResourceInUseException", &msg)).await;
                }
                break;
            }
            tip.mark_unchanged();
            let page = match read_page(&svc, &key, uid, &shard, retention_ms, pos, 10_000, 2 << 20).await {
                Ok(p) => p,
                Err(e) => {
                    let aws: riffle_wire::AwsError = e.into();
                    let _ = tx.send(eventstream::exception(codec, "InternalFailureException", aws.code)).await;
                    break;
                }
            };
            let fresh = !page.records.is_empty();
            let due = last_event.is_none_or(|t| t.elapsed() >= HEARTBEAT);
            if fresh || page.finished || due {
                if let Some(last) = page.records.last() {
                    continuation_seq = last.sequence_number.clone();
                }
                let continuation = (!page.finished).then(|| continuation_seq.clone());
                let children = if page.finished {
                    Some(svc.read_stream(&key, |s| Ok(child_shards(s, index))).unwrap_or_default())
                } else {
                    None
                };
                let bytes = page.bytes;
                let event = SubscribeToShardEvent {
                    records: page.records,
                    continuation_sequence_number: continuation,
                    millis_behind_latest: page.millis_behind_latest,
                    child_shards: children,
                };
                if tx.send(eventstream::event(codec, "SubscribeToShardEvent", &event)).await.is_err() {
                    break; // the client went away
                }
                last_event = Some(tokio::time::Instant::now());
                pos = page.next;
                if page.finished {
                    break;
                }
                if paced && bytes > 0 {
                    tokio::time::sleep(Duration::from_secs_f64(bytes as f64 / BYTES_PER_SEC)).await;
                }
                if fresh {
                    continue; // more may be waiting
                }
            }
            let heartbeat_at = last_event.map_or(tokio::time::Instant::now(), |t| t + HEARTBEAT);
            tokio::select! {
                _ = tip.changed() => {}
                _ = end.changed() => {}
                _ = tokio::time::sleep_until(heartbeat_at.min(deadline)) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
        }
        svc.fanout.release(&consumer, index, generation);
    });
    Ok(rx)
}
