#![no_main]
//! Any bytes, as an `application/x-amz-cbor-1.1` body, through the decoder, every Kinesis
//! operation's schema check and typed deserialization: errors are fine, panics are not.

use libfuzzer_sys::fuzz_target;
use riffle_wire::Codec;

fuzz_target!(|data: &[u8]| {
    riffle_wire::model::kinesis::fuzz_all_operations(Codec::Cbor, data);
});
