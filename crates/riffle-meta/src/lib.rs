//! The catalog of streams: their shards with hash ranges and lineage, retention, tags and
//! status. The [`MetaStore`] trait is the boundary; [`RedbStore`] is the embedded default, one
//! redb file in the data directory. Every write is its own durable transaction.
//!
//! Records are stored as JSON values so that fields can be added without a migration: new
//! fields carry `#[serde(default)]`.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const STREAMS: TableDefinition<&str, &[u8]> = TableDefinition::new("streams");
const VALUES: TableDefinition<&str, &[u8]> = TableDefinition::new("values");
const LEASES: TableDefinition<&str, &[u8]> = TableDefinition::new("leases");

/// A consumer application's lease on one shard (the lease-coordination extension): who holds
/// it, a counter that every change bumps (for compare-and-set), and the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    pub stream_uid: u64,
    pub application: String,
    pub lease_key: String,
    pub owner: Option<String>,
    pub counter: u64,
    pub checkpoint: Option<String>,
    pub checkpoint_sub_sequence: Option<u64>,
    pub parents: Vec<String>,
}

impl LeaseRecord {
    fn storage_key(&self) -> String {
        lease_storage_key(self.stream_uid, &self.application, &self.lease_key)
    }
}

fn lease_storage_key(stream_uid: u64, application: &str, lease_key: &str) -> String {
    format!("{stream_uid:016x}/{application}/{lease_key}")
}

/// Errors of the metadata layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    #[error("metadata store failed: {0}")]
    Store(String),
    #[error("metadata record is unreadable: {0}")]
    Decode(#[from] serde_json::Error),
}

impl MetaError {
    fn store(e: impl std::fmt::Display) -> Self {
        MetaError::Store(e.to_string())
    }
}

/// Lifecycle states, as AWS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StreamStatus {
    Creating,
    Deleting,
    Active,
    Updating,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Creating => "CREATING",
            StreamStatus::Deleting => "DELETING",
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
        }
    }
}

/// Capacity modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamMode {
    Provisioned,
    OnDemand,
}

impl StreamMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand => "ON_DEMAND",
        }
    }
}

/// One shard of a stream. Hash keys are kept as decimal strings in the stored JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    #[serde(with = "u128_string")]
    pub start_hash: u128,
    #[serde(with = "u128_string")]
    pub end_hash: u128,
    pub created_ms: i64,
    #[serde(default)]
    pub parent: Option<u32>,
    #[serde(default)]
    pub adjacent_parent: Option<u32>,
    /// Set when the shard is closed: the counter of its last record (0 if it never had one).
    #[serde(default)]
    pub closed_at_counter: Option<u64>,
    /// When the shard was closed (epoch ms).
    #[serde(default)]
    pub closed_ms: Option<i64>,
}

impl ShardRecord {
    /// An open shard with no parents.
    pub fn new(index: u32, start_hash: u128, end_hash: u128, created_ms: i64) -> Self {
        ShardRecord {
            index,
            start_hash,
            end_hash,
            created_ms,
            parent: None,
            adjacent_parent: None,
            closed_at_counter: None,
            closed_ms: None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.closed_at_counter.is_none()
    }
}

/// Identifies a stream: account, region and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamKey {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl StreamKey {
    fn storage_key(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.name)
    }
}

/// Everything the catalog knows about a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRecord {
    /// Internal id, never reused; the log keys shards by it.
    pub uid: u64,
    pub key: StreamKey,
    pub status: StreamStatus,
    pub mode: StreamMode,
    pub created_ms: i64,
    pub retention_hours: u32,
    pub shards: Vec<ShardRecord>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub shard_level_metrics: Vec<String>,
    #[serde(default = "default_max_record_kib")]
    pub max_record_size_kib: u32,
    /// When the current CREATING/DELETING/UPDATING state ends (epoch ms).
    #[serde(default)]
    pub transition_until_ms: Option<i64>,
    /// When UpdateShardCount ran (epoch ms), for AWS's limit of ten per rolling 24 hours.
    #[serde(default)]
    pub scalings_ms: Vec<i64>,
    /// Warm throughput of an ON_DEMAND stream (MiB/s), when set.
    #[serde(default)]
    pub warm_throughput_mibps: Option<u32>,
    /// The KMS KeyId new records are encrypted under, while encryption is on.
    #[serde(default)]
    pub encryption_key_id: Option<String>,
    /// When a new encryption key was applied (epoch ms), for AWS's 25 per rolling 24 hours.
    #[serde(default)]
    pub key_changes_ms: Vec<i64>,
    /// The stream's resource policy (JSON), if one was put.
    #[serde(default)]
    pub resource_policy: Option<String>,
    /// Registered enhanced fan-out consumers.
    #[serde(default)]
    pub consumers: Vec<ConsumerRecord>,
}

/// An enhanced fan-out consumer of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerRecord {
    pub name: String,
    /// `arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<creation epoch s>`.
    pub arn: String,
    pub status: StreamStatus,
    pub created_ms: i64,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

fn default_max_record_kib() -> u32 {
    1024
}

impl StreamRecord {
    /// A new ACTIVE stream whose shards cover `ranges` (inclusive hash-key ranges, in order),
    /// with AWS's defaults: 24-hour retention, 1 MiB records, no tags, no encryption.
    pub fn new(uid: u64, key: StreamKey, mode: StreamMode, ranges: &[(u128, u128)], created_ms: i64) -> Self {
        StreamRecord {
            uid,
            key,
            status: StreamStatus::Active,
            mode,
            created_ms,
            retention_hours: 24,
            shards: ranges
                .iter()
                .enumerate()
                .map(|(i, (s, e))| ShardRecord::new(i as u32, *s, *e, created_ms))
                .collect(),
            tags: BTreeMap::new(),
            shard_level_metrics: Vec::new(),
            max_record_size_kib: default_max_record_kib(),
            transition_until_ms: None,
            scalings_ms: Vec::new(),
            warm_throughput_mibps: None,
            encryption_key_id: None,
            key_changes_ms: Vec::new(),
            resource_policy: None,
            consumers: Vec::new(),
        }
    }

    pub fn open_shards(&self) -> impl Iterator<Item = &ShardRecord> {
        self.shards.iter().filter(|s| s.is_open())
    }
}

/// The metadata boundary. Implementations must make each call durable before returning.
pub trait MetaStore: Send + Sync {
    fn load_streams(&self) -> Result<Vec<StreamRecord>, MetaError>;
    fn put_stream(&self, stream: &StreamRecord) -> Result<(), MetaError>;
    fn delete_stream(&self, key: &StreamKey) -> Result<(), MetaError>;
    fn get_value(&self, name: &str) -> Result<Option<Vec<u8>>, MetaError>;
    fn put_value(&self, name: &str, value: &[u8]) -> Result<(), MetaError>;
    fn load_leases(&self) -> Result<Vec<LeaseRecord>, MetaError>;
    fn put_lease(&self, lease: &LeaseRecord) -> Result<(), MetaError>;
    fn delete_lease(&self, stream_uid: u64, application: &str, lease_key: &str) -> Result<(), MetaError>;
}

/// The embedded store: one redb database file.
pub struct RedbStore {
    db: Database,
}

impl RedbStore {
    pub fn open(path: &Path) -> Result<Self, MetaError> {
        let db = Database::create(path).map_err(MetaError::store)?;
        let txn = db.begin_write().map_err(MetaError::store)?;
        txn.open_table(STREAMS).map_err(MetaError::store)?;
        txn.open_table(VALUES).map_err(MetaError::store)?;
        txn.open_table(LEASES).map_err(MetaError::store)?;
        txn.commit().map_err(MetaError::store)?;
        Ok(RedbStore { db })
    }

    fn put(&self, table: TableDefinition<&str, &[u8]>, key: &str, value: &[u8]) -> Result<(), MetaError> {
        let txn = self.db.begin_write().map_err(MetaError::store)?;
        txn.open_table(table).map_err(MetaError::store)?.insert(key, value).map_err(MetaError::store)?;
        txn.commit().map_err(MetaError::store)
    }
}

impl MetaStore for RedbStore {
    fn load_streams(&self) -> Result<Vec<StreamRecord>, MetaError> {
        let txn = self.db.begin_read().map_err(MetaError::store)?;
        let table = txn.open_table(STREAMS).map_err(MetaError::store)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(MetaError::store)? {
            let (_, v) = row.map_err(MetaError::store)?;
            out.push(serde_json::from_slice(v.value())?);
        }
        Ok(out)
    }

    fn put_stream(&self, stream: &StreamRecord) -> Result<(), MetaError> {
        self.put(STREAMS, &stream.key.storage_key(), &serde_json::to_vec(stream)?)
    }

    fn delete_stream(&self, key: &StreamKey) -> Result<(), MetaError> {
        let txn = self.db.begin_write().map_err(MetaError::store)?;
        txn.open_table(STREAMS)
            .map_err(MetaError::store)?
            .remove(key.storage_key().as_str())
            .map_err(MetaError::store)?;
        txn.commit().map_err(MetaError::store)
    }

    fn get_value(&self, name: &str) -> Result<Option<Vec<u8>>, MetaError> {
        let txn = self.db.begin_read().map_err(MetaError::store)?;
        let table = txn.open_table(VALUES).map_err(MetaError::store)?;
        Ok(table.get(name).map_err(MetaError::store)?.map(|v| v.value().to_vec()))
    }

    fn put_value(&self, name: &str, value: &[u8]) -> Result<(), MetaError> {
        self.put(VALUES, name, value)
    }

    fn load_leases(&self) -> Result<Vec<LeaseRecord>, MetaError> {
        let txn = self.db.begin_read().map_err(MetaError::store)?;
        let table = txn.open_table(LEASES).map_err(MetaError::store)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(MetaError::store)? {
            let (_, v) = row.map_err(MetaError::store)?;
            out.push(serde_json::from_slice(v.value())?);
        }
        Ok(out)
    }

    fn put_lease(&self, lease: &LeaseRecord) -> Result<(), MetaError> {
        self.put(LEASES, &lease.storage_key(), &serde_json::to_vec(lease)?)
    }

    fn delete_lease(&self, stream_uid: u64, application: &str, lease_key: &str) -> Result<(), MetaError> {
        let txn = self.db.begin_write().map_err(MetaError::store)?;
        txn.open_table(LEASES)
            .map_err(MetaError::store)?
            .remove(lease_storage_key(stream_uid, application, lease_key).as_str())
            .map_err(MetaError::store)?;
        txn.commit().map_err(MetaError::store)
    }
}

mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> StreamRecord {
        let key = StreamKey { account: "000000000000".into(), region: "us-east-1".into(), name: name.into() };
        let mut s = StreamRecord::new(7, key, StreamMode::Provisioned, &[(0, u128::MAX)], 1);
        s.tags.insert("k".into(), "v".into());
        s
    }

    #[test]
    fn streams_and_values_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.redb");
        {
            let store = RedbStore::open(&path).unwrap();
            store.put_stream(&sample("a")).unwrap();
            store.put_stream(&sample("b")).unwrap();
            store.delete_stream(&sample("a").key).unwrap();
            store.put_value("next-uid", b"8").unwrap();
        }
        let store = RedbStore::open(&path).unwrap();
        let all = store.load_streams().unwrap();
        assert_eq!(all, vec![sample("b")]);
        assert_eq!(store.get_value("next-uid").unwrap().as_deref(), Some(&b"8"[..]));
        assert_eq!(store.get_value("missing").unwrap(), None);
    }

    #[test]
    fn leases_survive_reopen_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.redb");
        let lease = |key: &str| LeaseRecord {
            stream_uid: 3,
            application: "app".into(),
            lease_key: key.into(),
            owner: Some("w1".into()),
            counter: 4,
            checkpoint: Some("TRIM_HORIZON".into()),
            checkpoint_sub_sequence: None,
            parents: vec!["p".into()],
        };
        {
            let store = RedbStore::open(&path).unwrap();
            store.put_lease(&lease("a")).unwrap();
            store.put_lease(&lease("b")).unwrap();
            store.delete_lease(3, "app", "a").unwrap();
        }
        assert_eq!(RedbStore::open(&path).unwrap().load_leases().unwrap(), vec![lease("b")]);
    }
}
