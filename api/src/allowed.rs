//! String fields limited to a list of values. The list is declared once, next to its field,
//! and both the validator and the OpenAPI schema read it (`allowed!`), so what the schema
//! offers and what the server accepts cannot drift apart.

use schemars::{Schema, json_schema};
use validator::ValidationError;

/// `value` is one of `allowed` ("must be one of a, b, c").
pub fn one_of(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        let mut e = ValidationError::new("enum");
        e.message = Some(format!("must be one of {}", allowed.join(", ")).into());
        Err(e)
    }
}

/// `value` is a comma-separated list of `allowed` values (blanks between commas ignored).
pub fn list_of(value: &str, allowed: &[&str]) -> Result<(), ValidationError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .try_for_each(|v| one_of(v, allowed))
}

/// The schemas of the same rules.
pub mod schema {
    use super::*;

    pub fn one_of(allowed: &[&str]) -> Schema {
        json_schema!({"type": "string", "enum": allowed})
    }

    /// Upper-case words (`IN_PROGRESS`) as the ticket fields read them: any letter case,
    /// a space or hyphen for an underscore, blanks around.
    pub fn loose_upper(allowed: &[&str]) -> Schema {
        let words: Vec<String> = allowed.iter().map(|a| any_case(a)).collect();
        json_schema!({"type": "string", "pattern": format!("^\\s*(?:{})\\s*$", words.join("|"))})
    }

    pub fn list_of(allowed: &[&str]) -> Schema {
        let one = format!("(?:{})", allowed.join("|"));
        json_schema!({
            "type": "string",
            "pattern": format!("^\\s*(?:{one}\\s*)?(?:,\\s*(?:{one}\\s*)?)*$"),
        })
    }

    /// The same schema also allowing `null` (an optional field of a JSON body).
    pub fn or_null(mut schema: Schema) -> Schema {
        schema.insert("type".into(), serde_json::json!(["string", "null"]));
        if let Some(serde_json::Value::Array(values)) = schema.get_mut("enum") {
            values.push(serde_json::Value::Null);
        }
        schema
    }

    /// `IN_PROGRESS` as `[Ii][Nn][ _-][Pp]...`: JSON Schema patterns have no case flag.
    fn any_case(word: &str) -> String {
        word.chars()
            .map(|c| match c {
                '_' => "[ _-]".to_owned(),
                c if c.is_ascii_alphabetic() => {
                    format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                }
                c => c.to_string(),
            })
            .collect()
    }
}

/// `allowed!(one_of(SORTS) => valid_sort, sort_schema)` declares the validator
/// (`#[validate(custom(function = "valid_sort"))]`) and the schema
/// (`#[schemars(schema_with = "sort_schema")]`) of a field limited to `SORTS`; `list_of`
/// works alike.
#[macro_export]
macro_rules! allowed {
    ($rule:ident($values:expr) => $check:ident, $schema:ident) => {
        fn $check(value: &str) -> Result<(), validator::ValidationError> {
            $crate::allowed::$rule(value, $values)
        }
        fn $schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
            $crate::allowed::schema::$rule($values)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(schema: &Schema, value: &str) -> bool {
        let pattern = schema.get("pattern").and_then(|p| p.as_str()).unwrap();
        regex::Regex::new(pattern).unwrap().is_match(value)
    }

    #[test]
    fn the_schema_patterns_accept_exactly_what_the_validators_accept() {
        let values = ["low", "medium", "high"];
        let list = schema::list_of(&values);
        for v in ["low", "low,high", " low , medium ", "high,", ",", ""] {
            assert!(list_of(v, &values).is_ok() && matches(&list, v), "{v:?}");
        }
        for v in ["lo", "low;high", "LOW", "low,urgent"] {
            assert!(list_of(v, &values).is_err() && !matches(&list, v), "{v:?}");
        }
        let states = ["OPEN", "IN_PROGRESS"];
        let loose = schema::loose_upper(&states);
        for v in [
            "open",
            "In_Progress",
            "in progress",
            " IN-PROGRESS ",
            "OPEN",
        ] {
            assert!(matches(&loose, v), "{v:?}");
        }
        for v in ["opened", "IN__PROGRESS", ""] {
            assert!(!matches(&loose, v), "{v:?}");
        }
    }
}
