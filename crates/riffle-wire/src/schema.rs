//! Member tables and the two checks AWS runs on every request before the operation itself:
//!
//! 1. **Type checks**: the first member whose JSON type is wrong fails the request with a
//!    `SerializationException` whose `Message` names Java classes as AWS's Coral stack does.
//!    The same pass normalizes the value: null and unknown members are dropped, numbers in
//!    Integer/Long members are floored (and Integers clamped to 32 bits), and Boolean strings
//!    become booleans.
//! 2. **Constraint checks**: every violated constraint, in member-table order and at most ten,
//!    is listed in one `ValidationException`:
//!    `2 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: ...`.
//!
//! Member tables are declared next to each operation's shapes in [`crate::model`]; their order
//! is AWS's, since it decides the order of messages.

use serde_json::{Map, Value};

use crate::error::AwsError;

/// The type of a member.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    /// A 32-bit Integer.
    Int,
    Long,
    Bool,
    Blob,
    Timestamp,
    /// A list; the `&str` is the Java class AWS prints for structure elements.
    List(&'static Ty, &'static str),
    /// A map with string keys.
    Map(&'static Ty),
    Struct(&'static [Member]),
}

/// A constraint on a member, checked in the order given.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    NotNull,
    /// Must not be null unless the named sibling member is present (`StreamName` or
    /// `StreamARN`): reported as `Member must not be null` like `NotNull`.
    NotNullUnless(&'static str),
    Min(i64),
    Max(i64),
    /// The pattern as AWS prints it, and its matcher.
    Pattern(&'static str, fn(&str) -> bool),
    LenMin(usize),
    LenMax(usize),
    /// Allowed values, in the order AWS prints them.
    Enum(&'static [&'static str]),
    /// Lengths of each map key.
    MapKeysLen(usize, usize),
    /// Lengths of each map value.
    MapValuesLen(usize, usize),
    /// Lengths of each string item of a list.
    ItemsLen(usize, usize),
    /// Allowed values of each string item of a list, in the order AWS prints them.
    ItemsEnum(&'static [&'static str]),
}

/// One member of a structure.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub name: &'static str,
    pub ty: Ty,
    pub rules: &'static [Rule],
}

impl Member {
    pub const fn new(name: &'static str, ty: Ty, rules: &'static [Rule]) -> Self {
        Member { name, ty, rules }
    }
}

/// Runs both checks over a decoded request body.
pub fn check(members: &[Member], body: &mut Value) -> Result<(), AwsError> {
    type_check_struct(members, body).map_err(AwsError::serialization)?;
    let mut errors = Vec::new();
    if let Value::Object(obj) = body {
        validate_struct(members, obj, "", &mut errors);
    }
    if errors.is_empty() {
        return Ok(());
    }
    let n = errors.len();
    Err(AwsError::validation(format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        errors.join("; ")
    )))
}

const NUMBER_CLASS: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
const LIST_START: &str = "Start of list found where not expected";
const MAP_START: &str = "Start of structure or map found where not expected.";

fn type_check_struct(members: &[Member], v: &mut Value) -> Result<(), String> {
    match v {
        Value::Object(obj) => {
            obj.retain(|k, v| !v.is_null() && members.iter().any(|m| m.name == k));
            for m in members {
                if let Some(child) = obj.get_mut(m.name) {
                    type_check(m.ty, child)?;
                }
            }
            Ok(())
        }
        Value::Array(_) => Err(LIST_START.into()),
        _ => Err("Expected null".into()),
    }
}

fn scalar_mismatch(v: &Value, target: &str) -> String {
    match v {
        Value::Bool(_) => format!("class java.lang.Boolean can not be converted to {target}"),
        Value::Number(_) => format!("{NUMBER_CLASS} can not be converted to {target}"),
        Value::String(_) => format!("class java.lang.String can not be converted to {target}"),
        Value::Array(_) => LIST_START.into(),
        _ => MAP_START.into(),
    }
}

fn type_check(ty: Ty, v: &mut Value) -> Result<(), String> {
    match ty {
        Ty::Str => match v {
            Value::String(_) => Ok(()),
            other => Err(scalar_mismatch(other, "an String")),
        },
        Ty::Int | Ty::Long => match v {
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0).floor();
                let i = if matches!(ty, Ty::Int) { f.clamp(i32::MIN as f64, i32::MAX as f64) as i64 } else { f as i64 };
                *v = Value::from(i);
                Ok(())
            }
            other => Err(scalar_mismatch(other, if matches!(ty, Ty::Int) { "an Integer" } else { "an Long" })),
        },
        Ty::Bool => match v {
            Value::Bool(_) => Ok(()),
            Value::String(s) => {
                let b = match s.to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => {
                        return Err(format!("'{}' can not be converted to an Boolean", s.to_uppercase()));
                    }
                };
                *v = Value::Bool(b);
                Ok(())
            }
            other => Err(scalar_mismatch(other, "an Boolean")),
        },
        Ty::Blob => match v {
            Value::String(s) => check_base64(s),
            Value::Bool(_) => Err("class java.lang.Boolean can not be converted to a Blob".into()),
            Value::Number(_) => Err(format!("{NUMBER_CLASS} can not be converted to a Blob")),
            other => Err(scalar_mismatch(other, "a Blob")),
        },
        Ty::Timestamp => match v {
            Value::Number(_) => Ok(()),
            other => Err(scalar_mismatch(other, "milliseconds since epoch")),
        },
        Ty::List(item, _) => match v {
            Value::Array(items) => {
                items.retain(|i| !i.is_null());
                items.iter_mut().try_for_each(|i| type_check(*item, i))
            }
            Value::Object(_) => Err(MAP_START.into()),
            _ => Err("Expected list or null".into()),
        },
        Ty::Map(value) => match v {
            Value::Object(obj) => {
                obj.retain(|_, v| !v.is_null());
                obj.values_mut().try_for_each(|i| type_check(*value, i))
            }
            Value::Array(_) => Err(LIST_START.into()),
            _ => Err("Expected map or null".into()),
        },
        Ty::Struct(members) => type_check_struct(members, v),
    }
}

/// AWS's message for a string that is not valid base64, given the decoder's complaint.
pub fn base64_error(s: &str, e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidLastSymbol(_, _) => {
            format!("'{s}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected")
        }
        base64::DecodeError::InvalidByte(at, b) => format!(
            "'{s}' can not be converted to a Blob: Invalid Base64 character: '{}'",
            s.get(*at..).and_then(|t| t.chars().next()).unwrap_or(*b as char)
        ),
        _ => format!("'{s}' can not be converted to a Blob: Invalid Base64 character: '='"),
    }
}

/// Checks a base64 blob without decoding it: the length, and that every character is in
/// the alphabet with padding only at the end. The one error this cannot see (a last symbol
/// with stray low bits) is reported, with the same message, when the blob is decoded into
/// its typed input ([`crate::types::Blob`]). Decoding once, not twice, is the point.
fn check_base64(s: &str) -> Result<(), String> {
    if !s.len().is_multiple_of(4) {
        return Err(format!(
            "'{s}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            s.len()
        ));
    }
    let b = s.as_bytes();
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    let alphabet = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    if let Some(at) = b[..b.len() - pad.min(b.len())].iter().position(|c| !alphabet(*c)) {
        return Err(base64_error(s, &base64::DecodeError::InvalidByte(at, b[at])));
    }
    if pad > 2 {
        return Err(base64_error(s, &base64::DecodeError::InvalidPadding));
    }
    Ok(())
}

/// Decoded length of a base64 string that passed [`check_base64`].
fn base64_len(s: &str) -> usize {
    s.len() / 4 * 3 - s.bytes().rev().take_while(|b| *b == b'=').count()
}

fn lower_first(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn render(v: &Value, ty: Ty) -> String {
    match (v, ty) {
        (Value::String(s), Ty::Blob) => {
            let n = base64_len(s);
            format!("java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]")
        }
        (Value::String(s), _) => s.clone(),
        (Value::Number(n), _) => n.to_string(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Array(items), Ty::List(item, class)) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| if matches!(item, Ty::Struct(_)) { format!("{class}@c965e310") } else { render(i, *item) })
                .collect();
            format!("[{}]", parts.join(", "))
        }
        (Value::Object(m), Ty::Map(value)) => {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", render(v, *value))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        (other, _) => other.to_string(),
    }
}

fn length(v: &Value, ty: Ty) -> Option<usize> {
    match (v, ty) {
        (Value::String(s), Ty::Blob) => Some(base64_len(s)),
        (Value::String(s), _) => Some(s.chars().count()),
        (Value::Array(a), _) => Some(a.len()),
        (Value::Object(m), _) => Some(m.len()),
        _ => None,
    }
}

fn validate_struct(members: &[Member], obj: &Map<String, Value>, prefix: &str, errors: &mut Vec<String>) {
    for m in members {
        let path = format!("{prefix}{}", lower_first(m.name));
        let required = m.rules.iter().any(|r| match r {
            Rule::NotNull => true,
            Rule::NotNullUnless(other) => !obj.contains_key(*other),
            _ => false,
        });
        validate_member(m, obj.get(m.name), required, &path, errors);
    }
}

fn validate_member(m: &Member, v: Option<&Value>, required: bool, path: &str, errors: &mut Vec<String>) {
    let mut fail = |v: Option<&Value>, constraint: String| {
        if errors.len() < 10 {
            let shown = v.map_or("null".to_string(), |v| format!("'{}'", render(v, m.ty)));
            errors.push(format!("Value {shown} at '{path}' failed to satisfy constraint: {constraint}"));
        }
    };
    let Some(v) = v else {
        if required {
            fail(None, "Member must not be null".into());
        }
        return;
    };
    for rule in m.rules {
        match *rule {
            Rule::NotNull | Rule::NotNullUnless(_) => {}
            Rule::Min(min) => {
                if v.as_i64().is_some_and(|n| n < min) {
                    fail(Some(v), format!("Member must have value greater than or equal to {min}"));
                }
            }
            Rule::Max(max) => {
                if v.as_i64().is_some_and(|n| n > max) {
                    fail(Some(v), format!("Member must have value less than or equal to {max}"));
                }
            }
            Rule::Pattern(shown, matches) => {
                if v.as_str().is_some_and(|s| !matches(s)) {
                    fail(Some(v), format!("Member must satisfy regular expression pattern: {shown}"));
                }
            }
            Rule::LenMin(min) => {
                if length(v, m.ty).is_some_and(|n| n < min) {
                    fail(Some(v), format!("Member must have length greater than or equal to {min}"));
                }
            }
            Rule::LenMax(max) => {
                if length(v, m.ty).is_some_and(|n| n > max) {
                    fail(Some(v), format!("Member must have length less than or equal to {max}"));
                }
            }
            Rule::Enum(values) => {
                if v.as_str().is_some_and(|s| !values.contains(&s)) {
                    fail(Some(v), format!("Member must satisfy enum value set: [{}]", values.join(", ")));
                }
            }
            Rule::MapKeysLen(min, max) => {
                if v.as_object().is_some_and(|o| o.keys().any(|k| !(min..=max).contains(&k.chars().count()))) {
                    fail(
                        Some(v),
                        format!(
                            "Map keys must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to {min}]"
                        ),
                    );
                }
            }
            Rule::MapValuesLen(min, max) => {
                let bad = |x: &Value| x.as_str().is_some_and(|s| !(min..=max).contains(&s.chars().count()));
                if v.as_object().is_some_and(|o| o.values().any(bad)) {
                    fail(
                        Some(v),
                        format!(
                            "Map value must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to {min}]"
                        ),
                    );
                }
            }
            Rule::ItemsEnum(values) => {
                let bad = |x: &Value| x.as_str().is_some_and(|s| !values.contains(&s));
                if v.as_array().is_some_and(|a| a.iter().any(bad)) {
                    fail(
                        Some(v),
                        format!(
                            "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                            values.join(", ")
                        ),
                    );
                }
            }
            Rule::ItemsLen(min, max) => {
                let bad = |x: &Value| x.as_str().is_some_and(|s| !(min..=max).contains(&s.chars().count()));
                if v.as_array().is_some_and(|a| a.iter().any(bad)) {
                    fail(
                        Some(v),
                        format!(
                            "Member must satisfy constraint: [Member must have length less than or equal to {max}, Member must have length greater than or equal to {min}]"
                        ),
                    );
                }
            }
        }
    }
    match m.ty {
        Ty::Struct(members) => {
            if let Value::Object(obj) = v {
                validate_struct(members, obj, &format!("{path}."), errors);
            }
        }
        Ty::List(Ty::Struct(members), _) => {
            if let Value::Array(items) = v {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(obj) = item {
                        validate_struct(members, obj, &format!("{path}.{}.member.", i + 1), errors);
                    }
                }
            }
        }
        _ => {}
    }
}

/// Matchers for the patterns the Kinesis model uses. Each matches the whole string.
pub mod patterns {
    use riffle_types::names::is_name_byte;

    /// `[a-zA-Z0-9_.-]+`
    pub fn name(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(is_name_byte)
    }

    fn decimal(s: &str, max_tail: usize) -> bool {
        s == "0"
            || (s.len() <= max_tail + 1
                && s.as_bytes().first().is_some_and(|b| (b'1'..=b'9').contains(b))
                && s.bytes().all(|b| b.is_ascii_digit()))
    }

    /// `0|([1-9]\d{0,38})`
    pub fn hash_key(s: &str) -> bool {
        decimal(s, 38)
    }

    /// `0|([1-9]\d{0,128})`
    pub fn sequence_number(s: &str) -> bool {
        decimal(s, 128)
    }

    /// `[a-z0-9]{20}-[a-z0-9]{3}`
    pub fn stream_id(s: &str) -> bool {
        let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let b = s.as_bytes();
        b.len() == 24 && b[20] == b'-' && b[..20].iter().all(|c| ok(*c)) && b[21..].iter().all(|c| ok(*c))
    }

    /// `arn:aws.*:kinesis:.*:\d{12}:<resource>/\S+` where `any_prefix` allows `.*` before
    /// `resource` (the ResourceARN form `...:\d{12}:.*stream/\S+`).
    fn arn(s: &str, resource: &str, any_prefix: bool) -> bool {
        if !s.starts_with("arn:aws") {
            return false;
        }
        let Some(k) = s.find(":kinesis:") else {
            return false;
        };
        let rest = &s[k + ":kinesis:".len() - 1..];
        // Find ':' + 12 digits + ':' anywhere after, then the resource.
        let b = rest.as_bytes();
        (0..b.len()).any(|i| {
            b[i] == b':'
                && b.len() > i + 14
                && b[i + 1..i + 13].iter().all(u8::is_ascii_digit)
                && b[i + 13] == b':'
                && {
                    let tail = &rest[i + 14..];
                    let tail_ok = |t: &str| {
                        t.strip_prefix(resource).is_some_and(|r| !r.is_empty() && !r.chars().any(char::is_whitespace))
                    };
                    if any_prefix {
                        (0..=tail.len()).any(|j| tail.is_char_boundary(j) && tail_ok(&tail[j..]))
                    } else {
                        tail_ok(tail)
                    }
                }
        })
    }

    /// `arn:aws.*:kinesis:.*:\d{12}:stream/\S+`
    pub fn stream_arn(s: &str) -> bool {
        arn(s, "stream/", false)
    }

    /// `arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+`
    pub fn resource_arn(s: &str) -> bool {
        arn(s, "stream/", true)
    }

    /// `^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`
    /// (the model's pattern is unanchored at the end; AWS matches a prefix).
    pub fn consumer_arn(s: &str) -> bool {
        let Some((stream_part, consumer)) = s.split_once("/consumer/") else { return false };
        let Some((name, epoch)) = consumer.rsplit_once(':') else { return false };
        resource_arn(stream_part) && self::name(name) && !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit())
    }

    /// The shard id pattern, `[a-zA-Z0-9_.-]+`.
    pub fn shard_id(s: &str) -> bool {
        name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static RECORD: &[Member] = &[
        Member::new("Data", Ty::Blob, &[Rule::NotNull, Rule::LenMax(4)]),
        Member::new("PartitionKey", Ty::Str, &[Rule::NotNull, Rule::LenMin(1), Rule::LenMax(256)]),
    ];
    static OP: &[Member] = &[
        Member::new("ShardCount", Ty::Int, &[Rule::NotNull, Rule::Min(1)]),
        Member::new(
            "Records",
            Ty::List(&Ty::Struct(RECORD), "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry"),
            &[Rule::LenMax(2)],
        ),
        Member::new(
            "StreamName",
            Ty::Str,
            &[Rule::NotNull, Rule::Pattern("[a-zA-Z0-9_.-]+", patterns::name), Rule::LenMin(1), Rule::LenMax(128)],
        ),
        Member::new("Tags", Ty::Map(&Ty::Str), &[Rule::MapKeysLen(1, 128)]),
    ];

    fn msg(v: Value) -> String {
        let mut v = v;
        let e = check(OP, &mut v).unwrap_err();
        format!("{}: {}", e.code, e.message.unwrap())
    }

    #[test]
    fn aws_validation_messages() {
        assert_eq!(
            msg(json!({})),
            "ValidationException: 2 validation errors detected: Value null at 'shardCount' failed to satisfy constraint: Member must not be null; Value null at 'streamName' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(
            msg(json!({"StreamName": "", "ShardCount": 0})),
            "ValidationException: 3 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        assert_eq!(
            msg(json!({"StreamName": "a", "ShardCount": 1, "Records": [{"Data": "AAAAAAAA", "PartitionKey": ""}]})),
            "ValidationException: 2 validation errors detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6 cap=6]' at 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to 4; Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        assert!(msg(json!({"StreamName": "a", "ShardCount": 1, "Records": [{}, {}, {}]})).contains(
            "Value '[com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310, com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310, com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310]' at 'records'"
        ));
    }

    #[test]
    fn at_most_ten_errors() {
        let recs: Vec<Value> = (0..20).map(|_| json!({})).collect();
        let m = msg(json!({"StreamName": "a", "ShardCount": 1, "Records": recs}));
        assert!(m.starts_with("ValidationException: 10 validation errors detected"));
    }

    #[test]
    fn type_errors_are_serialization_exceptions() {
        assert_eq!(
            msg(json!({"StreamName": true})),
            "SerializationException: class java.lang.Boolean can not be converted to an String"
        );
        assert_eq!(
            msg(json!({"ShardCount": "23"})),
            "SerializationException: class java.lang.String can not be converted to an Integer"
        );
        assert_eq!(msg(json!({"Records": "x"})), "SerializationException: Expected list or null");
        assert_eq!(msg(json!({"Tags": []})), "SerializationException: Start of list found where not expected");
        assert_eq!(
            msg(json!({"Records": [{"Data": "23456"}]})),
            "SerializationException: '23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5"
        );
    }

    #[test]
    fn normalizes_numbers_and_drops_unknown_and_null_members() {
        let mut v = json!({"StreamName": "a", "ShardCount": 3.7, "Bogus": 1, "Tags": null});
        check(OP, &mut v).unwrap();
        assert_eq!(v, json!({"StreamName": "a", "ShardCount": 3}));
    }

    #[test]
    fn patterns_match_the_model() {
        assert!(patterns::stream_arn("arn:aws:kinesis:us-east-1:123456789012:stream/s"));
        assert!(!patterns::stream_arn("arn:aws:kinesis:us-east-1:12345678901:stream/s"));
        assert!(!patterns::stream_arn("arn:aws:kinesis:us-east-1:123456789012:stream/"));
        assert!(patterns::resource_arn("arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1"));
        assert!(patterns::hash_key("0") && patterns::hash_key("12") && !patterns::hash_key("012"));
        assert!(patterns::stream_id("abcdefghij0123456789-abc"));
    }
}
