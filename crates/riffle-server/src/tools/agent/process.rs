//! The Kinesis Agent's data-processing options, applied in order to each record:
//! SINGLELINE, CSVTOJSON, LOGTOJSON (COMMONAPACHELOG, COMBINEDAPACHELOG, APACHEERRORLOG,
//! SYSLOG, RFC3164SYSLOG, RFC5424SYSLOG, with an optional custom `matchPattern` and
//! `customFieldNames`), ADDMETADATA and ADDEPHEMERALMETADATA.

use anyhow::{Context, bail};
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// One option as the configuration file gives it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionConfig {
    pub option_name: String,
    #[serde(default)]
    pub custom_field_names: Option<Vec<String>>,
    #[serde(default)]
    pub delimiter: Option<String>,
    #[serde(default)]
    pub log_format: Option<String>,
    #[serde(default)]
    pub match_pattern: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub timestamp: Option<Value>,
}

/// A ready-to-run option.
#[derive(Debug, Clone)]
pub enum Step {
    SingleLine,
    CsvToJson { fields: Vec<String>, delimiter: String },
    LogToJson { pattern: Regex, fields: Vec<String>, dash_is_null: bool },
    AddMetadata { metadata: Value, timestamp: bool },
    AddEphemeralMetadata,
}

/// What ADDEPHEMERALMETADATA adds: where and when the record was read.
pub struct RecordContext<'a> {
    pub file: &'a str,
    pub hostname: &'a str,
    pub now_ms: i64,
}

const MONTH: &str = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*";
const DAY: &str = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*";
const CLOCK: &str = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?";
const USER: &str = r"[\w.@-]+|-";

/// The pattern and field names of a built-in log format.
fn log_format(name: &str) -> anyhow::Result<(String, Vec<&'static str>, bool)> {
    let common = format!(r#"^(\S+) ({USER}) ({USER}) \[([^\]]+)\] "([^"]*)" (\d{{3}}|-) (\d+|-)"#);
    Ok(match name {
        "COMMONAPACHELOG" => (
            format!("{common}.*$"),
            vec!["host", "ident", "authuser", "datetime", "request", "response", "bytes"],
            true,
        ),
        "COMBINEDAPACHELOG" => (
            format!(r#"{common} "([^"]*)" "([^"]*)".*$"#),
            vec!["host", "ident", "authuser", "datetime", "request", "response", "bytes", "referer", "agent"],
            true,
        ),
        "APACHEERRORLOG" => (
            format!(
                r"^\[({DAY} {MONTH} \d{{1,2}} {CLOCK} \d{{4}})\] \[(?:(\w+):)?(\w+)\] \[pid (\d+)(?::tid (\d+))?\] (?:\[client ([^\]]+)\] )?(.*)$"
            ),
            vec!["timestamp", "module", "severity", "processid", "threadid", "client", "message"],
            true,
        ),
        "SYSLOG" | "RFC3164SYSLOG" => (
            format!(r"^(?:<\d{{1,3}}>)?({MONTH}\s+\d{{1,2}} {CLOCK}) (\S+) ([\w./%-]+)(?:\[(\d+)\])?: (.*)$"),
            vec!["timestamp", "hostname", "program", "processid", "message"],
            false,
        ),
        "RFC5424SYSLOG" => (
            r"^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+) ?(.*)$".to_string(),
            vec![
                "pri",
                "version",
                "timestamp",
                "hostname",
                "program",
                "processid",
                "msgid",
                "structureddata",
                "message",
            ],
            true,
        ),
        other => bail!(
            "logFormat {other}: use COMMONAPACHELOG, COMBINEDAPACHELOG, APACHEERRORLOG, SYSLOG, RFC3164SYSLOG or RFC5424SYSLOG"
        ),
    })
}

impl Step {
    pub fn build(c: &OptionConfig) -> anyhow::Result<Step> {
        Ok(match c.option_name.as_str() {
            "SINGLELINE" => Step::SingleLine,
            "CSVTOJSON" => Step::CsvToJson {
                fields: c.custom_field_names.clone().context("CSVTOJSON needs customFieldNames")?,
                delimiter: c.delimiter.clone().unwrap_or_else(|| ",".into()),
            },
            "LOGTOJSON" => {
                let format = c.log_format.as_deref().context("LOGTOJSON needs logFormat")?;
                let (pattern, fields, dash_is_null) = log_format(format)?;
                let pattern = c.match_pattern.clone().unwrap_or(pattern);
                let pattern = Regex::new(&pattern).with_context(|| format!("matchPattern {pattern}"))?;
                let fields: Vec<String> =
                    c.custom_field_names.clone().unwrap_or_else(|| fields.iter().map(|f| f.to_string()).collect());
                if pattern.captures_len() - 1 != fields.len() {
                    bail!(
                        "LOGTOJSON: the pattern has {} groups but there are {} field names",
                        pattern.captures_len() - 1,
                        fields.len()
                    );
                }
                Step::LogToJson { pattern, fields, dash_is_null }
            }
            "ADDMETADATA" => Step::AddMetadata {
                metadata: c.metadata.clone().unwrap_or_else(|| json!({})),
                timestamp: matches!(&c.timestamp, Some(Value::Bool(true)))
                    || matches!(&c.timestamp, Some(Value::String(s)) if s == "true"),
            },
            "ADDEPHEMERALMETADATA" => Step::AddEphemeralMetadata,
            other => bail!("unknown optionName {other}"),
        })
    }

    /// Applies the option; `None` drops a record that does not parse (as the agent does).
    pub fn apply(&self, record: String, ctx: &RecordContext<'_>) -> Option<String> {
        match self {
            Step::SingleLine => Some(record.lines().map(str::trim).collect::<Vec<_>>().join("")),
            Step::CsvToJson { fields, delimiter } => {
                let values: Vec<&str> = record.split(delimiter.as_str()).map(str::trim).collect();
                let mut m = Map::new();
                for (f, v) in fields.iter().zip(values.iter().copied().chain(std::iter::repeat(""))) {
                    m.insert(f.clone(), Value::String(v.to_string()));
                }
                Some(Value::Object(m).to_string())
            }
            Step::LogToJson { pattern, fields, dash_is_null } => {
                let caps = pattern.captures(record.trim_end_matches(['\r', '\n']))?;
                let mut m = Map::new();
                for (i, f) in fields.iter().enumerate() {
                    let v = caps.get(i + 1).map(|v| v.as_str());
                    let v = match v {
                        Some("-") if *dash_is_null => Value::Null,
                        Some(s) => Value::String(s.to_string()),
                        None => Value::Null,
                    };
                    m.insert(f.clone(), v);
                }
                Some(Value::Object(m).to_string())
            }
            Step::AddMetadata { metadata, timestamp } => {
                let mut meta = metadata.clone();
                if *timestamp && let Value::Object(m) = &mut meta {
                    m.insert("timestamp".into(), json!(crate::tools::rfc3339(ctx.now_ms)));
                }
                Some(json!({"metadata": meta, "data": record}).to_string())
            }
            Step::AddEphemeralMetadata => Some(
                json!({
                    "metadata": {"timestamp": crate::tools::rfc3339(ctx.now_ms), "hostname": ctx.hostname, "file": ctx.file},
                    "data": record,
                })
                .to_string(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(v: Value) -> Step {
        Step::build(&serde_json::from_value(v).unwrap()).unwrap()
    }

    fn run(s: &Step, r: &str) -> Option<Value> {
        let ctx = RecordContext { file: "/var/log/a.log", hostname: "h1", now_ms: 1_795_318_785_601 };
        s.apply(r.to_string(), &ctx).map(|o| serde_json::from_str(&o).unwrap_or(Value::String(o)))
    }

    #[test]
    fn singleline_and_csv() {
        assert_eq!(run(&step(json!({"optionName": "SINGLELINE"})), "  a\n   b  \n c"), Some(json!("abc")));
        let csv = step(json!({"optionName": "CSVTOJSON", "customFieldNames": ["f1", "f2"]}));
        assert_eq!(run(&csv, "v1, v2"), Some(json!({"f1": "v1", "f2": "v2"})));
        let tsv = step(json!({"optionName": "CSVTOJSON", "customFieldNames": ["a", "b", "c"], "delimiter": "\t"}));
        assert_eq!(run(&tsv, "1\t2"), Some(json!({"a": "1", "b": "2", "c": ""})));
        assert!(Step::build(&serde_json::from_value(json!({"optionName": "CSVTOJSON"})).unwrap()).is_err());
    }

    #[test]
    fn apache_logs() {
        let common = step(json!({"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG"}));
        let line = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
        assert_eq!(
            run(&common, line),
            Some(
                json!({"host": "127.0.0.1", "ident": null, "authuser": "frank", "datetime": "10/Oct/2000:13:55:36 -0700",
                        "request": "GET /apache_pb.gif HTTP/1.0", "response": "200", "bytes": "2326"})
            )
        );
        let combined = step(json!({"optionName": "LOGTOJSON", "logFormat": "COMBINEDAPACHELOG"}));
        let line2 = format!(r#"{line} "http://www.example.com/start.html" "Mozilla/4.08""#);
        let v = run(&combined, &line2).unwrap();
        assert_eq!(
            (v["referer"].as_str(), v["agent"].as_str()),
            (Some("http://www.example.com/start.html"), Some("Mozilla/4.08"))
        );
        assert_eq!(run(&common, "not a log line"), None, "unparsable records are dropped");
        let error = step(json!({"optionName": "LOGTOJSON", "logFormat": "APACHEERRORLOG"}));
        let e = run(&error, "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico").unwrap();
        assert_eq!(
            (e["module"].as_str(), e["severity"].as_str(), e["processid"].as_str(), e["threadid"].as_str()),
            (Some("core"), Some("error"), Some("35708"), Some("4328636416"))
        );
        assert_eq!(e["client"], "72.15.99.187");
        assert!(e["message"].as_str().unwrap().starts_with("File does not exist"));
    }

    #[test]
    fn syslogs_and_custom_patterns() {
        let sys = step(json!({"optionName": "LOGTOJSON", "logFormat": "SYSLOG"}));
        let v = run(
            &sys,
            "Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds)",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"timestamp": "Mar 12 12:00:08", "hostname": "server2", "program": "rcd", "processid": "308", "message": "Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds)"})
        );
        let bsd = step(json!({"optionName": "LOGTOJSON", "logFormat": "RFC3164SYSLOG"}));
        assert_eq!(run(&bsd, "<34>Oct 11 22:14:15 mymachine su: 'su root' failed").unwrap()["processid"], Value::Null);
        let ietf = step(json!({"optionName": "LOGTOJSON", "logFormat": "RFC5424SYSLOG"}));
        let v = run(&ietf, r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event"#).unwrap();
        assert_eq!(
            (
                v["pri"].as_str(),
                v["hostname"].as_str(),
                v["processid"].clone(),
                v["msgid"].as_str(),
                v["message"].as_str()
            ),
            (Some("165"), Some("mymachine.example.com"), Value::Null, Some("ID47"), Some("An application event"))
        );
        let custom = step(
            json!({"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG", "matchPattern": "^(\\w+) (\\d+)$", "customFieldNames": ["word", "n"]}),
        );
        assert_eq!(run(&custom, "abc 12"), Some(json!({"word": "abc", "n": "12"})));
        let bad = serde_json::from_value(
            json!({"optionName": "LOGTOJSON", "logFormat": "SYSLOG", "customFieldNames": ["a"]}),
        )
        .unwrap();
        assert!(Step::build(&bad).is_err(), "field count must match the groups");
    }

    #[test]
    fn metadata() {
        let add = step(json!({"optionName": "ADDMETADATA", "metadata": {"env": "prod"}, "timestamp": "true"}));
        let v = run(&add, "hello").unwrap();
        assert_eq!((v["data"].as_str(), v["metadata"]["env"].as_str()), (Some("hello"), Some("prod")));
        assert_eq!(v["metadata"]["timestamp"], "2026-11-22T03:39:45.601Z");
        let eph = run(&step(json!({"optionName": "ADDEPHEMERALMETADATA"})), "x").unwrap();
        assert_eq!(
            eph["metadata"],
            json!({"timestamp": "2026-11-22T03:39:45.601Z", "hostname": "h1", "file": "/var/log/a.log"})
        );
    }
}
