//! `application/vnd.amazon.eventstream` frames (prelude, headers, payload, CRC32s), written with
//! aws-smithy-eventstream: events (`:message-type event`) and modeled exceptions
//! (`:message-type exception`), with payloads in the request's codec.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use serde::Serialize;

use crate::codec::Codec;

pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

fn frame(headers: Vec<(&'static str, String)>, payload: Vec<u8>) -> Bytes {
    let mut msg = Message::new(payload);
    for (name, value) in headers {
        msg = msg.add_header(Header::new(name, HeaderValue::String(value.into())));
    }
    let mut out = Vec::new();
    write_message_to(&msg, &mut out).expect("event-stream frames always encode");
    Bytes::from(out)
}

/// An event: `:event-type` names it; the payload is `body` in `codec`.
pub fn event<T: Serialize>(codec: Codec, event_type: &str, body: &T) -> Bytes {
    frame(
        vec![
            (":message-type", "event".into()),
            (":event-type", event_type.into()),
            (":content-type", codec.content_type().into()),
        ],
        codec.encode(body),
    )
}

/// A modeled exception inside the stream, `{"message": ...}`.
pub fn exception(codec: Codec, exception_type: &str, message: &str) -> Bytes {
    #[derive(Serialize)]
    struct Body<'a> {
        message: &'a str,
    }
    frame(
        vec![
            (":message-type", "exception".into()),
            (":exception-type", exception_type.into()),
            (":content-type", codec.content_type().into()),
        ],
        codec.encode(&Body { message }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    #[test]
    fn frames_decode_with_the_aws_reader() {
        let bytes = event(Codec::Json, "initial-response", &serde_json::json!({}));
        let msg = read_message_from(&mut &bytes[..]).unwrap();
        let h = |n: &str| {
            msg.headers()
                .iter()
                .find(|x| x.name().as_str() == n)
                .map(|x| x.value().as_string().unwrap().as_str().to_string())
        };
        assert_eq!(h(":message-type").as_deref(), Some("event"));
        assert_eq!(h(":event-type").as_deref(), Some("initial-response"));
        assert_eq!(&msg.payload()[..], b"{}");
        let bytes = exception(Codec::Json, "ResourceInUseException", "taken");
        let msg = read_message_from(&mut &bytes[..]).unwrap();
        assert_eq!(&msg.payload()[..], br#"{"message":"taken"}"#);
    }
}
