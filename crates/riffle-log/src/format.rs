//! The bytes of one log entry. See docs/storage-format.md for the full specification.
//!
//! ```text
//! entry  := magic:u32 body_len:u32 crc32:u32 body            (little-endian; crc32 = IEEE over body)
//! body   := 0x01 batch | 0x02 checkpoint | 0x03 labelled batch
//! batch  := stream:u64 shard:u32 first_counter:u64 arrival_ms:i64 count:u32 record*count
//! labelled batch := the batch fields, with label_len:u16 label:[u8] between count and the
//!           records; the label is opaque to the log (the streams layer names the key that
//!           encrypted the records' data)
//! record := pk_len:u16 pk:[u8] data_len:u32 data:[u8]
//! checkpoint := n:u32 (stream:u64 shard:u32 next_counter:u64 last_arrival_ms:i64)*n
//! ```

use bytes::{Buf, BufMut, Bytes};

pub const MAGIC: u32 = 0x3146_4c52; // "RLF1" little-endian
pub const HEADER_LEN: usize = 12;
/// Largest body we will ever write; anything larger on disk is corruption.
pub const MAX_BODY: u32 = 64 << 20;

pub const KIND_BATCH: u8 = 1;
pub const KIND_CHECKPOINT: u8 = 2;
pub const KIND_LABELLED_BATCH: u8 = 3;

/// The fixed part of a batch body after the kind byte.
pub const BATCH_FIXED: usize = 8 + 4 + 8 + 8 + 4;

/// Identifies a shard across the whole log: the stream's internal id and the shard index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardKey {
    pub stream: u64,
    pub shard: u32,
}

/// The decoded header of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub key: ShardKey,
    pub first_counter: u64,
    pub arrival_ms: i64,
    pub count: u32,
}

/// One shard's position as a checkpoint records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardMark {
    pub key: ShardKey,
    pub next_counter: u64,
    pub last_arrival_ms: i64,
}

/// A decoded entry body.
#[derive(Debug)]
pub enum Entry {
    Batch(BatchHeader),
    Checkpoint(Vec<ShardMark>),
}

/// Starts an entry in `buf`; returns the offset to pass to [`finish_entry`].
pub fn begin_entry(buf: &mut Vec<u8>) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&[0u8; HEADER_LEN]);
    start
}

/// Fills in the header of the entry that began at `start`.
pub fn finish_entry(buf: &mut [u8], start: usize) {
    let body = &buf[start + HEADER_LEN..];
    let len = body.len() as u32;
    let crc = crc32fast::hash(body);
    let mut h = &mut buf[start..start + HEADER_LEN];
    h.put_u32_le(MAGIC);
    h.put_u32_le(len);
    h.put_u32_le(crc);
}

/// Writes a batch's fixed fields, and its label (at most 65,535 bytes) if it has one.
pub fn put_batch_header(buf: &mut Vec<u8>, h: &BatchHeader, label: Option<&[u8]>) {
    buf.put_u8(if label.is_some() { KIND_LABELLED_BATCH } else { KIND_BATCH });
    buf.put_u64_le(h.key.stream);
    buf.put_u32_le(h.key.shard);
    buf.put_u64_le(h.first_counter);
    buf.put_i64_le(h.arrival_ms);
    buf.put_u32_le(h.count);
    if let Some(label) = label {
        buf.put_u16_le(label.len() as u16);
        buf.extend_from_slice(label);
    }
}

pub fn put_record(buf: &mut Vec<u8>, partition_key: &[u8], data: &[u8]) {
    buf.put_u16_le(partition_key.len() as u16);
    buf.extend_from_slice(partition_key);
    buf.put_u32_le(data.len() as u32);
    buf.extend_from_slice(data);
}

pub fn put_checkpoint(buf: &mut Vec<u8>, marks: &[ShardMark]) {
    buf.put_u8(KIND_CHECKPOINT);
    buf.put_u32_le(marks.len() as u32);
    for m in marks {
        buf.put_u64_le(m.key.stream);
        buf.put_u32_le(m.key.shard);
        buf.put_u64_le(m.next_counter);
        buf.put_i64_le(m.last_arrival_ms);
    }
}

/// Why bytes do not form a valid entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Fewer bytes than the header or the body length needs: a torn tail.
    Short,
    /// Bad magic, impossible length, CRC mismatch or malformed body.
    Corrupt,
}

/// Parses the header at the start of `bytes`; returns the body length.
pub fn parse_header(bytes: &[u8]) -> Result<(u32, u32), Invalid> {
    if bytes.len() < HEADER_LEN {
        return Err(Invalid::Short);
    }
    let mut h = &bytes[..HEADER_LEN];
    if h.get_u32_le() != MAGIC {
        return Err(Invalid::Corrupt);
    }
    let len = h.get_u32_le();
    if len == 0 || len > MAX_BODY {
        return Err(Invalid::Corrupt);
    }
    Ok((len, h.get_u32_le()))
}

/// Checks and decodes one whole entry at the start of `bytes`; returns it and its total length.
pub fn parse_entry(bytes: &[u8]) -> Result<(Entry, usize), Invalid> {
    let (len, crc) = parse_header(bytes)?;
    let total = HEADER_LEN + len as usize;
    if bytes.len() < total {
        return Err(Invalid::Short);
    }
    let body = &bytes[HEADER_LEN..total];
    if crc32fast::hash(body) != crc {
        return Err(Invalid::Corrupt);
    }
    Ok((decode_body(body)?, total))
}

fn decode_body(mut body: &[u8]) -> Result<Entry, Invalid> {
    let need = |b: &[u8], n: usize| {
        if b.remaining() < n { Err(Invalid::Corrupt) } else { Ok(()) }
    };
    need(body, 1)?;
    match body.get_u8() {
        kind @ (KIND_BATCH | KIND_LABELLED_BATCH) => {
            need(body, BATCH_FIXED)?;
            let h = BatchHeader {
                key: ShardKey { stream: body.get_u64_le(), shard: body.get_u32_le() },
                first_counter: body.get_u64_le(),
                arrival_ms: body.get_i64_le(),
                count: body.get_u32_le(),
            };
            if kind == KIND_LABELLED_BATCH {
                need(body, 2)?;
                let n = body.get_u16_le() as usize;
                need(body, n)?;
                body.advance(n);
            }
            // Walk the records once so that a malformed batch is caught at recovery.
            for _ in 0..h.count {
                need(body, 2)?;
                let pk = body.get_u16_le() as usize;
                need(body, pk + 4)?;
                body.advance(pk);
                let data = body.get_u32_le() as usize;
                need(body, data)?;
                body.advance(data);
            }
            if body.has_remaining() {
                return Err(Invalid::Corrupt);
            }
            Ok(Entry::Batch(h))
        }
        KIND_CHECKPOINT => {
            need(body, 4)?;
            let n = body.get_u32_le() as usize;
            need(body, n * 28)?;
            let marks = (0..n)
                .map(|_| ShardMark {
                    key: ShardKey { stream: body.get_u64_le(), shard: body.get_u32_le() },
                    next_counter: body.get_u64_le(),
                    last_arrival_ms: body.get_i64_le(),
                })
                .collect();
            Ok(Entry::Checkpoint(marks))
        }
        _ => Err(Invalid::Corrupt),
    }
}

/// One record as stored, sliced out of its batch without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub counter: u64,
    pub arrival_ms: i64,
    pub partition_key: Bytes,
    pub data: Bytes,
    /// The batch's label, if it was written with one.
    pub label: Option<Bytes>,
}

/// Decodes the records of a batch entry held in `entry` (header included), already verified.
pub fn batch_records(entry: Bytes) -> Result<(BatchHeader, Vec<StoredRecord>), Invalid> {
    let (len, crc) = parse_header(&entry)?;
    let body = entry.slice(HEADER_LEN..HEADER_LEN + len as usize);
    if crc32fast::hash(&body) != crc {
        return Err(Invalid::Corrupt);
    }
    let Entry::Batch(h) = decode_body(&body)? else {
        return Err(Invalid::Corrupt);
    };
    let mut pos = 1 + BATCH_FIXED;
    let label = if body[0] == KIND_LABELLED_BATCH {
        let n = u16::from_le_bytes([body[pos], body[pos + 1]]) as usize;
        pos += 2 + n;
        Some(body.slice(pos - n..pos))
    } else {
        None
    };
    let mut out = Vec::with_capacity(h.count as usize);
    for i in 0..h.count {
        let pk_len = u16::from_le_bytes([body[pos], body[pos + 1]]) as usize;
        let pk = body.slice(pos + 2..pos + 2 + pk_len);
        pos += 2 + pk_len;
        let d_len = u32::from_le_bytes(body[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let data = body.slice(pos + 4..pos + 4 + d_len);
        pos += 4 + d_len;
        out.push(StoredRecord {
            counter: h.first_counter + u64::from(i),
            arrival_ms: h.arrival_ms,
            partition_key: pk,
            data,
            label: label.clone(),
        });
    }
    Ok((h, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_batch() -> Vec<u8> {
        let mut buf = Vec::new();
        let s = begin_entry(&mut buf);
        let h = BatchHeader { key: ShardKey { stream: 3, shard: 1 }, first_counter: 10, arrival_ms: 99, count: 2 };
        put_batch_header(&mut buf, &h, None);
        put_record(&mut buf, b"k1", b"hello");
        put_record(&mut buf, b"k2", b"");
        finish_entry(&mut buf, s);
        buf
    }

    #[test]
    fn batch_roundtrip() {
        let buf = one_batch();
        let (e, n) = parse_entry(&buf).unwrap();
        assert_eq!(n, buf.len());
        assert!(matches!(e, Entry::Batch(h) if h.count == 2 && h.first_counter == 10));
        let (_, recs) = batch_records(Bytes::from(buf)).unwrap();
        assert_eq!(recs[0].data, Bytes::from_static(b"hello"));
        assert_eq!(recs[1].counter, 11);
        assert_eq!(recs[1].partition_key, Bytes::from_static(b"k2"));
    }

    #[test]
    fn labelled_batch_roundtrip() {
        let mut buf = Vec::new();
        let s = begin_entry(&mut buf);
        let h = BatchHeader { key: ShardKey { stream: 1, shard: 0 }, first_counter: 1, arrival_ms: 5, count: 1 };
        put_batch_header(&mut buf, &h, Some(b"alias/aws/kinesis"));
        put_record(&mut buf, b"k", b"sealed");
        finish_entry(&mut buf, s);
        assert!(matches!(parse_entry(&buf).unwrap().0, Entry::Batch(x) if x == h));
        let (_, recs) = batch_records(Bytes::from(buf)).unwrap();
        assert_eq!(recs[0].label.as_deref(), Some(&b"alias/aws/kinesis"[..]));
        assert_eq!(&recs[0].data[..], b"sealed");
    }

    #[test]
    fn every_truncation_is_short_and_every_flip_is_caught() {
        let buf = one_batch();
        for cut in 0..buf.len() {
            assert_eq!(parse_entry(&buf[..cut]).unwrap_err(), Invalid::Short, "cut at {cut}");
        }
        for i in 0..buf.len() {
            let mut b = buf.clone();
            b[i] ^= 0x01;
            assert!(parse_entry(&b).is_err(), "flip at {i} went unnoticed");
        }
    }
}
