//! Tag rules shared by the stream and resource tagging operations.

use std::collections::BTreeMap;

use crate::error::{Result, StreamsError};

/// Tags per stream.
pub const MAX_TAGS: usize = 50;

fn allowed(c: char) -> bool {
    c.is_alphanumeric()
        || c == '_'
        || matches!(c, '.' | '/' | '=' | '+' | '-' | ' ' | '@' | '%')
        || ('\u{00C0}'..='\u{1FFF}').contains(&c)
        || ('\u{2C00}'..='\u{D7FF}').contains(&c)
}

/// Checks tag keys and values for AWS's allowed characters. `verb` is "add" or "remove".
pub fn check_chars<'a>(
    strings: impl Iterator<Item = &'a str> + Clone,
    verb: &str,
    stream: &str,
    account: &str,
) -> Result<()> {
    if strings.clone().any(|s| !s.chars().all(allowed)) {
        return Err(StreamsError::InvalidArgument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @."
                .into(),
        ));
    }
    if strings.clone().any(|s| s.contains('%')) {
        return Err(StreamsError::InvalidArgument(format!(
            "Failed to {verb} tags {} stream {stream} under account {account} because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.",
            if verb == "add" { "to" } else { "from" }
        )));
    }
    Ok(())
}

/// Merges `new` into `tags`, refusing to pass the per-stream limit.
pub fn add(
    tags: &mut BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    stream: &str,
    account: &str,
) -> Result<()> {
    check_chars(new.keys().chain(new.values()).map(String::as_str), "add", stream, account)?;
    let total = tags.len() + new.keys().filter(|k| !tags.contains_key(*k)).count();
    if total > MAX_TAGS {
        return Err(StreamsError::InvalidArgument(format!(
            "Failed to add tags to stream {stream} under account {account} because a given stream cannot have more than {MAX_TAGS} tags associated with it."
        )));
    }
    tags.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(())
}

/// Removes `keys` from `tags`; absent keys are ignored.
pub fn remove(tags: &mut BTreeMap<String, String>, keys: &[String], stream: &str, account: &str) -> Result<()> {
    check_chars(keys.iter().map(String::as_str), "remove", stream, account)?;
    for k in keys {
        tags.remove(k);
    }
    Ok(())
}
