//! A customer's segment and annual contract value as words and numbers: read from uploaded
//! files and the API alike, so parsers and services share them without depending on each
//! other.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Segment {
    #[serde(rename = "ENT")]
    Ent,
    #[serde(rename = "MM")]
    Mm,
    #[serde(rename = "SMB")]
    Smb,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Ent => "ENT",
            Segment::Mm => "MM",
            Segment::Smb => "SMB",
        }
    }

    /// > 200 000 is enterprise, > 50 000 mid-market, else SMB.
    pub fn from_acv(acv: f64) -> Self {
        if acv > 200_000.0 {
            Segment::Ent
        } else if acv > 50_000.0 {
            Segment::Mm
        } else {
            Segment::Smb
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Segment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ENT" | "ENTERPRISE" => Ok(Segment::Ent),
            "MM" | "MID-MARKET" | "MIDMARKET" | "MID MARKET" => Ok(Segment::Mm),
            "SMB" | "SMALL" | "SMALL BUSINESS" => Ok(Segment::Smb),
            other => Err(format!("unknown segment {other:?} (use ENT, MM or SMB)")),
        }
    }
}

/// The largest annual contract value taken as real; anything above is a typo or an attack
/// and would dominate every score.
pub const MAX_ACV: f64 = 1e12;

/// "250000", "$250,000", "250k", "1.2M", "€80 000" -> dollars.
pub fn parse_acv(raw: &str) -> Option<f64> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | ',' | ' ' | '_'))
        .collect();
    let lower = cleaned.to_lowercase();
    let (num, mult) = if let Some(n) = lower.strip_suffix('k') {
        (n, 1_000.0)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1_000_000.0)
    } else {
        (lower.as_str(), 1.0)
    };
    let v: f64 = num.parse::<f64>().ok()? * mult;
    (v.is_finite() && (0.0..=MAX_ACV).contains(&v)).then_some(v)
}
