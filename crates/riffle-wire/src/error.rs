//! The AWS error envelope: `{"__type": "...", "message": "..."}` in the request's codec, with an
//! HTTP status. Every layer's typed errors become an [`AwsError`] in exactly one `From` impl.

use serde::Serialize;

use crate::codec::Codec;

/// How the message member is spelled, which AWS varies by error source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKey {
    /// `message`, used by service errors.
    Lower,
    /// `Message`, used by deserialization errors.
    Upper,
}

/// An AWS-style error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub code: &'static str,
    pub message: Option<String>,
    pub status: u16,
    pub key: MessageKey,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message.as_deref().unwrap_or(""))
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// A 400 error with a `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        AwsError { code, message: Some(message.into()), status: 400, key: MessageKey::Lower }
    }

    /// A 400 error with no message member at all.
    pub fn bare(code: &'static str) -> Self {
        AwsError { code, message: None, status: 400, key: MessageKey::Lower }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// A type-check failure: `SerializationException` with a capital-M `Message`.
    pub fn serialization(message: impl Into<String>) -> Self {
        AwsError { code: "SerializationException", message: Some(message.into()), status: 400, key: MessageKey::Upper }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new("InvalidArgumentException", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", message)
    }

    pub fn in_use(message: impl Into<String>) -> Self {
        Self::new("ResourceInUseException", message)
    }

    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new("LimitExceededException", message)
    }

    /// AWS's 500: `{"__type":"InternalFailure"}`.
    pub fn internal() -> Self {
        AwsError::bare("InternalFailure").with_status(500)
    }

    /// The body of this error in `codec`.
    pub fn body(&self, codec: Codec) -> Vec<u8> {
        #[derive(Serialize)]
        struct Lower<'a> {
            __type: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct Upper<'a> {
            __type: &'a str,
            #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
        }
        match self.key {
            MessageKey::Lower => codec.encode(&Lower { __type: self.code, message: self.message.as_deref() }),
            MessageKey::Upper => codec.encode(&Upper { __type: self.code, message: self.message.as_deref() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies() {
        let e = AwsError::not_found("Stream a under account 000000000000 not found.");
        assert_eq!(
            String::from_utf8(e.body(Codec::Json)).unwrap(),
            r#"{"__type":"ResourceNotFoundException","message":"Stream a under account 000000000000 not found."}"#
        );
        assert_eq!(
            String::from_utf8(AwsError::bare("UnknownOperationException").body(Codec::Json)).unwrap(),
            r#"{"__type":"UnknownOperationException"}"#
        );
        assert_eq!(
            String::from_utf8(AwsError::serialization("x").body(Codec::Json)).unwrap(),
            r#"{"__type":"SerializationException","Message":"x"}"#
        );
    }
}
