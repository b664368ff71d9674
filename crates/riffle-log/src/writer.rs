//! The single writer thread: group commit.
//!
//! It blocks for one request, then takes every other request already queued, encodes them all
//! into one buffer (assigning per-shard counters and arrival times), appends that buffer to the
//! active segment with one write, covers it with one fsync (in `SyncMode::Always`), publishes the
//! batches to the index, and only then answers every request. While it waits on the disk, new
//! requests queue up and form the next group, so fsync cost is shared by everything concurrent.
//!
//! Any I/O failure poisons the log: that group is answered with the error, and every later append
//! is refused, because after a failed fsync the kernel may have dropped dirty pages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use bytes::Bytes;

use crate::format::{self, BatchHeader, ShardKey, ShardMark};
use crate::{Appended, BatchMeta, Command, LogError, LogFile, Segment, ShardTip, Shared, SyncMode, segment_name};

/// Cap on how many bytes one group may encode, so one group cannot hold memory without bound.
const MAX_GROUP_BYTES: usize = 32 << 20;

pub(crate) struct Writer {
    shared: Arc<Shared>,
    /// The writer's own view of each shard's tip; the index follows it after each durable write.
    tips: HashMap<ShardKey, (u64, i64)>,
    /// Shards closed by resharding: appends to them are refused.
    sealed: HashSet<ShardKey>,
    active_id: u64,
    active: Arc<dyn LogFile>,
    active_created_ms: i64,
    dirty_since: Option<Instant>,
    buf: Vec<u8>,
}

struct Pending {
    reply: tokio::sync::oneshot::Sender<Result<Vec<Appended>, LogError>>,
    results: Vec<Appended>,
}

impl Writer {
    /// Takes over the newest segment as the active one, or starts the first.
    pub(crate) fn start(shared: Arc<Shared>) -> Result<Writer, LogError> {
        let tips = {
            let index = shared.index.read().expect("lock");
            index.iter().map(|(k, s)| (*k, (s.next_counter, s.last_arrival_ms))).collect()
        };
        let newest = {
            let segs = shared.segments.read().expect("lock");
            segs.iter().next_back().map(|(id, s)| (*id, s.file.clone(), s.created_ms))
        };
        let now = shared.options.clock.now_ms();
        let mut w = match newest {
            Some((id, file, created)) => Writer {
                shared,
                tips,
                sealed: HashSet::new(),
                active_id: id,
                active: file,
                active_created_ms: created,
                dirty_since: None,
                buf: Vec::new(),
            },
            None => {
                let file = shared.storage.create(&segment_name(0))?;
                shared
                    .segments
                    .write()
                    .expect("lock")
                    .insert(0, Segment { file: file.clone(), created_ms: now, newest_by_stream: HashMap::new() });
                Writer {
                    shared,
                    tips,
                    sealed: HashSet::new(),
                    active_id: 0,
                    active: file,
                    active_created_ms: now,
                    dirty_since: None,
                    buf: Vec::new(),
                }
            }
        };
        if w.active.is_empty() {
            w.write_checkpoint()?;
        }
        Ok(w)
    }

    pub(crate) fn run(mut self, rx: Receiver<Command>) {
        let interval = match self.shared.options.sync {
            SyncMode::Interval(d) => Some(d),
            _ => None,
        };
        loop {
            let first = match interval {
                Some(d) if self.dirty_since.is_some() => match rx.recv_timeout(d) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => break,
                },
                _ => match rx.recv() {
                    Ok(c) => Some(c),
                    Err(_) => break,
                },
            };
            if let Some(first) = first {
                let mut group = vec![first];
                while let Ok(c) = rx.try_recv() {
                    group.push(c);
                    if group.len() >= 4096 {
                        break;
                    }
                }
                self.commit_group(group);
            }
            if let (Some(d), Some(since)) = (interval, self.dirty_since)
                && since.elapsed() >= d
            {
                self.background_sync();
            }
        }
        if self.dirty_since.is_some() {
            self.background_sync();
        }
    }

    fn background_sync(&mut self) {
        if let Err(e) = self.active.sync() {
            tracing::error!(error = %e, "background fsync failed; the log is now read-only");
            self.shared.poisoned.store(true, Ordering::Release);
        }
        self.dirty_since = None;
    }

    fn commit_group(&mut self, group: Vec<Command>) {
        let now = self.shared.options.clock.now_ms();
        self.buf.clear();
        let mut pending: Vec<Pending> = Vec::with_capacity(group.len());
        let mut metas: Vec<(ShardKey, BatchMeta)> = Vec::new();
        let mut new_tips: HashMap<ShardKey, (u64, i64)> = HashMap::new();
        let base = self.active.len();
        let mut leftovers = Vec::new();
        let mut seals = Vec::new();
        for cmd in group {
            match cmd {
                Command::Forget { stream } => {
                    self.tips.retain(|k, _| k.stream != stream);
                    self.sealed.retain(|k| k.stream != stream);
                }
                Command::Seal { key, reply } => {
                    // Later appends in this very group are refused; earlier ones are kept, and
                    // the reply waits until they are durable.
                    self.sealed.insert(key);
                    seals.push((key, reply));
                }
                Command::Append { shards, reply } => {
                    if let Some(s) = shards.iter().find(|s| self.sealed.contains(&s.key)) {
                        let _ = reply.send(Err(LogError::ShardSealed(s.key)));
                        continue;
                    }
                    if self.buf.len() > MAX_GROUP_BYTES {
                        leftovers.push(Command::Append { shards, reply });
                        continue;
                    }
                    let mut results = Vec::with_capacity(shards.len());
                    for sa in shards {
                        let (next, last) =
                            new_tips.get(&sa.key).or_else(|| self.tips.get(&sa.key)).copied().unwrap_or((1, i64::MIN));
                        let arrival = now.max(last);
                        let count = sa.records.len() as u32;
                        let start = format::begin_entry(&mut self.buf);
                        format::put_batch_header(
                            &mut self.buf,
                            &BatchHeader { key: sa.key, first_counter: next, arrival_ms: arrival, count },
                            sa.label.as_deref(),
                        );
                        for r in &sa.records {
                            format::put_record(&mut self.buf, &r.partition_key, &r.data);
                        }
                        format::finish_entry(&mut self.buf, start);
                        metas.push((
                            sa.key,
                            BatchMeta {
                                first_counter: next,
                                count,
                                arrival_ms: arrival,
                                segment: self.active_id,
                                offset: base + start as u64,
                                len: (self.buf.len() - start) as u32,
                            },
                        ));
                        new_tips.insert(sa.key, (next + u64::from(count), arrival));
                        results.push(Appended { first_counter: next, arrival_ms: arrival });
                    }
                    pending.push(Pending { reply, results });
                }
            }
        }
        let mut ok = true;
        if !pending.is_empty() {
            match self.write_durably() {
                Ok(()) => {
                    self.tips.extend(new_tips);
                    // The durable group goes to the tip cache without a copy: the buffer
                    // becomes `Bytes`, and the next group starts a new one.
                    let capacity = self.buf.capacity();
                    let group = std::mem::replace(&mut self.buf, Vec::with_capacity(capacity));
                    self.shared.tip_cache.insert(self.active_id, base, Bytes::from(group));
                    self.publish(&metas);
                    for p in pending {
                        let _ = p.reply.send(Ok(p.results));
                    }
                }
                Err(e) => {
                    ok = false;
                    tracing::error!(error = %e, "log write failed; the log is now read-only");
                    self.shared.poisoned.store(true, Ordering::Release);
                    for p in pending {
                        let _ = p.reply.send(Err(LogError::Poisoned));
                    }
                }
            }
            if let Err(e) = self.maybe_roll(now) {
                tracing::error!(error = %e, "segment roll failed; the log is now read-only");
                self.shared.poisoned.store(true, Ordering::Release);
            }
        }
        for (key, reply) in seals {
            let tip = self.tips.get(&key).map(|(next, last)| ShardTip { next_counter: *next, last_arrival_ms: *last });
            let _ = reply.send(if ok { Ok(tip) } else { Err(LogError::Poisoned) });
        }
        if !leftovers.is_empty() {
            self.commit_group(leftovers);
        }
    }

    fn write_durably(&mut self) -> Result<(), LogError> {
        if self.shared.poisoned.load(Ordering::Acquire) {
            return Err(LogError::Poisoned);
        }
        self.active.append(&self.buf)?;
        match self.shared.options.sync {
            SyncMode::Always => self.active.sync()?,
            SyncMode::Interval(_) => {
                self.dirty_since.get_or_insert_with(Instant::now);
            }
            SyncMode::Never => {}
        }
        Ok(())
    }

    fn publish(&self, metas: &[(ShardKey, BatchMeta)]) {
        {
            let mut segs = self.shared.segments.write().expect("lock");
            if let Some(seg) = segs.get_mut(&self.active_id) {
                for (k, m) in metas {
                    let newest = seg.newest_by_stream.entry(k.stream).or_insert(m.arrival_ms);
                    *newest = (*newest).max(m.arrival_ms);
                }
            }
        }
        let mut index = self.shared.index.write().expect("lock");
        for (k, m) in metas {
            let s = index.entry(*k).or_default();
            s.batches.push_back(*m);
            s.next_counter = m.first_counter + u64::from(m.count);
            s.last_arrival_ms = m.arrival_ms;
        }
        drop(index);
        let watchers = self.shared.watchers.lock().expect("lock");
        if !watchers.is_empty() {
            for (k, m) in metas {
                if let Some(tx) = watchers.get(k) {
                    tx.send_replace(m.first_counter + u64::from(m.count));
                }
            }
        }
    }

    /// Seals the active segment when it is big or old enough and starts the next one.
    fn maybe_roll(&mut self, now: i64) -> Result<(), LogError> {
        let opts = &self.shared.options;
        let full = self.active.len() >= opts.segment_bytes;
        let old = now - self.active_created_ms >= opts.segment_max_age_ms;
        if !(full || old) {
            return Ok(());
        }
        if self.dirty_since.is_some() {
            self.active.sync()?;
            self.dirty_since = None;
        }
        let id = self.active_id + 1;
        let file = self.shared.storage.create(&segment_name(id))?;
        self.shared
            .segments
            .write()
            .expect("lock")
            .insert(id, Segment { file: file.clone(), created_ms: now, newest_by_stream: HashMap::new() });
        self.active_id = id;
        self.active = file;
        self.active_created_ms = now;
        self.write_checkpoint()
    }

    /// Writes and syncs the checkpoint that opens a segment: every live shard's tip.
    fn write_checkpoint(&mut self) -> Result<(), LogError> {
        let mut marks: Vec<ShardMark> = self
            .tips
            .iter()
            .map(|(k, (next, last))| ShardMark { key: *k, next_counter: *next, last_arrival_ms: *last })
            .collect();
        marks.sort_by_key(|m| m.key);
        self.buf.clear();
        let start = format::begin_entry(&mut self.buf);
        format::put_checkpoint(&mut self.buf, &marks);
        format::finish_entry(&mut self.buf, start);
        self.active.append(&self.buf)?;
        self.active.sync()?;
        Ok(())
    }
}
