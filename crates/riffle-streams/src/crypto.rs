//! Encryption at rest. While a stream has encryption on, each record's data is sealed with
//! AES-256-GCM before it reaches the log, under a data key derived from the stream's KMS KeyId
//! (HMAC-SHA256 of a master key and the KeyId), and bound to the stream by the associated
//! data. The log stores the KeyId as the batch's label, so records written before, during and
//! after an on/off switch each decrypt with the key they were written under.
//!
//! The master key comes from `RIFFLE_MASTER_KEY`, a key file, or a keyring file created in the
//! data directory (see docs/storage-format.md). Losing it loses the encrypted records.

use std::collections::HashMap;
use std::sync::Mutex;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE: usize = 12;

/// Derives and caches per-KeyId data keys from one master key.
pub struct Keyring {
    master: [u8; 32],
    ciphers: Mutex<HashMap<String, Aes256Gcm>>,
}

impl Keyring {
    pub fn new(master: [u8; 32]) -> Self {
        Keyring { master, ciphers: Mutex::new(HashMap::new()) }
    }

    fn cipher(&self, key_id: &str) -> Aes256Gcm {
        let mut ciphers = self.ciphers.lock().expect("keyring lock");
        ciphers
            .entry(key_id.to_string())
            .or_insert_with(|| {
                let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.master).expect("any key length");
                mac.update(b"riffle/kinesis-data-key/");
                mac.update(key_id.as_bytes());
                let key = mac.finalize().into_bytes();
                Aes256Gcm::new_from_slice(&key).expect("32-byte key")
            })
            .clone()
    }

    /// Seals `data` for `stream_uid`: `nonce | ciphertext | tag`.
    pub fn encrypt(&self, key_id: &str, stream_uid: u64, data: &[u8]) -> Bytes {
        let mut nonce = [0u8; NONCE];
        rand::rng().fill_bytes(&mut nonce);
        let aad = stream_uid.to_be_bytes();
        let sealed = self
            .cipher(key_id)
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: data, aad: &aad })
            .expect("AES-GCM sealing cannot fail");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Bytes::from(out)
    }

    /// Opens what [`Keyring::encrypt`] sealed; `None` if the key or stream is wrong or the
    /// bytes were altered.
    pub fn decrypt(&self, key_id: &str, stream_uid: u64, sealed: &[u8]) -> Option<Bytes> {
        if sealed.len() < NONCE {
            return None;
        }
        let aad = stream_uid.to_be_bytes();
        self.cipher(key_id)
            .decrypt(Nonce::from_slice(&sealed[..NONCE]), Payload { msg: &sealed[NONCE..], aad: &aad })
            .ok()
            .map(Bytes::from)
    }
}

/// Whether a KeyId has one of the forms AWS accepts: `alias/<name>` (including the
/// Kinesis-owned `alias/aws/kinesis`), a key id (UUID, or `mrk-` multi-Region id), a key ARN,
/// or an alias ARN.
pub fn valid_key_id(key_id: &str) -> bool {
    fn uuid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 5
            && [8, 4, 4, 4, 12]
                .iter()
                .zip(&parts)
                .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
    }
    fn key_id_form(s: &str) -> bool {
        uuid(s) || s.strip_prefix("mrk-").is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    }
    fn alias(s: &str) -> bool {
        s.strip_prefix("alias/").is_some_and(|n| {
            !n.is_empty() && n.len() <= 250 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        })
    }
    if let Some(rest) = key_id.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return parts.len() == 5
            && parts[0].starts_with("aws")
            && parts[1] == "kms"
            && !parts[2].is_empty()
            && parts[3].len() == 12
            && parts[3].bytes().all(|b| b.is_ascii_digit())
            && (parts[4].strip_prefix("key/").is_some_and(key_id_form) || alias(parts[4]));
    }
    alias(key_id) || key_id_form(key_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_binding() {
        let k = Keyring::new([7u8; 32]);
        let sealed = k.encrypt("alias/aws/kinesis", 1, b"secret payload");
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "ciphertext hides the data");
        assert_eq!(k.decrypt("alias/aws/kinesis", 1, &sealed).as_deref(), Some(&b"secret payload"[..]));
        assert_eq!(k.decrypt("alias/other", 1, &sealed), None, "another key cannot open it");
        assert_eq!(k.decrypt("alias/aws/kinesis", 2, &sealed), None, "bound to its stream");
        assert_eq!(Keyring::new([8u8; 32]).decrypt("alias/aws/kinesis", 1, &sealed), None, "and to the master key");
    }

    #[test]
    fn key_id_forms() {
        for ok in [
            "alias/aws/kinesis",
            "alias/MyAlias_1-x",
            "12345678-1234-1234-1234-123456789012",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
            "arn:aws:kms:us-east-1:123456789012:alias/MyAliasName",
        ] {
            assert!(valid_key_id(ok), "{ok}");
        }
        for bad in [
            "",
            "alias/",
            "my-key",
            "1234",
            "arn:aws:kms:us-east-1:1234:key/12345678-1234-1234-1234-123456789012",
            "arn:aws:s3:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
            "arn:aws:kms:us-east-1:123456789012:key/nope",
        ] {
            assert!(!valid_key_id(bad), "{bad}");
        }
    }
}
