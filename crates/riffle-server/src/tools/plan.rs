//! `riffle plan`: the shard calculator. AWS's formula,
//! `shards = max(incoming KiB/s / 1024, outgoing KiB/s / 2048)` with the record size rounded up
//! to a whole KiB and outgoing = incoming x consumers, plus the 1,000 records/s a shard accepts.

use serde_json::json;

#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Records written per second.
    #[arg(long)]
    pub records_per_sec: f64,
    /// Average record size in bytes (rounded up to a whole KiB).
    #[arg(long)]
    pub record_bytes: f64,
    /// Applications reading the whole stream with shared throughput (GetRecords).
    #[arg(long, default_value_t = 1)]
    pub consumers: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// One limit a stream must meet, and the shards it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub name: &'static str,
    pub demand: f64,
    pub per_shard: f64,
    pub unit: &'static str,
    pub shards: u64,
}

/// The shards each limit needs; the plan is the largest.
pub fn plan(records_per_sec: f64, record_bytes: f64, consumers: u32) -> Vec<Need> {
    let kib = (record_bytes / 1024.0).ceil().max(1.0);
    let incoming = kib * records_per_sec;
    let outgoing = incoming * f64::from(consumers);
    let need = |name, demand: f64, per_shard: f64, unit| Need {
        name,
        demand,
        per_shard,
        unit,
        shards: ((demand / per_shard) - 1e-9).ceil().max(1.0) as u64,
    };
    vec![
        need("incoming write bandwidth", incoming, 1024.0, "KiB/s"),
        need("outgoing read bandwidth", outgoing, 2048.0, "KiB/s"),
        need("incoming records", records_per_sec, 1000.0, "records/s"),
    ]
}

pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.records_per_sec >= 0.0 && args.record_bytes >= 0.0, "rates and sizes must not be negative");
    let needs = plan(args.records_per_sec, args.record_bytes, args.consumers);
    let best = needs.iter().max_by_key(|n| n.shards).expect("three limits");
    if args.json {
        let limits: Vec<_> = needs
            .iter()
            .map(|n| json!({"limit": n.name, "demand": n.demand, "per_shard": n.per_shard, "unit": n.unit, "shards": n.shards}))
            .collect();
        println!("{}", json!({"shards": best.shards, "binding": best.name, "limits": limits}));
        return Ok(());
    }
    println!("{:<26} {:>14} {:>12} {:>8}", "limit", "demand", "per shard", "shards");
    for n in &needs {
        println!(
            "{:<26} {:>14} {:>12} {:>8}{}",
            n.name,
            format!("{:.0} {}", n.demand, n.unit),
            format!("{:.0}", n.per_shard),
            n.shards,
            if std::ptr::eq(n, best) { "  <- binding" } else { "" }
        );
    }
    println!("\nnumber_of_shards = {} (bound by {})", best.shards, best.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards(r: f64, b: f64, c: u32) -> (u64, &'static str) {
        let n = plan(r, b, c);
        let best = n.iter().max_by_key(|n| n.shards).unwrap();
        (best.shards, best.name)
    }

    #[test]
    fn aws_formula() {
        // 1,000 records/s of 3 KiB: 3,000 KiB/s in -> 3 shards; one consumer reads 3,000 KiB/s -> 2.
        assert_eq!(shards(1000.0, 3072.0, 1), (3, "incoming write bandwidth"));
        // Sizes round up to a whole KiB: 1,025 bytes count as 2 KiB.
        assert_eq!(shards(1024.0, 1025.0, 1).0, 2);
        // Five consumers of 1 MiB/s in: 5 MiB/s out -> 3 shards.
        assert_eq!(shards(1024.0, 1024.0, 5), (3, "outgoing read bandwidth"));
        // Small records: the record rate binds.
        assert_eq!(shards(5000.0, 100.0, 1), (5, "incoming records"));
        assert_eq!(shards(0.0, 0.0, 1).0, 1, "at least one shard");
    }
}
