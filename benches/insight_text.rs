//! How the offline insight writer reads at scale: a labelled CSV (e.g. Banking77's 10 003
//! training questions) ingested as an upload would be, embedded with the local model,
//! clustered by the production pipeline with no language model, then every insight checked:
//!   - keyword-list titles: a title that is not a run of words from one of its members;
//!   - mid-clause cuts: a title cut from a member's sentence where the clause goes on;
//!   - repeated templates: the largest share of recommendations with the same wording once
//!     quotations, the theme's own words and numbers are blanked.
//!
//! Prints the three figures for the top 25 insights and the whole board, with examples, and
//! exits non-zero when a target (0, 0, at most 10 %) is missed:
//! `cargo bench -p api --bench insight_text -- path/to/train.csv [--accounts]`
//! (`--accounts` spreads the rows over 40 invented accounts with ACV and segments).

use std::collections::{HashMap, HashSet};

use sea_orm::ConnectionTrait;
use shared::services::{
    customers::CustomerFacts, feedback::NewFeedback, themes::title::cut_mid_clause,
};
use test_support::{corpus, synthetic};

const SEGMENTS: [&str; 3] = ["ENT", "MM", "SMB"];
/// Invented company names for `--accounts` (40 of them): "Account 07" would make the word
/// "account" a customer name that titles must avoid.
const FIRST: [&str; 10] = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka",
    "Soylent",
];
const SECOND: [&str; 4] = ["Corp", "Labs", "Group", "Systems"];

struct Insight {
    title: String,
    recommendation: String,
    keywords: Vec<String>,
    members: Vec<String>,
    accounts: Vec<String>,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The members in which the title's words stand, in order and contiguous.
fn members_holding<'a>(title: &str, members: &'a [String]) -> Vec<&'a String> {
    let t = words(title);
    members
        .iter()
        .filter(|m| {
            let w = words(m);
            !t.is_empty() && w.windows(t.len()).any(|win| win == t.as_slice())
        })
        .collect()
}

/// Words a template keeps even when a theme's text holds them too.
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "so",
    "to",
    "of",
    "for",
    "with",
    "in",
    "on",
    "at",
    "by",
    "from",
    "that",
    "which",
    "when",
    "as",
    "if",
    "than",
    "then",
    "it",
    "its",
    "is",
    "are",
    "was",
    "be",
    "this",
    "these",
    "they",
    "their",
    "them",
    "we",
    "you",
    "i",
    "my",
    "before",
    "after",
    "where",
    "whether",
    "what",
    "how",
    "why",
    "can",
    "do",
    "does",
    "not",
    "no",
    "more",
    "most",
    "people",
    "customers",
    "still",
    "first",
    "once",
];

/// The recommendation with quotations, the theme's own words (other than function words)
/// and all numbers blanked.
fn skeleton(i: &Insight) -> String {
    let mut own: HashSet<String> = HashSet::new();
    for text in [&i.title]
        .into_iter()
        .chain(&i.keywords)
        .chain(&i.members)
        .chain(&i.accounts)
    {
        own.extend(words(text));
    }
    // Quoted customer words are the theme's own, whatever they say.
    let unquoted: String = i
        .recommendation
        .split('"')
        .enumerate()
        .map(|(n, part)| if n % 2 == 1 { " _ " } else { part })
        .collect();
    let mut out: Vec<&str> = Vec::new();
    for w in unquoted.split_whitespace() {
        let bare = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let blank = bare.is_empty()
            || (own.contains(&bare) && !FUNCTION_WORDS.contains(&bare.as_str()))
            || bare.chars().any(|c| c.is_ascii_digit());
        let token = if blank { "_" } else { w };
        if !(token == "_" && out.last() == Some(&"_")) {
            out.push(token);
        }
    }
    out.join(" ")
}

struct Figures {
    keyword_titles: Vec<String>,
    mid_clause: Vec<String>,
    top_template_share: f64,
    top_template: String,
}

fn measure(insights: &[Insight]) -> Figures {
    let mut keyword_titles = Vec::new();
    let mut mid_clause = Vec::new();
    let mut templates: HashMap<String, usize> = HashMap::new();
    for i in insights {
        let sources = members_holding(&i.title, &i.members);
        if sources.is_empty() {
            keyword_titles.push(i.title.clone());
        } else if sources.iter().all(|m| cut_mid_clause(&i.title, m)) {
            // Cut mid-clause only if no member holds the title as a whole clause.
            mid_clause.push(format!("{} <- {}", i.title, sources[0]));
        }
        *templates.entry(skeleton(i)).or_default() += 1;
    }
    let (top_template, count) = templates
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .unwrap_or_default();
    Figures {
        keyword_titles,
        mid_clause,
        top_template_share: count as f64 / insights.len().max(1) as f64,
        top_template,
    }
}

fn report(name: &str, insights: &[Insight]) -> bool {
    let f = measure(insights);
    println!(
        "{name} ({} insights): keyword-list titles {}, mid-clause cuts {}, most repeated recommendation template {:.1} %",
        insights.len(),
        f.keyword_titles.len(),
        f.mid_clause.len(),
        f.top_template_share * 100.0
    );
    for t in f.keyword_titles.iter().take(5) {
        println!("  keyword-list title: {t}");
    }
    for t in f.mid_clause.iter().take(5) {
        println!("  cut mid-clause: {t}");
    }
    println!("  most repeated template: {}", f.top_template);
    f.keyword_titles.is_empty() && f.mid_clause.is_empty() && f.top_template_share <= 0.10
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .expect("usage: insight_text <file.csv with a text column> [--accounts]");
    let with_accounts = args.iter().any(|a| a == "--accounts");
    let (app, ws, texts) = corpus::app_with_texts(path, None).await;
    let items: Vec<NewFeedback> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| NewFeedback {
            source: "upload",
            source_id: format!("row-{}", i + 2),
            text: t.clone(),
            account: with_accounts
                .then(|| format!("{} {}", FIRST[i % 40 % 10], SECOND[i % 40 / 10])),
            customer_facts: CustomerFacts {
                acv: with_accounts.then_some(20_000.0 + 15_000.0 * (i % 40) as f64),
                segment: with_accounts
                    .then(|| SEGMENTS[i % 40 % 3].parse().ok())
                    .flatten(),
                email_domain: None,
            },
            created_at: Some(chrono::Utc::now() - chrono::Duration::days((i % 90) as i64)),
            meta: serde_json::json!({}),
            ..Default::default()
        })
        .collect();
    let started = std::time::Instant::now();
    corpus::ingest_embedded(&app, &ws, items).await;
    println!(
        "stored and embedded {} texts in {:.1} s",
        texts.len(),
        started.elapsed().as_secs_f64()
    );
    let summary = synthetic::cluster(&app).await;
    println!("{}", summary.message);

    let rows = app
        .db()
        .query_all_raw(shared::db::statement(
            "SELECT i.title, i.recommendation, t.keywords, \
                    (SELECT array_agg(f.text) FROM feedback_themes m JOIN feedback f ON f.id = m.feedback_id \
                      WHERE m.theme_id = t.id) AS members, \
                    (SELECT array_agg(DISTINCT f.account) FILTER (WHERE f.account IS NOT NULL) \
                       FROM feedback_themes m JOIN feedback f ON f.id = m.feedback_id WHERE m.theme_id = t.id) AS accounts \
             FROM insights i JOIN themes t ON t.id = i.theme_id WHERE i.workspace_id = $1 \
             ORDER BY i.priority_score DESC, i.id",
            vec![ws.id.into()],
        ))
        .await
        .unwrap();
    let insights: Vec<Insight> = rows
        .iter()
        .map(|r| Insight {
            title: r.try_get("", "title").unwrap(),
            recommendation: r.try_get("", "recommendation").unwrap(),
            keywords: r
                .try_get::<serde_json::Value>("", "keywords")
                .ok()
                .and_then(|k| serde_json::from_value(k).ok())
                .unwrap_or_default(),
            members: r
                .try_get::<Option<Vec<String>>>("", "members")
                .unwrap()
                .unwrap_or_default(),
            accounts: r
                .try_get::<Option<Vec<String>>>("", "accounts")
                .unwrap()
                .unwrap_or_default(),
        })
        .collect();
    for i in insights.iter().take(8) {
        println!("- {}\n    {}", i.title, i.recommendation);
    }
    let top_ok = report("top 25", &insights[..insights.len().min(25)]);
    let all_ok = report("whole board", &insights);
    if !(top_ok && all_ok) {
        println!(
            "FAIL: targets are 0 keyword-list titles, 0 mid-clause cuts, at most 10 % per template"
        );
        std::process::exit(1);
    }
    println!("PASS");
}
