//! Body codecs. Both decode into a `serde_json::Value` first, so that one schema pass (type
//! checks and validation with AWS's messages) serves both; CBOR byte strings become base64
//! strings and CBOR timestamps (tag 1, epoch milliseconds) become JSON epoch seconds on the way.
//! Outputs are encoded straight from typed shapes; [`crate::types`] makes blobs and timestamps
//! come out right in each codec.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ciborium::Value as Cbor;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::error::AwsError;

/// The wire codec of a request and its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Json,
    Cbor,
}

impl Codec {
    /// The codec for a `Content-Type` (parameters after `;` ignored), if it is one we speak.
    pub fn from_content_type(ct: &str) -> Option<Codec> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/x-amz-json-1.1" | "application/json" | "application/x-amz-json-1.0" => Some(Codec::Json),
            "application/x-amz-cbor-1.1" => Some(Codec::Cbor),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Codec::Json => "application/x-amz-json-1.1",
            Codec::Cbor => "application/x-amz-cbor-1.1",
        }
    }

    /// Decodes a request body. An empty body is an empty object. Anything that is not an
    /// object is a bare `SerializationException`, as AWS answers.
    pub fn decode(self, body: &[u8]) -> Result<Value, AwsError> {
        if body.is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        let v = match self {
            Codec::Json => {
                serde_json::from_slice::<Value>(body).map_err(|_| AwsError::bare("SerializationException"))?
            }
            Codec::Cbor => {
                let c: Cbor = ciborium::from_reader(body).map_err(|_| AwsError::bare("SerializationException"))?;
                cbor_to_json(c)?
            }
        };
        if v.is_object() { Ok(v) } else { Err(AwsError::bare("SerializationException")) }
    }

    /// Encodes a response shape.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Vec<u8> {
        match self {
            Codec::Json => serde_json::to_vec(value).expect("shapes always serialize"),
            Codec::Cbor => {
                let mut out = Vec::new();
                ciborium::into_writer(value, &mut out).expect("shapes always serialize");
                out
            }
        }
    }
}

fn cbor_to_json(c: Cbor) -> Result<Value, AwsError> {
    Ok(match c {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            if let Ok(v) = i64::try_from(i) {
                Value::Number(v.into())
            } else if let Ok(v) = u64::try_from(i) {
                Value::Number(v.into())
            } else {
                return Err(AwsError::bare("SerializationException"));
            }
        }
        Cbor::Float(f) => {
            Number::from_f64(f).map(Value::Number).ok_or_else(|| AwsError::bare("SerializationException"))?
        }
        Cbor::Text(s) => Value::String(s),
        Cbor::Bytes(b) => Value::String(STANDARD.encode(b)),
        Cbor::Tag(1, inner) => {
            // AWS CBOR timestamps: tag 1 wrapping epoch milliseconds.
            let ms = match *inner {
                Cbor::Integer(i) => i128::from(i) as f64,
                Cbor::Float(f) => f,
                _ => return Err(AwsError::bare("SerializationException")),
            };
            Number::from_f64(ms / 1000.0).map(Value::Number).ok_or_else(|| AwsError::bare("SerializationException"))?
        }
        Cbor::Tag(_, inner) => cbor_to_json(*inner)?,
        Cbor::Array(items) => Value::Array(items.into_iter().map(cbor_to_json).collect::<Result<_, _>>()?),
        Cbor::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else {
                    return Err(AwsError::bare("SerializationException"));
                };
                m.insert(k, cbor_to_json(v)?);
            }
            Value::Object(m)
        }
        _ => return Err(AwsError::bare("SerializationException")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbor_bytes_and_timestamps_become_json_shapes() {
        let c = Cbor::Map(vec![
            (Cbor::Text("Data".into()), Cbor::Bytes(b"hi".to_vec())),
            (Cbor::Text("Timestamp".into()), Cbor::Tag(1, Box::new(Cbor::Integer(1_500_000_000_123i64.into())))),
        ]);
        let mut body = Vec::new();
        ciborium::into_writer(&c, &mut body).unwrap();
        let v = Codec::Cbor.decode(&body).unwrap();
        assert_eq!(v["Data"], "aGk=");
        assert_eq!(v["Timestamp"].as_f64().unwrap(), 1_500_000_000.123);
    }

    #[test]
    fn non_objects_are_serialization_errors() {
        assert_eq!(Codec::Json.decode(b"[]").unwrap_err().code, "SerializationException");
        assert_eq!(Codec::Json.decode(b"{").unwrap_err().message, None);
        assert!(Codec::Json.decode(b"").unwrap().is_object());
    }
}
