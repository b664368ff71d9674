//! The KPL aggregated-record format: many user records packed into one Kinesis record.
//!
//! An aggregated record is the magic bytes `F3 89 9A C2`, a protobuf `AggregatedRecord`, and the
//! MD5 of those protobuf bytes. It is the format the KPL writes and the KCL, Lambda and the
//! `aws-kinesis-agg` libraries read. Each user record keeps its own partition key (and explicit
//! hash key), stored once in a table and referenced by index. The Kinesis record that carries
//! them uses the first user record's partition key, and an explicit hash key equal to that
//! key's MD5 hash, so it lands on the shard the first user record belongs to.
//!
//! ```
//! use bytes::Bytes;
//! use riffle_client::agg::{Aggregator, UserRecord, deaggregate};
//!
//! let mut agg = Aggregator::new(51_200);
//! for i in 0..3 {
//!     agg.add(UserRecord::new(format!("key-{i}"), Bytes::from(format!("event {i}"))));
//! }
//! let record = agg.finish().expect("three records");
//! let users = deaggregate(&record.data).expect("an aggregated record");
//! assert_eq!(users.len(), 3);
//! assert_eq!(users[1].partition_key, "key-1");
//! assert_eq!(&users[2].data[..], b"event 2");
//! ```

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};
use md5::{Digest, Md5};
use prost::Message;

/// The four bytes every aggregated record starts with.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;

#[derive(Clone, PartialEq, Message)]
struct AggregatedRecord {
    #[prost(string, repeated, tag = "1")]
    partition_key_table: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    explicit_hash_key_table: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    records: Vec<AggRecord>,
}

#[derive(Clone, PartialEq, Message)]
struct AggRecord {
    #[prost(uint64, required, tag = "1")]
    partition_key_index: u64,
    #[prost(uint64, optional, tag = "2")]
    explicit_hash_key_index: Option<u64>,
    #[prost(bytes = "bytes", required, tag = "3")]
    data: Bytes,
    #[prost(message, repeated, tag = "4")]
    tags: Vec<Tag>,
}

#[derive(Clone, PartialEq, Message)]
struct Tag {
    #[prost(string, required, tag = "1")]
    key: String,
    #[prost(string, optional, tag = "2")]
    value: Option<String>,
}

/// One record as the application sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Bytes,
}

impl UserRecord {
    pub fn new(partition_key: impl Into<String>, data: impl Into<Bytes>) -> Self {
        UserRecord { partition_key: partition_key.into(), explicit_hash_key: None, data: data.into() }
    }

    /// The hash key that places this record: its explicit hash key, or the MD5 of its
    /// partition key.
    pub fn hash_key(&self) -> u128 {
        self.explicit_hash_key
            .as_deref()
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| riffle_types::hash::partition_hash(&self.partition_key))
    }
}

/// A record ready for PutRecords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Bytes,
}

/// Bytes of a protobuf varint.
fn varint_len(v: u64) -> usize {
    prost::encoding::encoded_len_varint(v)
}

/// Bytes of a length-delimited field with a one-byte tag.
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Packs user records into one aggregated record, keeping its exact encoded size as it goes.
#[derive(Debug)]
pub struct Aggregator {
    max_bytes: usize,
    message: AggregatedRecord,
    keys: HashMap<String, u64>,
    hash_keys: HashMap<String, u64>,
    /// The encoded protobuf's length so far.
    len: usize,
}

impl Aggregator {
    /// An aggregator whose records stay within `max_bytes` (magic and digest included). The
    /// KPL's default is 51,200; Kinesis allows up to 1 MiB of data and key together.
    pub fn new(max_bytes: usize) -> Self {
        Aggregator {
            max_bytes,
            message: AggregatedRecord::default(),
            keys: HashMap::new(),
            hash_keys: HashMap::new(),
            len: 0,
        }
    }

    /// How many user records are held.
    pub fn len(&self) -> usize {
        self.message.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.message.records.is_empty()
    }

    /// The encoded size of the aggregated record, as [`Aggregator::finish`] would make it.
    pub fn size(&self) -> usize {
        MAGIC.len() + self.len + DIGEST_LEN
    }

    /// The growth of the protobuf if `r` were added.
    fn growth(&self, r: &UserRecord) -> usize {
        let mut grow = 0;
        let pk_index = match self.keys.get(&r.partition_key) {
            Some(i) => *i,
            None => {
                grow += field_len(r.partition_key.len());
                self.keys.len() as u64
            }
        };
        let mut inner = 1 + varint_len(pk_index) + field_len(r.data.len());
        if let Some(h) = &r.explicit_hash_key {
            let index = match self.hash_keys.get(h) {
                Some(i) => *i,
                None => {
                    grow += field_len(h.len());
                    self.hash_keys.len() as u64
                }
            };
            inner += 1 + varint_len(index);
        }
        grow + field_len(inner)
    }

    /// Whether `r` can join without passing the size limit. An empty aggregator takes any
    /// record (one too big to aggregate is sent on its own).
    pub fn fits(&self, r: &UserRecord) -> bool {
        self.is_empty() || self.size() + self.growth(r) <= self.max_bytes
    }

    /// Adds `r` (check [`Aggregator::fits`] first to stay within the limit).
    pub fn add(&mut self, r: UserRecord) {
        self.len += self.growth(&r);
        let next = self.keys.len() as u64;
        let partition_key_index = *self.keys.entry(r.partition_key.clone()).or_insert_with(|| {
            self.message.partition_key_table.push(r.partition_key.clone());
            next
        });
        let explicit_hash_key_index = r.explicit_hash_key.map(|h| {
            let next = self.hash_keys.len() as u64;
            *self.hash_keys.entry(h.clone()).or_insert_with(|| {
                self.message.explicit_hash_key_table.push(h);
                next
            })
        });
        self.message.records.push(AggRecord {
            partition_key_index,
            explicit_hash_key_index,
            data: r.data,
            tags: vec![],
        });
    }

    /// The Kinesis record for everything added so far, and an empty aggregator; `None` when
    /// empty. A single user record is sent as itself, not aggregated, as the KPL does.
    pub fn finish(&mut self) -> Option<KinesisRecord> {
        let message = std::mem::take(&mut self.message);
        self.keys.clear();
        self.hash_keys.clear();
        self.len = 0;
        let first = message.records.first()?;
        let first_key = message.partition_key_table[first.partition_key_index as usize].clone();
        let first_hash = first.explicit_hash_key_index.map(|i| message.explicit_hash_key_table[i as usize].clone());
        if message.records.len() == 1 {
            let data = message.records.into_iter().next().expect("one").data;
            return Some(KinesisRecord { partition_key: first_key, explicit_hash_key: first_hash, data });
        }
        let hash = first_hash.unwrap_or_else(|| riffle_types::hash::partition_hash(&first_key).to_string());
        let body = message.encode_to_vec();
        let mut out = BytesMut::with_capacity(MAGIC.len() + body.len() + DIGEST_LEN);
        out.put_slice(&MAGIC);
        out.put_slice(&body);
        out.put_slice(&Md5::digest(&body));
        Some(KinesisRecord { partition_key: first_key, explicit_hash_key: Some(hash), data: out.freeze() })
    }
}

/// The user records inside `data` if it is an aggregated record (magic, valid protobuf, and a
/// matching digest), in order; `None` for any other record, which is then a user record itself.
pub fn deaggregate(data: &Bytes) -> Option<Vec<UserRecord>> {
    if data.len() < MAGIC.len() + DIGEST_LEN || data[..MAGIC.len()] != MAGIC {
        return None;
    }
    let body = data.slice(MAGIC.len()..data.len() - DIGEST_LEN);
    if Md5::digest(&body)[..] != data[data.len() - DIGEST_LEN..] {
        return None;
    }
    let message = AggregatedRecord::decode(body).ok()?;
    message
        .records
        .into_iter()
        .map(|r| {
            Some(UserRecord {
                partition_key: message.partition_key_table.get(r.partition_key_index as usize)?.clone(),
                explicit_hash_key: match r.explicit_hash_key_index {
                    Some(i) => Some(message.explicit_hash_key_table.get(i as usize)?.clone()),
                    None => None,
                },
                data: r.data,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn user() -> impl Strategy<Value = UserRecord> {
        ("[a-c]{1,3}", prop::option::of("[0-9]{1,5}"), prop::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(k, h, d)| UserRecord { partition_key: k, explicit_hash_key: h, data: Bytes::from(d) })
    }

    proptest! {
        #[test]
        fn round_trips_and_sizes_are_exact(records in prop::collection::vec(user(), 2..40)) {
            let mut agg = Aggregator::new(1 << 20);
            for r in records.clone() {
                agg.add(r);
            }
            let size = agg.size();
            let k = agg.finish().unwrap();
            prop_assert_eq!(k.data.len(), size);
            prop_assert_eq!(&k.partition_key, &records[0].partition_key);
            prop_assert_eq!(k.explicit_hash_key.unwrap().parse::<u128>().unwrap(), records[0].hash_key());
            prop_assert_eq!(deaggregate(&k.data).unwrap(), records);
        }

        #[test]
        fn stays_within_the_limit(records in prop::collection::vec(user(), 1..80), limit in 100usize..2000) {
            let mut agg = Aggregator::new(limit);
            let mut out = Vec::new();
            for r in records.clone() {
                if !agg.fits(&r) {
                    out.push((agg.len(), agg.finish().unwrap()));
                }
                agg.add(r);
            }
            out.push((agg.len(), agg.finish().unwrap()));
            let mut back = Vec::new();
            for (n, k) in out {
                if n > 1 {
                    prop_assert!(k.data.len() <= limit);
                    back.extend(deaggregate(&k.data).unwrap());
                } else {
                    back.push(UserRecord { partition_key: k.partition_key, explicit_hash_key: k.explicit_hash_key, data: k.data });
                }
            }
            prop_assert_eq!(back, records);
        }
    }

    #[test]
    fn plain_and_damaged_records_are_not_aggregated() {
        assert_eq!(deaggregate(&Bytes::from_static(b"hello")), None);
        let mut agg = Aggregator::new(1000);
        agg.add(UserRecord::new("a", Bytes::from_static(b"1")));
        agg.add(UserRecord::new("b", Bytes::from_static(b"2")));
        let good = agg.finish().unwrap().data;
        let mut bad = good.to_vec();
        bad[6] ^= 1;
        assert_eq!(deaggregate(&Bytes::from(bad)), None, "digest mismatch");
        assert_eq!(deaggregate(&good).unwrap().len(), 2);
        assert!(Aggregator::new(10).finish().is_none());
    }
}
