//! Taking insights elsewhere: the board as a CSV file a spreadsheet opens, one insight with
//! its customers and quotes as Markdown, each with a file name a person would give it.

use chrono::{NaiveDate, Utc};

use crate::services::{documents::source::DocInsight, themes::board::InsightView};

/// The board's columns, in the order a PM reads them.
const BOARD_HEADER: [&str; 14] = [
    "title",
    "severity",
    "effort",
    "priority_score",
    "accounts",
    "total_acv",
    "feedback_count",
    "mentions_30d",
    "trend",
    "theme_score",
    "customers",
    "recommendation",
    "generated_by",
    "id",
];

/// A spreadsheet runs a cell that starts like a formula; customer text must stay text.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The insights as CSV, one row each, in the order given.
pub fn board_csv(cards: &[InsightView]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = out.write_record(BOARD_HEADER);
    for c in cards {
        let metrics = c.metrics.as_ref();
        let customers: Vec<&str> = c.customers.iter().map(|r| r.name.as_str()).collect();
        let _ = out.write_record([
            cell(&c.card.title),
            c.card.severity.clone(),
            c.card.effort.clone(),
            c.card.priority_score.to_string(),
            c.customers.len().to_string(),
            format!("{:.0}", c.total_acv),
            c.feedback_count.to_string(),
            metrics.map_or(String::new(), |m| m.freq_30d.to_string()),
            metrics.map_or(String::new(), |m| format!("{:.3}", m.trend)),
            metrics.map_or(String::new(), |m| format!("{:.3}", m.score)),
            cell(&customers.join("; ")),
            cell(&c.card.recommendation),
            c.generated_by.clone(),
            c.id.to_string(),
        ]);
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One insight, its customers and its key quotes as a Markdown document.
pub fn insight_markdown(doc: &DocInsight) -> String {
    let card = &doc.card;
    let mut md = format!("# {}\n\n", card.title);
    md.push_str(&format!(
        "Severity **{}** · effort **{}** · priority **{}**/100 · {} feedback item{} · {} account{} (ACV ${:.0})\n\n",
        card.severity,
        card.effort,
        card.priority_score,
        doc.feedback_count,
        if doc.feedback_count == 1 { "" } else { "s" },
        doc.customers.len(),
        if doc.customers.len() == 1 { "" } else { "s" },
        doc.total_acv,
    ));
    for (heading, text) in [
        ("Summary", &card.description),
        ("Impact", &card.impact),
        ("Recommendation", &card.recommendation),
    ] {
        if !text.trim().is_empty() {
            md.push_str(&format!("## {heading}\n\n{}\n\n", text.trim()));
        }
    }
    md.push_str("## Customers\n\n");
    if doc.customers.is_empty() {
        md.push_str("No account is named in the feedback behind this insight.\n\n");
    } else {
        md.push_str("| Account | Segment | ACV |\n|---|---|---|\n");
        for c in &doc.customers {
            md.push_str(&format!(
                "| {} | {} | ${:.0} |\n",
                c.name.replace('|', "\\|"),
                c.segment,
                c.acv
            ));
        }
        md.push('\n');
    }
    md.push_str("## What customers said\n\n");
    if doc.key_quotes.is_empty() {
        md.push_str("No quotes yet.\n");
    }
    for q in &doc.key_quotes {
        let who = q
            .customer
            .as_ref()
            .map_or("an unnamed account".to_owned(), |c| c.name.clone());
        let quote = q.text.trim().replace('\n', "\n> ");
        md.push_str(&format!(
            "> {quote}\n\n— {who}, {}\n\n",
            q.created_at.format("%Y-%m-%d")
        ));
    }
    md
}

/// A file name from a title: lower case, words joined by hyphens, at most 60 characters.
pub fn file_name(stem: &str, extension: &str) -> String {
    let slug: String = stem
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .take(60)
        .collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("insight.{extension}")
    } else {
        format!("{slug}.{extension}")
    }
}

/// The board export's file name: `insights-2026-12-07.csv`.
pub fn board_file_name(today: Option<NaiveDate>) -> String {
    let day = today.unwrap_or_else(|| Utc::now().date_naive());
    format!("insights-{}.csv", day.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_stay_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-5 is fine"), "'-5 is fine");
        assert_eq!(cell("Exports time out"), "Exports time out");
    }

    #[test]
    fn file_names_are_slugs_of_the_title() {
        assert_eq!(
            file_name("SSO / SAML for Enterprise!", "md"),
            "sso-saml-for-enterprise.md"
        );
        assert_eq!(file_name("???", "md"), "insight.md");
        assert!(file_name(&"word ".repeat(40), "md").len() <= 63);
        assert_eq!(
            board_file_name(NaiveDate::from_ymd_opt(2026, 12, 7)),
            "insights-2026-12-07.csv"
        );
    }
}
