//! Following the files of one flow: which files match, where each was read to, which
//! offsets are acknowledged, rotation and truncation, and the checkpoint file.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use regex::Regex;
use riffle_client::producer::{Producer, PutHandle};
use serde::{Deserialize, Serialize};

use super::FlowConfig;
use super::process::{self, Step};

/// A file, however it is named: device and inode.
type FileId = (u64, u64);

/// Most bytes read from one file per poll.
const READ_CHUNK: u64 = 4 << 20;
/// A file that has not grown for this long gets its last multi-line record or unterminated
/// line sent, and a rotated-away file that is done is let go.
const IDLE: Duration = Duration::from_secs(1);

/// One followed file.
struct Tracked {
    path: PathBuf,
    file: File,
    /// Read up to here.
    read: u64,
    /// Every record ending at or before here is acknowledged.
    acked: u64,
    /// Bytes after the last newline read.
    partial: Vec<u8>,
    /// The multi-line record being built, and where it ends.
    building: Option<(String, u64)>,
    /// Records in flight, oldest first: where each ends, and its outcome (none for records
    /// the processing dropped). `epoch` changes on truncation, so old acknowledgements no
    /// longer move the offset.
    pending: VecDeque<(u32, u64, Option<PutHandle>)>,
    epoch: u32,
    grew: Instant,
    /// No longer matched by the pattern (rotated away or deleted).
    gone: bool,
}

pub struct Flow {
    config: FlowConfig,
    steps: Vec<Step>,
    multiline: Option<Regex>,
    producer: Arc<Producer>,
    hostname: String,
    files: HashMap<FileId, Tracked>,
    first_scan: bool,
}

impl Flow {
    pub fn new(
        config: FlowConfig,
        steps: Vec<Step>,
        producer: Arc<Producer>,
        hostname: String,
    ) -> anyhow::Result<Flow> {
        let multiline = match &config.multi_line_start_pattern {
            Some(p) => Some(Regex::new(p).with_context(|| format!("multiLineStartPattern {p}"))?),
            None => None,
        };
        Ok(Flow { config, steps, multiline, producer, hostname, files: HashMap::new(), first_scan: true })
    }

    pub fn pattern(&self) -> &str {
        &self.config.file_pattern
    }

    /// Finds matching files, then reads what each has that is new.
    pub fn poll(&mut self, checkpoints: &Checkpoints) -> anyhow::Result<()> {
        self.scan(checkpoints)?;
        let ids: Vec<FileId> = self.files.keys().copied().collect();
        for id in ids {
            self.read(id)?;
        }
        // Let go of rotated-away files that are done.
        self.files.retain(|_, t| {
            !(t.gone
                && t.partial.is_empty()
                && t.building.is_none()
                && t.pending.is_empty()
                && t.grew.elapsed() > IDLE * 2
                && t.file.metadata().is_ok_and(|m| m.len() <= t.read))
        });
        Ok(())
    }

    fn scan(&mut self, checkpoints: &Checkpoints) -> anyhow::Result<()> {
        let mut found: Vec<(PathBuf, std::fs::Metadata)> = glob::glob(&self.config.file_pattern)
            .with_context(|| format!("filePattern {}", self.config.file_pattern))?
            .filter_map(Result::ok)
            .filter_map(|p| std::fs::metadata(&p).ok().filter(|m| m.is_file()).map(|m| (p, m)))
            .collect();
        // Oldest first, so a rotated file is drained before its successor.
        found.sort_by_key(|(_, m)| m.modified().ok());
        let mut seen = Vec::new();
        for (path, meta) in found {
            let id = (meta.dev(), meta.ino());
            seen.push(id);
            if let Some(t) = self.files.get_mut(&id) {
                t.path = path;
                continue;
            }
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "cannot open");
                    continue;
                }
            };
            let start = match checkpoints.offset(&self.config.file_pattern, id) {
                Some(off) if off <= meta.len() => off,
                Some(_) => 0, // truncated while the agent was away
                None if self.first_scan && self.config.initial_position == "END_OF_FILE" => meta.len(),
                None => 0,
            };
            tracing::info!(file = %path.display(), offset = start, "following");
            self.files.insert(
                id,
                Tracked {
                    path,
                    file,
                    read: start,
                    acked: start,
                    partial: Vec::new(),
                    building: None,
                    pending: VecDeque::new(),
                    epoch: 0,
                    grew: Instant::now(),
                    gone: false,
                },
            );
        }
        for (id, t) in self.files.iter_mut() {
            t.gone = !seen.contains(id);
        }
        self.first_scan = false;
        Ok(())
    }

    fn read(&mut self, id: FileId) -> anyhow::Result<()> {
        let t = self.files.get_mut(&id).expect("tracked");
        let len = t.file.metadata()?.len();
        // Truncated (copy-then-truncate rotation): shorter than what was read, or no longer
        // a line end just before the read position.
        let mut last = [0u8; 1];
        let rewritten = t.read > 0
            && len >= t.read
            && t.file.read_exact_at(&mut last, t.read - 1).is_ok()
            && last[0] != b'\n'
            && t.partial.is_empty();
        if len < t.read || rewritten {
            tracing::info!(file = %t.path.display(), "truncated; reading from the start");
            t.read = 0;
            t.acked = 0;
            t.partial.clear();
            t.building = None;
            t.epoch += 1;
        }
        let mut records: Vec<(String, u64)> = Vec::new();
        if len > t.read {
            let n = (len - t.read).min(READ_CHUNK);
            let mut buf = vec![0u8; n as usize];
            t.file.read_exact_at(&mut buf, t.read)?;
            let base = t.read;
            t.read += n;
            t.grew = Instant::now();
            let mut start = 0;
            for (i, b) in buf.iter().enumerate() {
                if *b != b'\n' {
                    continue;
                }
                let mut line = std::mem::take(&mut t.partial);
                line.extend_from_slice(&buf[start..i]);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                start = i + 1;
                let end = base + start as u64;
                let line = String::from_utf8_lossy(&line).into_owned();
                match &self.multiline {
                    None => records.push((line, end)),
                    Some(re) => {
                        if re.is_match(&line) || t.building.is_none() {
                            if let Some(done) = t.building.take() {
                                records.push(done);
                            }
                            t.building = Some((line, end));
                        } else if let Some((text, at)) = &mut t.building {
                            text.push('\n');
                            text.push_str(&line);
                            *at = end;
                        }
                    }
                }
            }
            t.partial.extend_from_slice(&buf[start..]);
        } else if t.grew.elapsed() > IDLE {
            // Quiet: the last multi-line record is complete, and a rotated file's last line
            // will never get its newline.
            if let Some(done) = t.building.take() {
                records.push(done);
            }
            if t.gone && !t.partial.is_empty() {
                records.push((String::from_utf8_lossy(&std::mem::take(&mut t.partial)).into_owned(), t.read));
            }
        }
        let file = t.path.display().to_string();
        let epoch = t.epoch;
        let ctx = process::RecordContext { file: &file, hostname: &self.hostname, now_ms: now_ms() };
        let mut out = Vec::with_capacity(records.len());
        for (text, end) in records {
            let data = self.steps.iter().try_fold(text, |r, s| s.apply(r, &ctx));
            let handle = data.map(|d| {
                let key = match self.config.partition_key_option.as_str() {
                    "DETERMINISTIC" => format!("{:032x}", riffle_types::hash::partition_hash(&d)),
                    _ => format!("{:016x}", rand::random::<u64>()),
                };
                self.producer.put(key, Bytes::from(d))
            });
            out.push((epoch, end, handle));
        }
        self.files.get_mut(&id).expect("tracked").pending.extend(out);
        Ok(())
    }

    /// Moves each file's acknowledged offset past the records that are done, in order.
    pub fn ack(&mut self) {
        for t in self.files.values_mut() {
            while let Some((epoch, end, handle)) = t.pending.front_mut() {
                let done = match handle {
                    None => true,
                    Some(h) => match h.try_outcome() {
                        None => false,
                        Some(Ok(_)) => true,
                        Some(Err(e)) => {
                            tracing::error!(file = %t.path.display(), error = %e, "a record failed for good");
                            true
                        }
                    },
                };
                if !done {
                    break;
                }
                if *epoch == t.epoch {
                    t.acked = *end;
                }
                t.pending.pop_front();
            }
        }
    }

    /// Waits for every record in flight (after the producer was flushed).
    pub async fn finish(&mut self) {
        for t in self.files.values_mut() {
            while let Some((epoch, end, handle)) = t.pending.pop_front() {
                if let Some(h) = handle
                    && let Err(e) = h.await
                {
                    tracing::error!(file = %t.path.display(), error = %e, "a record failed for good");
                }
                if epoch == t.epoch {
                    t.acked = end;
                }
            }
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
struct Mark {
    dev: u64,
    ino: u64,
    path: PathBuf,
    offset: u64,
}

/// The state file: per flow pattern, each followed file's acknowledged offset.
#[derive(Debug, Default)]
pub struct Checkpoints {
    path: PathBuf,
    flows: HashMap<String, Vec<Mark>>,
    dirty: bool,
}

impl Checkpoints {
    pub fn load(path: &Path) -> anyhow::Result<Checkpoints> {
        let flows = match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b).with_context(|| format!("parsing {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Checkpoints { path: path.to_path_buf(), flows, dirty: false })
    }

    fn offset(&self, pattern: &str, id: FileId) -> Option<u64> {
        self.flows.get(pattern)?.iter().find(|m| (m.dev, m.ino) == id).map(|m| m.offset)
    }

    pub fn update(&mut self, flows: &[Flow]) {
        for f in flows {
            let mut marks: Vec<Mark> = f
                .files
                .iter()
                .map(|(id, t)| Mark { dev: id.0, ino: id.1, path: t.path.clone(), offset: t.acked })
                .collect();
            marks.sort_by(|a, b| a.path.cmp(&b.path));
            if self.flows.get(&f.config.file_pattern) != Some(&marks) {
                self.flows.insert(f.config.file_pattern.clone(), marks);
                self.dirty = true;
            }
        }
    }

    /// Writes the state file atomically (a temporary file, fsynced, then renamed).
    pub fn save(&mut self) -> anyhow::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(&self.flows)?)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path).with_context(|| format!("writing {}", self.path.display()))?;
        self.dirty = false;
        Ok(())
    }
}
