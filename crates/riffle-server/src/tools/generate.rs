//! `riffle gen STREAM`: the data generator. Templates in the Kinesis Data Generator's style
//! (`{{name.firstName}}`, `{{random.number({"min":1,"max":10})}}`, ...) are rendered at a
//! records-per-second rate for a count or a duration, put through the producer, and the run
//! ends with the per-shard distribution: counts against each shard's expected share of the
//! hash-key space, and whether every shard is within 3 standard deviations of it.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use fake::Fake;
use fake::faker::{
    address::en as address, company::en as company, internet::en as internet, lorem::en as lorem, name::en as name,
};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

use super::Conn;
use super::put::{KeyStrategy, ProducerArgs, Run};

/// A template the generator fills per record. The default is a sensor reading.
pub const DEFAULT_TEMPLATE: &str = r#"{"sensorId": "{{random.number({"min":1,"max":50})}}", "reading": {{sensor.temperature}}, "status": "{{random.arrayElement(["OK","WARN","FAIL"])}}", "at": "{{date.now}}"}"#;

#[derive(Debug, Clone, clap::Args)]
pub struct GenArgs {
    pub stream: String,
    /// The record template (see docs/tools.md for the fields); `@FILE` reads it from a file.
    #[arg(long, default_value = DEFAULT_TEMPLATE)]
    pub template: String,
    /// Records per second (0: as fast as the stream takes them).
    #[arg(long, default_value_t = 100)]
    pub rate: u64,
    /// Records to generate.
    #[arg(long, conflicts_with = "duration")]
    pub count: Option<u64>,
    /// Seconds to generate for.
    #[arg(long)]
    pub duration: Option<u64>,
    /// Partition keys: `random`, `fixed:VALUE`, `field:NAME` or `hash`, as for `riffle put`.
    #[arg(long, default_value = "random")]
    pub key: String,
    #[command(flatten)]
    pub producer: ProducerArgs,
}

/// A fake value.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    FirstName,
    LastName,
    FullName,
    Ip,
    Ipv6,
    UserName,
    Email,
    UserAgent,
    City,
    CountryCode,
    Company,
    Word,
    Sentence,
    Uuid,
    Number { min: i64, max: i64 },
    Float { min: f64, max: f64, decimals: usize },
    Choice(Vec<String>),
    Boolean,
    Now,
    Epoch,
    EpochMillis,
    Temperature,
    Humidity,
    ApacheLog,
    Seq,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Field(Field),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(Vec<Part>);

fn field(expr: &str) -> anyhow::Result<Field> {
    let expr = expr.trim();
    let (name, arg) = match expr.split_once('(') {
        Some((n, rest)) => (n.trim(), Some(rest.strip_suffix(')').context("a ( without its )")?.trim())),
        None => (expr, None),
    };
    let json_arg = || -> anyhow::Result<Value> { Ok(serde_json::from_str(arg.unwrap_or("{}"))?) };
    let num = |v: &Value, k: &str, d: f64| v.get(k).and_then(Value::as_f64).unwrap_or(d);
    Ok(match name {
        "name.firstName" => Field::FirstName,
        "name.lastName" => Field::LastName,
        "name.fullName" | "name.findName" => Field::FullName,
        "internet.ip" => Field::Ip,
        "internet.ipv6" => Field::Ipv6,
        "internet.userName" => Field::UserName,
        "internet.email" => Field::Email,
        "internet.userAgent" => Field::UserAgent,
        "address.city" => Field::City,
        "address.countryCode" => Field::CountryCode,
        "company.companyName" => Field::Company,
        "lorem.word" => Field::Word,
        "lorem.sentence" => Field::Sentence,
        "random.uuid" => Field::Uuid,
        "random.boolean" => Field::Boolean,
        "random.number" => match json_arg()? {
            Value::Number(n) => {
                Field::Number { min: 0, max: n.as_i64().context("random.number(max) wants an integer")? }
            }
            v => Field::Number { min: num(&v, "min", 0.0) as i64, max: num(&v, "max", 99_999.0) as i64 },
        },
        "random.float" => {
            let v = json_arg()?;
            let precision = num(&v, "precision", 0.01);
            let decimals = (-precision.log10()).ceil().max(0.0) as usize;
            Field::Float { min: num(&v, "min", 0.0), max: num(&v, "max", 1.0), decimals }
        }
        "random.arrayElement" => match json_arg()? {
            Value::Array(a) if !a.is_empty() => {
                Field::Choice(a.into_iter().map(|x| x.as_str().map_or(x.to_string(), str::to_string)).collect())
            }
            _ => bail!("random.arrayElement wants a non-empty JSON array"),
        },
        "date.now" => Field::Now,
        "date.epoch" => Field::Epoch,
        "date.epochMillis" => Field::EpochMillis,
        "sensor.temperature" => Field::Temperature,
        "sensor.humidity" => Field::Humidity,
        "apache.log" => Field::ApacheLog,
        "seq" => Field::Seq,
        _ => bail!("unknown template field {{{{{expr}}}}}"),
    })
}

impl Template {
    pub fn parse(s: &str) -> anyhow::Result<Template> {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let close = rest[open..].find("}}").with_context(|| format!("a {{{{ without }}}} in {s:?}"))? + open;
            parts.push(Part::Field(field(&rest[open + 2..close])?));
            rest = &rest[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template(parts))
    }

    /// The `seq`-th record.
    pub fn render(&self, rng: &mut impl Rng, seq: u64) -> String {
        let mut out = String::new();
        let now_ms = riffle_types::time::SystemClock::with_offset(0);
        let now = riffle_types::time::Clock::now_ms(&now_ms);
        for p in &self.0 {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => out.push_str(&value(f, rng, seq, now)),
            }
        }
        out
    }
}

fn value(f: &Field, rng: &mut impl Rng, seq: u64, now: i64) -> String {
    match f {
        Field::FirstName => name::FirstName().fake_with_rng(rng),
        Field::LastName => name::LastName().fake_with_rng(rng),
        Field::FullName => name::Name().fake_with_rng(rng),
        Field::Ip => internet::IPv4().fake_with_rng(rng),
        Field::Ipv6 => internet::IPv6().fake_with_rng(rng),
        Field::UserName => internet::Username().fake_with_rng(rng),
        Field::Email => internet::FreeEmail().fake_with_rng(rng),
        Field::UserAgent => internet::UserAgent().fake_with_rng(rng),
        Field::City => address::CityName().fake_with_rng(rng),
        Field::CountryCode => address::CountryCode().fake_with_rng(rng),
        Field::Company => company::CompanyName().fake_with_rng(rng),
        Field::Word => lorem::Word().fake_with_rng(rng),
        Field::Sentence => lorem::Sentence(3..9).fake_with_rng(rng),
        Field::Uuid => uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string(),
        Field::Number { min, max } => rng.random_range(*min.min(max)..=*max.max(min)).to_string(),
        Field::Float { min, max, decimals } => format!("{:.*}", decimals, rng.random_range(*min..=max.max(*min))),
        Field::Choice(options) => options.choose(rng).cloned().unwrap_or_default(),
        Field::Boolean => rng.random_bool(0.5).to_string(),
        Field::Now => super::rfc3339(now),
        Field::Epoch => (now / 1000).to_string(),
        Field::EpochMillis => now.to_string(),
        Field::Temperature => format!("{:.2}", 20.0 + rng.random_range(-5.0..5.0)),
        Field::Humidity => format!("{:.1}", rng.random_range(30.0..70.0)),
        Field::ApacheLog => {
            const METHODS: [&str; 4] = ["GET", "GET", "POST", "PUT"];
            const PATHS: [&str; 5] = ["/", "/index.html", "/api/orders", "/login", "/static/app.js"];
            const STATUS: [u16; 5] = [200, 200, 200, 404, 500];
            let (y, mo, d, h, mi, s, _, _) = riffle_types::time::civil(now);
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let ip: String = internet::IPv4().fake_with_rng(rng);
            let user: String = internet::Username().fake_with_rng(rng);
            format!(
                "{ip} - {user} [{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0000] \"{} {} HTTP/1.1\" {} {}",
                MONTHS[(mo - 1) as usize],
                METHODS.choose(rng).expect("non-empty"),
                PATHS.choose(rng).expect("non-empty"),
                STATUS.choose(rng).expect("non-empty"),
                rng.random_range(200..50_000)
            )
        }
        Field::Seq => seq.to_string(),
    }
}

/// How evenly records spread: per shard, its count against its share of the hash-key space.
pub fn distribution(
    shards: &[riffle_client::shards::ShardRange],
    counts: &std::collections::BTreeMap<String, u64>,
) -> Value {
    let total: u64 = counts.values().sum();
    let space = 2f64.powi(128);
    let mut rows = Vec::new();
    let mut even = true;
    for s in shards {
        let share = ((s.end - s.start) as f64 + 1.0) / space;
        let expected = total as f64 * share;
        let sigma = (total as f64 * share * (1.0 - share)).sqrt().max(1e-9);
        let got = counts.get(&s.shard_id).copied().unwrap_or(0);
        let z = (got as f64 - expected) / sigma;
        even &= z.abs() <= 3.0;
        rows.push(json!({"shard": s.shard_id, "records": got, "expected": expected, "deviation_pct": 100.0 * (got as f64 - expected) / expected.max(1e-9), "z": z}));
    }
    json!({"records": total, "shards": rows, "even": even})
}

pub async fn run(conn: &Conn, args: GenArgs) -> anyhow::Result<()> {
    let text = match args.template.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => args.template.clone(),
    };
    let template = Template::parse(text.trim_end_matches('\n'))?;
    let strategy = KeyStrategy::parse(&args.key)?;
    if args.count.is_none() && args.duration.is_none() {
        bail!("give --count or --duration");
    }
    let run = Run::start(conn, &args.stream, &args.producer, args.count).await?;
    let started = run.started();
    let end = args.duration.map(|d| started + Duration::from_secs(d));
    let mut rng = rand::rng();
    let mut n = 0u64;
    while args.count.is_none_or(|c| n < c) && end.is_none_or(|e| Instant::now() < e) {
        if args.rate > 0 {
            // Pace: record n is due at n / rate seconds.
            let due = started + Duration::from_secs_f64(n as f64 / args.rate as f64);
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
        }
        let record = template.render(&mut rng, n);
        let key = strategy.key(record.as_bytes())?;
        run.put(key, Bytes::from(record)).await;
        n += 1;
    }
    let (failed, counts) = run.finish(conn, "generated").await;
    let shards = riffle_client::shards::ShardMap::load(&conn.client(), &args.stream).await?;
    let report = distribution(shards.shards(), &counts);
    if conn.json {
        println!("{report}");
    } else {
        println!("\n{:<22} {:>10} {:>12} {:>10} {:>7}", "shard", "records", "expected", "deviation", "z");
        for r in report["shards"].as_array().into_iter().flatten() {
            println!(
                "{:<22} {:>10} {:>12.1} {:>9.2}% {:>7.2}",
                r["shard"].as_str().unwrap_or(""),
                r["records"],
                r["expected"].as_f64().unwrap_or(0.0),
                r["deviation_pct"].as_f64().unwrap_or(0.0),
                r["z"].as_f64().unwrap_or(0.0)
            );
        }
        println!(
            "\n{}",
            if report["even"] == true {
                "even: every shard is within 3 standard deviations of its share of the hash-key space"
            } else {
                "uneven: some shard is more than 3 standard deviations from its share (hot keys, or a fixed key)"
            }
        );
    }
    if failed > 0 {
        bail!("{failed} records failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn templates_render_every_field() {
        let t = Template::parse(
            r#"{{name.firstName}} {{name.lastName}} {{internet.ip}} {{random.number({"min":5,"max":5})}} {{random.number(0)}} {{random.arrayElement(["x"])}} {{random.float({"min":1,"max":1,"precision":0.01})}} {{seq}} {{date.now}} {{apache.log}} {{random.uuid}}"#,
        )
        .unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let s = t.render(&mut rng, 42);
        assert!(s.contains(" 5 0 x 1.00 42 "), "{s}");
        assert!(s.contains("HTTP/1.1\""), "{s}");
        assert_eq!(s.split(' ').nth(2).unwrap().split('.').count(), 4, "an IPv4 address: {s}");
        let default = Template::parse(DEFAULT_TEMPLATE).unwrap().render(&mut rng, 0);
        assert!(serde_json::from_str::<Value>(&default).is_ok(), "the default template renders JSON: {default}");
        assert!(Template::parse("{{nope}}").is_err());
        assert!(Template::parse("{{seq").is_err());
    }

    #[test]
    fn distribution_flags_a_hot_shard() {
        use riffle_client::shards::ShardRange;
        let half = u128::MAX / 2;
        let shards = vec![
            ShardRange { shard_id: "a".into(), start: 0, end: half },
            ShardRange { shard_id: "b".into(), start: half + 1, end: u128::MAX },
        ];
        let even = [("a".to_string(), 5_030u64), ("b".to_string(), 4_970)].into_iter().collect();
        assert_eq!(distribution(&shards, &even)["even"], true);
        let hot = [("a".to_string(), 9_000u64), ("b".to_string(), 1_000)].into_iter().collect();
        assert_eq!(distribution(&shards, &hot)["even"], false);
    }
}
