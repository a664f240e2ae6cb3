//! Money, dates and segment mixes as every document writes them.

use chrono::{DateTime, Utc};

use super::DocInsight;
use crate::services::themes::board::CustomerRef;

/// `$1.25M`, `$120k`, `$800`.
pub fn acv(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("${:.2}M", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("${:.0}k", v / 1_000.0)
    } else {
        format!("${v:.0}")
    }
}

/// `Jan 15, 2025`.
pub fn long_date(d: DateTime<Utc>) -> String {
    d.format("%b %d, %Y").to_string()
}

/// `Jan 15`.
pub fn short_date(d: DateTime<Utc>) -> String {
    d.format("%b %d").to_string()
}

/// Customers grouped by their segment string: ENT, MM and SMB first, any other after.
pub struct SegmentGroup<'a> {
    pub segment: &'a str,
    pub customers: Vec<&'a CustomerRef>,
    pub acv: f64,
}

pub fn segments(insight: &DocInsight) -> Vec<SegmentGroup<'_>> {
    let mut names: Vec<&str> = insight
        .customers
        .iter()
        .map(|c| c.segment.as_str())
        .collect();
    let rank = |s: &str| {
        ["ENT", "MM", "SMB"]
            .iter()
            .position(|x| *x == s)
            .unwrap_or(3)
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    names.dedup();
    names
        .into_iter()
        .map(|segment| {
            let customers: Vec<&CustomerRef> = insight
                .customers
                .iter()
                .filter(|c| c.segment == segment)
                .collect();
            SegmentGroup {
                segment,
                acv: customers.iter().map(|c| c.acv).sum(),
                customers,
            }
        })
        .collect()
}

/// `2 ENT ($370k), 1 MM ($45k)` or `No segment data`.
pub fn segment_mix(insight: &DocInsight) -> String {
    let groups = segments(insight);
    if groups.is_empty() {
        return "No segment data".into();
    }
    groups
        .iter()
        .map(|g| format!("{} {} ({})", g.customers.len(), g.segment, acv(g.acv)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn has_enterprise(insight: &DocInsight) -> bool {
    insight.customers.iter().any(|c| c.segment == "ENT")
}

/// `low` 1-2 weeks, `medium` 3-4 weeks, `high` 6-8 weeks.
pub fn timeline(effort: &str) -> &'static str {
    match effort {
        "low" => "1-2 weeks",
        "high" => "6-8 weeks",
        _ => "3-4 weeks",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_short() {
        assert_eq!(acv(1_250_000.0), "$1.25M");
        assert_eq!(acv(120_000.0), "$120k");
        assert_eq!(acv(800.0), "$800");
        assert_eq!(acv(0.0), "$0");
    }
}
