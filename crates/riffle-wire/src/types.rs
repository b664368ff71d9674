//! Wire value types whose encoding differs by codec.
//!
//! - [`Blob`]: base64 text in JSON, a byte string in CBOR.
//! - [`Timestamp`]: epoch seconds with a millisecond fraction in JSON; CBOR tag 1 wrapping integer
//!   epoch milliseconds in CBOR, exactly as AWS answers the Java SDK.
//!
//! Inputs always arrive as normalized JSON values (see [`crate::codec`]), so the deserializers
//! only read the JSON forms.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Binary data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Bytes);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&base64_simd::STANDARD.encode_to_string(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(s.as_bytes())
            .map(|v| Blob(Bytes::from(v)))
            .map_err(|e| D::Error::custom(crate::schema::base64_error(&s, &e)))
    }
}

/// Text held in shared bytes (a partition key read back from the log): served without
/// copying it into a `String`. Bytes that are not UTF-8 show as U+FFFD, as a lossy
/// conversion would.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text(pub Bytes);

impl Text {
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

/// A point in time, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_f64(self.0 as f64 / 1000.0)
        } else {
            ciborium::tag::Required::<i64, 1>(self.0).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let secs = f64::deserialize(d)?;
        Ok(Timestamp((secs * 1000.0).round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;

    #[derive(Serialize)]
    struct Out {
        #[serde(rename = "Data")]
        data: Blob,
        #[serde(rename = "At")]
        at: Timestamp,
    }

    #[test]
    fn json_and_cbor_forms() {
        let o = Out { data: Blob(Bytes::from_static(b"hi")), at: Timestamp(1_795_301_046_407) };
        assert_eq!(String::from_utf8(Codec::Json.encode(&o)).unwrap(), r#"{"Data":"aGk=","At":1795301046.407}"#);
        let c: ciborium::Value = ciborium::from_reader(&Codec::Cbor.encode(&o)[..]).unwrap();
        let m = c.as_map().unwrap();
        assert_eq!(m[0].1, ciborium::Value::Bytes(b"hi".to_vec()));
        assert_eq!(m[1].1, ciborium::Value::Tag(1, Box::new(ciborium::Value::Integer(1_795_301_046_407i64.into()))));
    }
}
