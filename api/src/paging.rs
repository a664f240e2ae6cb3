//! The paging words every list shares: `?limit=` (1 to the list's maximum, the list's default
//! when absent) and `?offset=`, each declared once with the bounds the reader enforces and
//! the schema prints, so the two cannot drift; and [`PageQuery`] for lists with no filters.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, de::Error};
use validator::Validate;

/// Rows an offset may skip before a caller should narrow the filter instead.
pub const MAX_OFFSET: u64 = 10_000_000;

/// A page size: 1 to `MAX`, `DEFAULT` when the parameter is absent (`#[serde(default)]`).
#[derive(Debug, Clone, Copy)]
pub struct Limit<const DEFAULT: u64, const MAX: u64>(u64);

impl<const DEFAULT: u64, const MAX: u64> Limit<DEFAULT, MAX> {
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<const DEFAULT: u64, const MAX: u64> Default for Limit<DEFAULT, MAX> {
    fn default() -> Self {
        Self(DEFAULT)
    }
}

/// The words of the validator's range message, so a page size out of bounds reads like any
/// other out-of-range field (`type: range`).
fn within(value: u64, min: u64, max: u64) -> Result<u64, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between {min} and {max}"))
    }
}

impl<'de, const DEFAULT: u64, const MAX: u64> Deserialize<'de> for Limit<DEFAULT, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        within(u64::deserialize(d)?, 1, MAX)
            .map(Self)
            .map_err(D::Error::custom)
    }
}

impl<const DEFAULT: u64, const MAX: u64> JsonSchema for Limit<DEFAULT, MAX> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Limit_{DEFAULT}_{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": format!("Page size, 1-{MAX} (default {DEFAULT})."),
            "type": "integer",
            "format": "uint64",
            "minimum": 1,
            "maximum": MAX,
            "default": DEFAULT,
        })
    }
}

/// Rows to skip: 0 to [`MAX_OFFSET`], 0 when absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offset(u64);

impl Offset {
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        within(u64::deserialize(d)?, 0, MAX_OFFSET)
            .map(Self)
            .map_err(D::Error::custom)
    }
}

impl JsonSchema for Offset {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Offset".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Rows to skip.",
            "type": "integer",
            "format": "uint64",
            "minimum": 0,
            "maximum": MAX_OFFSET,
            "default": 0,
        })
    }
}

/// The page a list's query asks for.
pub fn page<const DEFAULT: u64, const MAX: u64>(
    limit: Limit<DEFAULT, MAX>,
    offset: Offset,
) -> shared::services::Page {
    shared::services::Page {
        limit: limit.get(),
        offset: offset.get(),
    }
}

/// `?limit=&offset=` of a list with no filters.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct PageQuery<const DEFAULT: u64, const MAX: u64> {
    #[serde(default)]
    pub limit: Limit<DEFAULT, MAX>,
    #[serde(default)]
    pub offset: Offset,
}

impl<const DEFAULT: u64, const MAX: u64> From<PageQuery<DEFAULT, MAX>> for shared::services::Page {
    fn from(q: PageQuery<DEFAULT, MAX>) -> Self {
        page(q.limit, q.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Q {
        #[serde(default)]
        limit: Limit<50, 200>,
        #[serde(default)]
        offset: Offset,
    }

    fn read(query: &str) -> Result<Q, String> {
        serde_urlencoded::from_str(query).map_err(|e| e.to_string())
    }

    #[test]
    fn absent_parameters_take_the_defaults_and_bounds_are_inclusive() {
        let q = read("").unwrap();
        assert_eq!((q.limit.get(), q.offset.get()), (50, 0));
        let q = read("limit=200&offset=10000000").unwrap();
        assert_eq!((q.limit.get(), q.offset.get()), (200, MAX_OFFSET));
        assert_eq!(read("limit=1").unwrap().limit.get(), 1);
    }

    #[test]
    fn out_of_bounds_values_are_refused_in_the_range_wording() {
        assert_eq!(read("limit=0").unwrap_err(), "must be between 1 and 200");
        assert_eq!(read("limit=201").unwrap_err(), "must be between 1 and 200");
        assert_eq!(
            read("offset=10000001").unwrap_err(),
            "must be between 0 and 10000000"
        );
        assert!(read("limit=ten").is_err());
    }

    #[test]
    fn the_schema_prints_the_bounds_the_reader_enforces() {
        let schema = schemars::schema_for!(Limit<20, 100>);
        assert_eq!(schema.get("minimum"), Some(&serde_json::json!(1)));
        assert_eq!(schema.get("maximum"), Some(&serde_json::json!(100)));
        assert_eq!(schema.get("default"), Some(&serde_json::json!(20)));
    }
}
