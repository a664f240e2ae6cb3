//! Removes personal data before feedback is stored: emails, phone numbers, URLs, payment
//! card numbers (Luhn-checked, so order ids survive), US social security numbers and IBANs
//! (checksum-checked). Each match becomes a placeholder such as `[EMAIL]`.

use std::sync::LazyLock;

use regex::Regex;

struct Rule {
    placeholder: &'static str,
    pattern: Regex,
    /// Extra check on the matched text (checksums, digit counts).
    accept: fn(&str) -> bool,
}

fn any(_: &str) -> bool {
    true
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn luhn(s: &str) -> bool {
    let d = digits(s);
    if !(13..=19).contains(&d.len()) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                if x * 2 > 9 { x * 2 - 9 } else { x * 2 }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn iban(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rem: u64 = 0;
    for c in rearranged.chars() {
        let v = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn ssn(s: &str) -> bool {
    let area: u32 = s[..3].parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && &s[4..6] != "00" && &s[7..] != "0000"
}

fn phone(s: &str) -> bool {
    (10..=15).contains(&digits(s).len())
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).expect("PII pattern compiles");
    vec![
        Rule {
            placeholder: "[URL]",
            pattern: re(r#"(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]]+[^\s<>"'()\[\].,;:!?]"#),
            accept: any,
        },
        Rule {
            placeholder: "[EMAIL]",
            pattern: re(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b"),
            accept: any,
        },
        Rule {
            placeholder: "[IBAN]",
            pattern: re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
            accept: iban,
        },
        Rule {
            placeholder: "[CREDIT_CARD]",
            pattern: re(r"\b\d(?:[ -]?\d){12,18}\b"),
            accept: luhn,
        },
        Rule {
            placeholder: "[SSN]",
            pattern: re(r"\b\d{3}-\d{2}-\d{4}\b"),
            accept: ssn,
        },
        // North American numbers: (555) 123-4567, 555-987-6543, 555.123.4567, 5551234567, +1 555 123 4567.
        Rule {
            placeholder: "[PHONE]",
            pattern: re(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\b\d{3}[ .-]?)\d{3}[ .-]?\d{4}\b"),
            accept: phone,
        },
        // International numbers written with a leading +: +44 20 7946 0958, +49-30-123456.
        Rule {
            placeholder: "[PHONE]",
            pattern: re(r"\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,5}\b"),
            accept: phone,
        },
    ]
});

/// Redacts every rule in order. A match glued to a preceding letter or digit is left alone
/// (it is part of a longer token).
pub fn redact(text: &str) -> String {
    let mut out = text.to_owned();
    for rule in RULES.iter() {
        let mut result = String::with_capacity(out.len());
        let mut last = 0;
        for m in rule.pattern.find_iter(&out) {
            let glued = out[..m.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric());
            if glued || !(rule.accept)(m.as_str()) {
                continue;
            }
            result.push_str(&out[last..m.start()]);
            result.push_str(rule.placeholder);
            last = m.end();
        }
        result.push_str(&out[last..]);
        out = result;
    }
    out
}

/// Redacts every string inside a JSON value (extra CSV columns, titles, speakers kept as
/// metadata), keys included.
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact(s)),
        Value::Array(a) => Value::Array(a.iter().map(redact_json).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (redact(k), redact_json(v))).collect())
        }
        other => other.clone(),
    }
}

/// Redacts when `enabled`, else returns the text unchanged.
pub fn redact_if(enabled: bool, text: &str) -> String {
    if enabled {
        redact(text)
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_originals_cases() {
        assert_eq!(
            redact("Contact me at john.doe@example.com for more info."),
            "Contact me at [EMAIL] for more info."
        );
        let phone = redact("Call me at (555) 123-4567 or 555-987-6543.");
        assert_eq!(phone, "Call me at [PHONE] or [PHONE].");
        assert!(phone.matches("555").count() < 2);
        let url = redact("Visit our site at https://example.com/secret-page for details.");
        assert_eq!(url, "Visit our site at [URL] for details.");
        assert_eq!(redact("My SSN is 123-45-6789."), "My SSN is [SSN].");
        assert_eq!(
            redact("Card 4111 1111 1111 1111 ok"),
            "Card [CREDIT_CARD] ok"
        );
    }

    #[test]
    fn the_batch_case_the_original_failed() {
        let inputs = [
            "Email me at alice@example.com",
            "Call bob at (555) 111-2222",
            "Visit https://secret.com",
        ];
        let outputs: Vec<String> = inputs.iter().map(|t| redact(t)).collect();
        assert!(outputs[0].contains("[EMAIL]"));
        assert!(outputs[1].contains("[PHONE]") && !outputs[1].contains("111"));
        assert!(outputs[2].contains("[URL]") && !outputs[2].contains("secret.com"));
    }

    #[test]
    fn disabled_redaction_changes_nothing() {
        let text = "Email: test@example.com, Phone: (555) 123-4567";
        assert_eq!(redact_if(false, text), text);
    }

    #[test]
    fn more_phone_formats() {
        assert_eq!(redact("ring +44 20 7946 0958 today"), "ring [PHONE] today");
        assert_eq!(redact("dial 555.123.4567"), "dial [PHONE]");
        assert_eq!(redact("dial 5551234567"), "dial [PHONE]");
        assert_eq!(redact("dial +1-555-123-4567"), "dial [PHONE]");
    }

    #[test]
    fn order_ids_dates_and_amounts_survive() {
        assert_eq!(
            redact("Order 1234567890123 shipped"),
            "Order 1234567890123 shipped"
        );
        assert_eq!(
            redact("Since 2024-01-15 we pay $250,000 a year"),
            "Since 2024-01-15 we pay $250,000 a year"
        );
        assert_eq!(
            redact("ticket PROD-1234 is open"),
            "ticket PROD-1234 is open"
        );
    }

    #[test]
    fn ibans_with_a_valid_checksum_are_redacted() {
        assert_eq!(
            redact("pay to GB82 WEST 1234 5698 7654 32 now"),
            "pay to [IBAN] now"
        );
        assert_eq!(redact("pay to DE89370400440532013000"), "pay to [IBAN]");
        assert_eq!(
            redact("code GB00 WEST 1234 5698 7654 32"),
            "code GB00 WEST 1234 5698 7654 32"
        );
    }

    #[test]
    fn urls_keep_the_sentence_punctuation() {
        assert_eq!(redact("see www.acme.io/docs."), "see [URL].");
    }
}
