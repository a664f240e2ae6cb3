//! What a PM asks for: competitors with their moves (manual) or competitor names for the
//! model to research (auto), normalised into one `Research` the job works from.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// One thing a competitor did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveIn {
    /// What they did, e.g. "Launched AI-powered PRD generation".
    #[serde(rename = "move")]
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub action: String,
    /// YYYY-MM-DD, YYYY-MM or YYYY.
    #[serde(default)]
    #[validate(custom(function = "valid_move_date"))]
    #[schemars(schema_with = "move_date_schema")]
    pub date: Option<String>,
    /// Where it was announced (http or https); becomes the card's citation.
    #[serde(default)]
    #[validate(custom(function = "valid_source_url"))]
    pub source_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitorIn {
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 4000))]
    pub description: Option<String>,
    /// One card is written per move (at most 50 per competitor).
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    pub moves: Vec<MoveIn>,
}

/// The research window, given as "12" (the seed) or 12.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Months {
    Number(#[schemars(range(min = 1, max = 120))] u32),
    Text(#[schemars(pattern(r"^\s*\+?0*(?:[1-9]|[1-9][0-9]|1[01][0-9]|120)\s*$"))] String),
}

impl Default for Months {
    fn default() -> Self {
        Self::Text("12".into())
    }
}

impl Months {
    /// 1-120 months, or None when the value is not such a number.
    pub fn value(&self) -> Option<u32> {
        let n = match self {
            Self::Number(n) => *n,
            Self::Text(t) => t.trim().parse().ok()?,
        };
        (1..=120).contains(&n).then_some(n)
    }
}

fn valid_months(m: &Months) -> Result<(), ValidationError> {
    m.value()
        .map(|_| ())
        .ok_or_else(|| error("range", "must be a whole number of months from 1 to 120"))
}

/// `POST /competitive/process-manual`.
#[derive(Debug, Clone, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualRequest {
    /// Our company, as the cards should name it.
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub company_name: String,
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub market_scope: String,
    #[validate(length(max = 20), custom(function = "short_labels"))]
    #[schemars(inner(length(max = 200)))]
    pub target_personas: Vec<String>,
    #[validate(length(max = 20), custom(function = "short_labels"))]
    #[schemars(inner(length(max = 200)))]
    pub geo_segments: Vec<String>,
    /// 1-20 competitors with at least one move between them.
    #[validate(length(min = 1, max = 20), nested, custom(function = "some_moves"))]
    #[schemars(extend("contains" = {"type": "object", "required": ["moves"], "properties": {"moves": {"type": "array", "minItems": 1}}}))]
    pub competitor_data: Vec<CompetitorIn>,
    #[serde(default)]
    #[validate(custom(function = "valid_months"))]
    pub time_window_months: Months,
}

/// `POST /competitive/process-auto`.
#[derive(Debug, Clone, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoRequest {
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub company_name: String,
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub market_scope: String,
    /// Up to 10; without names the model first names 3-5 competitors itself.
    #[serde(default)]
    #[validate(length(max = 10), custom(function = "short_labels"))]
    #[schemars(inner(length(max = 200)))]
    pub competitor_names: Option<Vec<String>>,
    /// Default: Product Managers, Product Leaders, Engineering.
    #[serde(default)]
    #[validate(length(max = 20), custom(function = "short_labels"))]
    #[schemars(inner(length(max = 200)))]
    pub target_personas: Option<Vec<String>>,
    /// Default: Global, Enterprise, SMB.
    #[serde(default)]
    #[validate(length(max = 20), custom(function = "short_labels"))]
    #[schemars(inner(length(max = 200)))]
    pub geo_segments: Option<Vec<String>>,
    #[serde(default)]
    #[validate(custom(function = "valid_months"))]
    pub time_window_months: Months,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResearchMode {
    Manual,
    Auto,
}

impl ResearchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Auto => "auto",
        }
    }
}

/// A validated request, as stored with its session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Research {
    pub mode: ResearchMode,
    pub company_name: String,
    pub market_scope: String,
    pub target_personas: Vec<String>,
    pub geo_segments: Vec<String>,
    pub window_months: u32,
    /// Manual: with their moves. Auto: names only (possibly none).
    pub competitors: Vec<CompetitorIn>,
}

fn trimmed(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

impl From<ManualRequest> for Research {
    fn from(r: ManualRequest) -> Self {
        Self {
            mode: ResearchMode::Manual,
            company_name: r.company_name.trim().to_owned(),
            market_scope: r.market_scope.trim().to_owned(),
            target_personas: trimmed(&r.target_personas),
            geo_segments: trimmed(&r.geo_segments),
            window_months: r.time_window_months.value().unwrap_or(12),
            competitors: r
                .competitor_data
                .into_iter()
                .map(|c| CompetitorIn {
                    name: c.name.trim().to_owned(),
                    description: c.description.map(|d| d.trim().to_owned()),
                    moves: c
                        .moves
                        .into_iter()
                        .map(|m| MoveIn {
                            action: m.action.trim().to_owned(),
                            date: m
                                .date
                                .map(|d| d.trim().to_owned())
                                .filter(|d| !d.is_empty()),
                            source_url: m
                                .source_url
                                .map(|u| u.trim().to_owned())
                                .filter(|u| !u.is_empty()),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<AutoRequest> for Research {
    fn from(r: AutoRequest) -> Self {
        let or_default = |v: Option<Vec<String>>, default: &[&str]| {
            v.map(|v| trimmed(&v))
                .unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect())
        };
        Self {
            mode: ResearchMode::Auto,
            company_name: r.company_name.trim().to_owned(),
            market_scope: r.market_scope.trim().to_owned(),
            target_personas: or_default(
                r.target_personas,
                &["Product Managers", "Product Leaders", "Engineering"],
            ),
            geo_segments: or_default(r.geo_segments, &["Global", "Enterprise", "SMB"]),
            window_months: r.time_window_months.value().unwrap_or(12),
            competitors: trimmed(&r.competitor_names.unwrap_or_default())
                .into_iter()
                .map(|name| CompetitorIn {
                    name,
                    description: None,
                    moves: Vec::new(),
                })
                .collect(),
        }
    }
}

impl Research {
    pub fn competitor_names(&self) -> Vec<String> {
        self.competitors.iter().map(|c| c.name.clone()).collect()
    }
}

/// A move's date as the first day it can mean (YYYY → Jan 1, YYYY-MM → the 1st).
pub fn move_date(text: &str) -> Option<NaiveDate> {
    let caps = MOVE_DATE.captures(text)?;
    let number = |i: usize| caps.get(i).map(|m| m.as_str().parse::<u32>().ok());
    let year = number(1)??;
    let month = number(2).unwrap_or(Some(1))?;
    let day = number(3).unwrap_or(Some(1))?;
    // A day past the month's end ("2026-02-30") is read as its last day.
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year as i32, month, d))
}

/// YYYY, YYYY-MM or YYYY-MM-DD, blanks around: the schema of `date` says the same.
const MOVE_DATE_PATTERN: &str =
    r"^\s*([0-9]{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12][0-9]|3[01]))?)?\s*$";

static MOVE_DATE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(MOVE_DATE_PATTERN).expect("a valid pattern"));

fn move_date_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let either = format!("{MOVE_DATE_PATTERN}|^\\s*$");
    schemars::json_schema!({"type": ["string", "null"], "pattern": either})
}

/// An absolute http(s) URL.
pub fn is_web_url(text: &str) -> bool {
    url::Url::parse(text.trim())
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .unwrap_or(false)
}

fn error(code: &'static str, message: &'static str) -> ValidationError {
    let mut e = ValidationError::new(code);
    e.message = Some(message.into());
    e
}

fn not_blank(v: &str) -> Result<(), ValidationError> {
    if v.trim().is_empty() {
        Err(error("blank", "must not be blank"))
    } else {
        Ok(())
    }
}

fn valid_move_date(v: &str) -> Result<(), ValidationError> {
    if v.trim().is_empty() || move_date(v).is_some() {
        Ok(())
    } else {
        Err(error("date", "must be a date: YYYY-MM-DD, YYYY-MM or YYYY"))
    }
}

fn valid_source_url(v: &str) -> Result<(), ValidationError> {
    if v.trim().is_empty() || is_web_url(v) {
        Ok(())
    } else {
        Err(error("url", "must be an http or https URL"))
    }
}

fn short_labels(v: &[String]) -> Result<(), ValidationError> {
    if v.iter().any(|s| s.chars().count() > 200) {
        Err(error("length", "each entry must be at most 200 characters"))
    } else {
        Ok(())
    }
}

fn some_moves(v: &[CompetitorIn]) -> Result<(), ValidationError> {
    if v.iter().any(|c| !c.moves.is_empty()) {
        Ok(())
    } else {
        Err(error(
            "no_moves",
            "give at least one move: one card is written per move",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_urls_are_read_as_documented() {
        assert_eq!(
            move_date("2025-01-10"),
            NaiveDate::from_ymd_opt(2025, 1, 10)
        );
        assert_eq!(move_date("2025-03"), NaiveDate::from_ymd_opt(2025, 3, 1));
        assert_eq!(move_date("2024"), NaiveDate::from_ymd_opt(2024, 1, 1));
        assert_eq!(move_date("last week"), None);
        assert_eq!(
            move_date("2026-02-30"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(move_date("2026-1-5"), None, "the documented shape only");
        assert!(is_web_url("https://example.com/a"));
        assert!(!is_web_url("ftp://example.com/a"));
        assert!(!is_web_url("example.com"));
    }

    #[test]
    fn the_window_takes_text_or_numbers_in_range() {
        assert_eq!(Months::Text("12".into()).value(), Some(12));
        assert_eq!(Months::Number(6).value(), Some(6));
        assert_eq!(Months::Number(0).value(), None);
        assert_eq!(Months::Text("a year".into()).value(), None);
    }
}
