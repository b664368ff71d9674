//! Sealed tokens: shard iterators and pagination tokens are AES-256-GCM sealed, so they are
//! opaque to clients and cannot be forged or altered. The key lives in the catalog, so tokens
//! stay valid across restarts.
//!
//! Iterator layout: `00 00 00 00 00 00 00 01 | nonce(12) | sealed(payload)`, base64. The payload
//! holds the creation time, the stream's uid, account, region and name, the shard index and the
//! counter of the next record to read.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Buf, BufMut};
use rand::RngCore;

const PREFIX: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];

/// Seals and opens tokens with one key.
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Sealer { cipher: Aes256Gcm::new(key.into()) }
    }

    pub fn random_key() -> [u8; 32] {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        k
    }

    pub fn seal(&self, payload: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).expect("AES-GCM sealing cannot fail");
        let mut out = Vec::with_capacity(8 + 12 + sealed.len());
        out.extend_from_slice(&PREFIX);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// `None` when the token is not one of ours, or was altered.
    pub fn open(&self, token: &str) -> Option<Vec<u8>> {
        let raw = STANDARD.decode(token.trim_matches('"')).ok()?;
        if raw.len() < 8 + 12 + 16 || raw[..8] != PREFIX {
            return None;
        }
        self.cipher.decrypt(Nonce::from_slice(&raw[8..20]), &raw[20..]).ok()
    }
}

/// What a shard iterator says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IteratorToken {
    pub created_ms: i64,
    pub stream_uid: u64,
    pub account: String,
    pub region: String,
    pub stream_name: String,
    pub shard: u32,
    /// The counter of the next record to return.
    pub counter: u64,
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.put_u8(s.len().min(255) as u8);
    buf.extend_from_slice(&s.as_bytes()[..s.len().min(255)]);
}

fn get_str(buf: &mut &[u8]) -> Option<String> {
    if buf.remaining() < 1 {
        return None;
    }
    let n = buf.get_u8() as usize;
    if buf.remaining() < n {
        return None;
    }
    let s = String::from_utf8(buf[..n].to_vec()).ok()?;
    buf.advance(n);
    Some(s)
}

impl IteratorToken {
    pub fn encode(&self, sealer: &Sealer) -> String {
        let mut p = Vec::with_capacity(64 + self.stream_name.len());
        p.put_u8(1);
        p.put_i64(self.created_ms);
        p.put_u64(self.stream_uid);
        p.put_u32(self.shard);
        p.put_u64(self.counter);
        put_str(&mut p, &self.account);
        put_str(&mut p, &self.region);
        put_str(&mut p, &self.stream_name);
        sealer.seal(&p)
    }

    pub fn decode(sealer: &Sealer, token: &str) -> Option<IteratorToken> {
        let p = sealer.open(token)?;
        let mut b = &p[..];
        if b.remaining() < 1 + 8 + 8 + 4 + 8 || b.get_u8() != 1 {
            return None;
        }
        let created_ms = b.get_i64();
        let stream_uid = b.get_u64();
        let shard = b.get_u32();
        let counter = b.get_u64();
        Some(IteratorToken {
            created_ms,
            stream_uid,
            shard,
            counter,
            account: get_str(&mut b)?,
            region: get_str(&mut b)?,
            stream_name: get_str(&mut b)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IteratorToken {
        IteratorToken {
            created_ms: 1,
            stream_uid: 2,
            account: "000000000000".into(),
            region: "us-east-1".into(),
            stream_name: "s".repeat(128),
            shard: 3,
            counter: 4,
        }
    }

    #[test]
    fn roundtrip_and_fits_aws_length() {
        let s = Sealer::new(&Sealer::random_key());
        let t = sample().encode(&s);
        assert!(t.len() <= 512, "iterator is {} chars", t.len());
        assert_eq!(IteratorToken::decode(&s, &t), Some(sample()));
        assert_eq!(IteratorToken::decode(&s, &format!("\"{t}\"")), Some(sample()));
    }

    #[test]
    fn tampering_and_foreign_keys_are_rejected() {
        let s = Sealer::new(&Sealer::random_key());
        let t = sample().encode(&s);
        let mut raw = STANDARD.decode(&t).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(IteratorToken::decode(&s, &STANDARD.encode(raw)), None);
        let other = Sealer::new(&Sealer::random_key());
        assert_eq!(IteratorToken::decode(&other, &t), None);
        assert_eq!(IteratorToken::decode(&s, "AAAA"), None);
    }
}

/// A pagination token (ListStreams, ListShards): where the last page ended, sealed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageToken {
    /// Which listing it continues, e.g. `ListShards`.
    pub op: String,
    pub account: String,
    pub region: String,
    /// The stream, for listings inside one stream.
    #[serde(default)]
    pub stream: Option<String>,
    /// The last item of the previous page.
    pub after: String,
    /// A listing's filter, carried over to the next page.
    #[serde(default)]
    pub filter: Option<(String, Option<String>, Option<i64>)>,
    pub created_ms: i64,
}

/// How long a pagination token stays valid.
pub const PAGE_TOKEN_TTL_MS: i64 = 300_000;

impl PageToken {
    pub fn encode(&self, sealer: &Sealer) -> String {
        sealer.seal(&serde_json::to_vec(self).expect("token serializes"))
    }

    /// Opens a token for `op`; checks it is ours, for this listing, and not expired.
    pub fn decode(sealer: &Sealer, token: &str, op: &str, now_ms: i64) -> crate::error::Result<PageToken> {
        use crate::error::StreamsError;
        let t: PageToken = sealer
            .open(token)
            .and_then(|p| serde_json::from_slice(&p).ok())
            .filter(|t: &PageToken| t.op == op)
            .ok_or_else(|| StreamsError::InvalidArgument("Invalid NextToken.".into()))?;
        if now_ms - t.created_ms > PAGE_TOKEN_TTL_MS {
            return Err(StreamsError::ExpiredNextToken(format!(
                "The NextToken has expired. It was issued {} ms ago and tokens are valid for {PAGE_TOKEN_TTL_MS} ms.",
                now_ms - t.created_ms
            )));
        }
        Ok(t)
    }
}
