//! Keyset positions of the lists that page by cursor (feedback, conversations): the last
//! item a page ended with, as `<microseconds>.<id>` — opaque to clients, URL-safe, and
//! described by `PATTERN`, which the decoder holds to exactly.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a cursor looks like; the API's schema declares it and `decode` reads only this.
pub const PATTERN: &str = "^[0-9]{1,16}\\.[0-9a-fA-F]{32}$";

/// A position in a list ordered newest first by a timestamp, ties broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn new(at: DateTime<Utc>, id: Uuid) -> Self {
        Self { at, id }
    }

    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.timestamp_micros(), self.id.simple())
    }

    /// `None` for anything `PATTERN` does not describe (or a time before 1970).
    pub fn decode(s: &str) -> Option<Self> {
        let (micros, id) = s.split_once('.')?;
        let digits =
            !micros.is_empty() && micros.len() <= 16 && micros.bytes().all(|b| b.is_ascii_digit());
        let hex = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !digits || !hex {
            return None;
        }
        Some(Self {
            at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_only_the_documented_shape_decodes() {
        let c = Cursor::new(
            DateTime::from_timestamp_micros(1_764_590_100_000_500).unwrap(),
            Uuid::now_v7(),
        );
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        let id = Uuid::now_v7();
        for bad in [
            String::new(),
            format!("-1.{}", id.simple()),
            format!("+5.{}", id.simple()),
            format!("12.{}", id.hyphenated()),
            format!("12345678901234567.{}", id.simple()),
            "12.zz".to_owned(),
        ] {
            assert_eq!(Cursor::decode(&bad), None, "{bad}");
        }
        // Whatever the pattern allows decodes, so a schema-valid cursor is never refused.
        let pattern = regex::Regex::new(PATTERN).unwrap();
        for good in [
            format!("0.{}", id.simple()),
            format!("9999999999999999.{}", "F".repeat(32)),
        ] {
            assert!(
                pattern.is_match(&good) && Cursor::decode(&good).is_some(),
                "{good}"
            );
        }
    }
}
