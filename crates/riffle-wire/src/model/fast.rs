//! Fast paths for the hot operations.
//!
//! - Requests (PutRecord, PutRecords): decode the JSON body straight into the typed input,
//!   borrowing strings from the body and decoding each blob once, and check every constraint
//!   of the member table in code. Anything unusual (a wrong type, a missing or out-of-range
//!   member, bad base64) returns `None`, and the generic path then answers with AWS's exact
//!   error. A property test holds the two paths to agreeing.
//! - Replies (GetRecords): write the JSON directly, base64-encoding each blob straight into
//!   the reply buffer. Base64 text needs no escaping, so the escape scan serde_json runs over
//!   every string is skipped for the bulk of the bytes. A property test holds the output
//!   byte-for-byte equal to serde's.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::kinesis::{ChildShard, GetRecordsOutput, PutRecordInput, PutRecordsEntry, PutRecordsInput, StreamRef};
use crate::codec::Codec;
use crate::schema::patterns;
use crate::types::Blob;

const DATA_MAX: usize = 10_485_760;

#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(rename = "StreamName", borrow, default)]
    stream_name: Option<Cow<'a, str>>,
    #[serde(rename = "StreamARN", borrow, default)]
    stream_arn: Option<Cow<'a, str>>,
    #[serde(rename = "StreamId", borrow, default)]
    stream_id: Option<Cow<'a, str>>,
}

impl Stream<'_> {
    /// The stream reference if its members are valid, and the guard's view.
    fn check(self) -> Option<(StreamRef, Value)> {
        let name_ok = |n: &str| patterns::name(n) && n.chars().count() <= 128;
        if self.stream_name.is_none() && self.stream_arn.is_none() {
            return None;
        }
        if self.stream_name.as_deref().is_some_and(|n| !name_ok(n))
            || self.stream_arn.as_deref().is_some_and(|a| !patterns::stream_arn(a) || a.len() > 2048)
            || self.stream_id.as_deref().is_some_and(|i| !patterns::stream_id(i))
        {
            return None;
        }
        let mut view = serde_json::Map::new();
        if let Some(n) = &self.stream_name {
            view.insert("StreamName".into(), json!(n));
        }
        if let Some(a) = &self.stream_arn {
            view.insert("StreamARN".into(), json!(a));
        }
        Some((
            StreamRef {
                stream_name: self.stream_name.map(Cow::into_owned),
                stream_arn: self.stream_arn.map(Cow::into_owned),
            },
            Value::Object(view),
        ))
    }
}

fn blob(b64: &str) -> Option<Blob> {
    let data = base64_simd::STANDARD.decode_to_vec(b64.as_bytes()).ok()?;
    (data.len() <= DATA_MAX).then(|| Blob(Bytes::from(data)))
}

fn partition_key(pk: Cow<'_, str>) -> Option<String> {
    (1..=256).contains(&pk.chars().count()).then(|| pk.into_owned())
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "Data", borrow)]
    data: Cow<'a, str>,
    #[serde(rename = "PartitionKey", borrow)]
    partition_key: Cow<'a, str>,
    #[serde(rename = "ExplicitHashKey", borrow, default)]
    explicit_hash_key: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Records<'a> {
    #[serde(borrow, flatten)]
    stream: Stream<'a>,
    #[serde(rename = "Records", borrow)]
    records: Vec<Entry<'a>>,
}

pub fn put_records(body: &[u8]) -> Option<(PutRecordsInput, Value)> {
    let r: Records<'_> = serde_json::from_slice(body).ok()?;
    if !(1..=500).contains(&r.records.len()) {
        return None;
    }
    // Every blob is decoded into one buffer, and each record's data is a slice of it: one
    // allocation per request, not one per record.
    let b64 = base64_simd::STANDARD;
    let mut arena = Vec::with_capacity(r.records.iter().map(|e| b64.estimated_decoded_length(e.data.len())).sum());
    let mut ends = Vec::with_capacity(r.records.len());
    for e in &r.records {
        let start = arena.len();
        b64.decode_append(e.data.as_bytes(), &mut arena).ok()?;
        if arena.len() - start > DATA_MAX {
            return None;
        }
        ends.push(arena.len());
    }
    let arena = Bytes::from(arena);
    let mut records = Vec::with_capacity(r.records.len());
    let mut start = 0;
    for (e, end) in r.records.into_iter().zip(ends) {
        if e.explicit_hash_key.as_deref().is_some_and(|h| !patterns::hash_key(h)) {
            return None;
        }
        records.push(PutRecordsEntry {
            data: Blob(arena.slice(start..end)),
            partition_key: partition_key(e.partition_key)?,
            explicit_hash_key: e.explicit_hash_key.map(Cow::into_owned),
        });
        start = end;
    }
    let (stream, view) = r.stream.check()?;
    Some((PutRecordsInput { stream, records }, view))
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, flatten)]
    stream: Stream<'a>,
    #[serde(rename = "Data", borrow)]
    data: Cow<'a, str>,
    #[serde(rename = "PartitionKey", borrow)]
    partition_key: Cow<'a, str>,
    #[serde(rename = "ExplicitHashKey", borrow, default)]
    explicit_hash_key: Option<Cow<'a, str>>,
    #[serde(rename = "SequenceNumberForOrdering", borrow, default)]
    sequence_number_for_ordering: Option<Cow<'a, str>>,
}

pub fn put_record(body: &[u8]) -> Option<(PutRecordInput, Value)> {
    let r: Record<'_> = serde_json::from_slice(body).ok()?;
    if r.explicit_hash_key.as_deref().is_some_and(|h| !patterns::hash_key(h))
        || r.sequence_number_for_ordering.as_deref().is_some_and(|s| !patterns::sequence_number(s))
    {
        return None;
    }
    let data = blob(&r.data)?;
    let partition_key = partition_key(r.partition_key)?;
    let (stream, view) = r.stream.check()?;
    Some((
        PutRecordInput {
            stream,
            data,
            partition_key,
            explicit_hash_key: r.explicit_hash_key.map(Cow::into_owned),
            sequence_number_for_ordering: r.sequence_number_for_ordering.map(Cow::into_owned),
        },
        view,
    ))
}

/// The members of GetRecordsOutput after `Records`, in serde's order, so they encode exactly
/// as the derived serializer would.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsTail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    next_shard_iterator: &'a Option<String>,
    millis_behind_latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    child_shards: &'a Option<Vec<ChildShard>>,
}

/// Encodes a GetRecords reply: the same bytes as `codec.encode(out)`, written directly for JSON.
pub fn get_records_output(out: &GetRecordsOutput, codec: Codec) -> Vec<u8> {
    if codec != Codec::Json {
        return codec.encode(out);
    }
    let size: usize = out
        .records
        .iter()
        .map(|r| base64::encoded_len(r.data.0.len(), true).unwrap_or(0) + r.partition_key.0.len() + 160)
        .sum();
    let mut w = Vec::with_capacity(size + 512);
    w.extend_from_slice(b"{\"Records\":[");
    for (i, r) in out.records.iter().enumerate() {
        w.extend_from_slice(if i == 0 { b"{\"SequenceNumber\":" } else { b",{\"SequenceNumber\":" });
        json(&mut w, &r.sequence_number);
        w.extend_from_slice(b",\"ApproximateArrivalTimestamp\":");
        json(&mut w, &r.approximate_arrival_timestamp);
        w.extend_from_slice(b",\"Data\":\"");
        base64_simd::STANDARD.encode_append(&r.data.0, &mut w);
        w.extend_from_slice(b"\",\"PartitionKey\":");
        json(&mut w, &r.partition_key.as_str());
        if let Some(e) = r.encryption_type {
            w.extend_from_slice(b",\"EncryptionType\":");
            json(&mut w, e);
        }
        w.push(b'}');
    }
    w.extend_from_slice(b"],");
    let tail = GetRecordsTail {
        next_shard_iterator: &out.next_shard_iterator,
        millis_behind_latest: out.millis_behind_latest,
        child_shards: &out.child_shards,
    };
    let at = w.len();
    serde_json::to_writer(&mut w, &tail).expect("shapes always serialize");
    w.remove(at); // the tail's own opening brace
    w
}

/// Appends `v` as serde_json writes it.
fn json<T: serde::Serialize + ?Sized>(w: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(w, v).expect("shapes always serialize");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinesis::{HashKeyRange, PutRecord, PutRecords, Record};
    use crate::router::Operation;
    use crate::types::{Text, Timestamp};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    /// The generic path's verdict: Ok(input) or the error code.
    fn generic<O: Operation>(body: &[u8]) -> Result<O::Input, &'static str> {
        let mut v = Codec::Json.decode(body).map_err(|e| e.code)?;
        crate::schema::check(O::MEMBERS, &mut v).map_err(|e| e.code)?;
        serde_json::from_value(v).map_err(|_| "SerializationException")
    }

    fn entry() -> impl Strategy<Value = serde_json::Value> {
        (
            prop_oneof![
                Just(json!("aGk=")),
                Just(json!("")),
                Just(json!("a")),
                Just(json!(null)),
                Just(json!(1)),
                Just(json!("+/+=")),
                Just(json!("aGl=")),
                Just(json!("aR==")),
                Just(json!("aGk")),
                Just(json!("a===")),
                Just(json!(" aGk=")),
                Just(json!("aGk=\n"))
            ],
            prop_oneof![
                Just(json!("k")),
                Just(json!("")),
                Just(json!("x".repeat(257))),
                Just(json!(null)),
                Just(json!(true))
            ],
            prop_oneof![Just(None), Just(Some(json!("0"))), Just(Some(json!("01"))), Just(Some(json!(7)))],
        )
            .prop_map(|(d, k, h)| {
                let mut m = serde_json::Map::new();
                if !d.is_null() {
                    m.insert("Data".into(), d);
                }
                if !k.is_null() {
                    m.insert("PartitionKey".into(), k);
                }
                if let Some(h) = h {
                    m.insert("ExplicitHashKey".into(), h);
                }
                Value::Object(m)
            })
    }

    proptest! {
        #[test]
        fn fast_path_never_accepts_what_the_generic_path_rejects(
            entries in prop::collection::vec(entry(), 0..4),
            name in prop_oneof![Just(None), Just(Some(json!("s"))), Just(Some(json!(""))), Just(Some(json!("a b"))), Just(Some(json!(5)))],
            arn in prop_oneof![Just(None), Just(Some(json!("arn:aws:kinesis:us-east-1:123456789012:stream/s"))), Just(Some(json!("arn:x")))],
        ) {
            let mut m = serde_json::Map::new();
            if let Some(n) = name.clone() { m.insert("StreamName".into(), n); }
            if let Some(a) = arn.clone() { m.insert("StreamARN".into(), a); }
            m.insert("Records".into(), Value::Array(entries.clone()));
            let body = serde_json::to_vec(&Value::Object(m.clone())).unwrap();
            if let Some((fast, _)) = put_records(&body) {
                let slow = generic::<PutRecords>(&body).expect("the generic path must accept what the fast path accepts");
                prop_assert_eq!(fast.records.len(), slow.records.len());
                for (a, b) in fast.records.iter().zip(&slow.records) {
                    prop_assert_eq!(&a.data, &b.data);
                    prop_assert_eq!(&a.partition_key, &b.partition_key);
                }
            }
            // The same for PutRecord, from the first entry's members.
            if let Some(Value::Object(e)) = entries.first() {
                let mut r = e.clone();
                if let Some(n) = name { r.insert("StreamName".into(), n); }
                if let Some(a) = arn { r.insert("StreamARN".into(), a); }
                let body = serde_json::to_vec(&Value::Object(r)).unwrap();
                if let Some((fast, _)) = put_record(&body) {
                    let slow = generic::<PutRecord>(&body).expect("generic must accept");
                    prop_assert_eq!(fast.data, slow.data);
                }
            }
        }
    }

    fn record() -> impl Strategy<Value = Record> {
        (
            "[0-9]{1,56}",
            any::<i64>().prop_map(|t| t % 4_000_000_000_000),
            prop::collection::vec(any::<u8>(), 0..300),
            "\\PC{0,8}|[\\x00-\\x1f\"\\\\/]{0,4}",
            prop::option::of(Just("KMS")),
        )
            .prop_map(|(seq, at, data, key, enc)| Record {
                sequence_number: seq,
                approximate_arrival_timestamp: Timestamp(at),
                data: Blob(Bytes::from(data)),
                partition_key: Text(Bytes::from(key)),
                encryption_type: enc,
            })
    }

    proptest! {
        #[test]
        fn get_records_writer_matches_serde(
            records in prop::collection::vec(record(), 0..5),
            next in prop::option::of("[A-Za-z0-9+/=]{1,40}"),
            behind in any::<i64>(),
            children in prop::option::of(prop::collection::vec(("[a-z0-9-]{1,20}", "[0-9]{1,39}"), 0..3)),
        ) {
            let out = GetRecordsOutput {
                records,
                next_shard_iterator: next,
                millis_behind_latest: behind,
                child_shards: children.map(|c| c.into_iter().map(|(id, h)| ChildShard {
                    shard_id: id.clone(),
                    parent_shards: vec![id],
                    hash_key_range: HashKeyRange { starting_hash_key: "0".into(), ending_hash_key: h },
                }).collect()),
            };
            prop_assert_eq!(
                String::from_utf8(get_records_output(&out, Codec::Json)).unwrap(),
                String::from_utf8(Codec::Json.encode(&out)).unwrap()
            );
            prop_assert_eq!(get_records_output(&out, Codec::Cbor), Codec::Cbor.encode(&out));
            // And the blobs are standard base64 of the data, checked with the other decoder.
            let v: Value = serde_json::from_slice(&get_records_output(&out, Codec::Json)).unwrap();
            for (r, j) in out.records.iter().zip(v["Records"].as_array().unwrap()) {
                prop_assert_eq!(STANDARD.decode(j["Data"].as_str().unwrap()).unwrap(), r.data.0.to_vec());
            }
        }
    }

    #[test]
    fn common_requests_take_the_fast_path() {
        let body = br#"{"StreamName":"s","Records":[{"Data":"aGk=","PartitionKey":"k"},{"Data":"","PartitionKey":"\u00e9","ExplicitHashKey":"5"}]}"#;
        let (input, view) = put_records(body).expect("fast");
        assert_eq!(input.records[0].data.0, Bytes::from_static(b"hi"));
        assert_eq!(input.records[1].partition_key, "é");
        assert_eq!(view, json!({"StreamName": "s"}));
        assert!(
            put_record(
                br#"{"StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s","Data":"aGk=","PartitionKey":"k"}"#
            )
            .is_some()
        );
        assert!(put_records(br#"{"StreamName":"s","Records":[]}"#).is_none(), "0 records: generic path");
    }
}
