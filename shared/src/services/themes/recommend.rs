//! The offline recommendation: what customers ask for (from the theme's best sentence, in
//! their words), what to do about that kind of ask, and what to check first given the
//! evidence (which accounts, how big the theme is against the board, where it is heading).
//! Each part follows the theme, so boards do not fill with one sentence and a keyword.

use super::wording::{has_word, money, plural};

/// What a theme's best sentence asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// "How do I change my PIN?": the rest, in the third person.
    HowTo(String),
    /// "Why is my transfer still pending?": the question as asked.
    Why(String),
    /// "Can I top up with a cheque?": the rest, in the third person.
    Can(String),
    /// "Where", "what", "which", "when" questions, as asked.
    Question(String),
    Failure(String),
    Slow(String),
    Request(String),
    Report(String),
}

/// The people and money behind a theme, and its size and direction.
pub(super) struct Standing<'a> {
    pub(super) items: usize,
    pub(super) accounts: usize,
    /// Largest ACV first.
    pub(super) top_accounts: Vec<&'a str>,
    /// Accounts with feedback anywhere on the board.
    pub(super) board_accounts: usize,
    /// The enterprise accounts, largest ACV first, and their ACV together.
    pub(super) enterprise_accounts: Vec<&'a str>,
    pub(super) enterprise_acv: f64,
    pub(super) acv: f64,
    /// -1 easing, 0 steady, 1 rising.
    pub(super) direction: i8,
    /// Items of the board's median theme.
    pub(super) board_median_items: usize,
    /// Mean sentiment of the theme's feedback, -1 to 1.
    pub(super) sentiment: f64,
}

pub(super) fn recommend(topic: &str, best_sentence: Option<&str>, s: &Standing<'_>) -> String {
    let ask = best_sentence.map_or_else(|| Ask::Report(String::new()), classify);
    let mood = if s.sentiment < -0.25 {
        " Most of these messages are negative: tell the people who wrote when it changes."
    } else {
        ""
    };
    format!(
        "{} {} {}{mood}",
        summary(&ask, topic),
        action(&ask, topic),
        check_first(s)
    )
    .trim()
    .to_owned()
}

fn classify(sentence: &str) -> Ask {
    let text = sentence.trim().trim_end_matches(['?', '.', '!']).trim();
    // "My card arrived, how can I activate it": the question after the comma is the ask,
    // asked in the customer's own words.
    if let Some((_, clause)) = text.rsplit_once(", ")
        && QUESTION_WORDS
            .iter()
            .any(|q| clause.to_lowercase().starts_with(q))
    {
        return if clause.to_lowercase().starts_with("why") {
            Ask::Why(text.to_owned())
        } else {
            Ask::Question(text.to_owned())
        };
    }
    let lower = text.to_lowercase();
    // The rest after an ASCII prefix, in the asker's own capitalisation.
    let after = |prefixes: &[&str]| {
        prefixes
            .iter()
            .find(|p| lower.starts_with(*p) && text.is_char_boundary(p.len()))
            .map(|p| third_person(text[p.len()..].trim()))
    };
    if let Some(rest) = after(&[
        "how do i ",
        "how can i ",
        "how should i ",
        "how would i ",
        "how do you ",
        "how to ",
    ]) {
        return Ask::HowTo(rest);
    }
    if lower.starts_with("why ") {
        return Ask::Why(text.to_owned());
    }
    if let Some(rest) = after(&[
        "can i ",
        "could i ",
        "am i able to ",
        "is it possible to ",
        "is there a way to ",
        "may i ",
    ]) {
        return Ask::Can(rest);
    }
    if [
        "where ", "what ", "which ", "when ", "who ", "is ", "are ", "do ", "does ", "did ",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return Ask::Question(text.to_owned());
    }
    // "They want X, and the beta fails at Y" asks for X first.
    if has_word(&lower, WANTS) {
        Ask::Request(text.to_owned())
    } else if has_word(&lower, FAILURE) {
        Ask::Failure(text.to_owned())
    } else if has_word(&lower, PERFORMANCE) {
        Ask::Slow(text.to_owned())
    } else if has_word(&lower, REQUEST) {
        Ask::Request(text.to_owned())
    } else {
        Ask::Report(text.to_owned())
    }
}

/// "change my pin" → "change their PIN"-style: the asker's words about themselves, told of
/// customers.
fn third_person(rest: &str) -> String {
    rest.split_whitespace()
        .map(|w| match w.to_lowercase().as_str() {
            "my" | "our" => "their",
            "i" | "we" => "they",
            "me" | "us" => "them",
            "mine" | "ours" => "theirs",
            "i'm" | "we're" => "they're",
            "i've" | "we've" => "they've",
            "am" => "are",
            "myself" | "ourselves" => "themselves",
            _ => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn summary(ask: &Ask, topic: &str) -> String {
    match ask {
        Ask::HowTo(rest) => format!("Customers ask how to {rest}."),
        Ask::Can(rest) => format!("Customers ask whether they can {rest}."),
        Ask::Why(q) | Ask::Question(q) => format!("Customers ask: \"{}?\"", capitalised(q)),
        Ask::Failure(s) => format!("Customers report a failure: \"{}.\"", capitalised(s)),
        Ask::Slow(_) => format!("Customers find {topic} too slow."),
        Ask::Request(s) => format!("Customers want a change: \"{}.\"", capitalised(s)),
        Ask::Report(s) if s.is_empty() => format!("Customers raise {topic}."),
        Ask::Report(s) => format!("Customers describe it this way: \"{}.\"", capitalised(s)),
    }
}

fn action(ask: &Ask, topic: &str) -> String {
    match ask {
        Ask::HowTo(_) => format!(
            "Put the steps where people get stuck, next to {topic} in the product and in the help centre, and look for the step that makes the flow unclear."
        ),
        Ask::Can(_) => format!(
            "Decide whether this is supported; if it is, make it findable from {topic}, and if not, say so plainly before people try."
        ),
        Ask::Why(_) => format!(
            "Show the reason and what happens next wherever {topic} appears, so the answer does not need a support ticket."
        ),
        Ask::Question(_) => {
            "Answer it where the question comes up and in the help centre, then check whether the product itself can make the answer obvious.".to_owned()
        }
        Ask::Failure(_) => {
            "Reproduce it from the key quotes, fix it, and tell the people who reported it when the fix ships.".to_owned()
        }
        Ask::Slow(_) => format!(
            "Profile {topic}, set a speed target, and confirm the improvement with the people who raised it."
        ),
        Ask::Request(_) => {
            "Scope it as a roadmap item: write down the jobs customers describe before choosing a design.".to_owned()
        }
        Ask::Report(_) => {
            "Interview a few of the people behind it and turn what they describe into a scoped change.".to_owned()
        }
    }
}

/// Who to start with and why now, from the evidence.
fn check_first(s: &Standing<'_>) -> String {
    let names = s.top_accounts.iter().take(2).copied().collect::<Vec<_>>();
    // A theme most accounts raise is told apart by its size and direction, not by who.
    if s.accounts * 2 > s.board_accounts && s.board_accounts > 2 {
        return format!(
            "Most accounts raise it ({} of {}). {}",
            s.accounts,
            s.board_accounts,
            by_volume(s)
        );
    }
    if !s.enterprise_accounts.is_empty() {
        let shown = &s.enterprise_accounts[..s.enterprise_accounts.len().min(2)];
        let more = s.enterprise_accounts.len() - shown.len();
        let who = match (shown, more) {
            ([one], _) => format!("the enterprise account {one}"),
            (two, 0) => format!("the enterprise accounts {}", two.join(" and ")),
            (two, n) => format!("the enterprise accounts {} ({} more)", two.join(", "), n),
        };
        return format!(
            "Start with {who}: {} of the {} in ACV behind it.",
            money(s.enterprise_acv),
            money(s.acv)
        );
    }
    if s.accounts > 1 && !names.is_empty() {
        return format!(
            "Confirm the fix with {} first; the {} behind it hold {} in ACV.",
            names.join(" and "),
            plural(s.accounts, "account", "accounts"),
            money(s.acv)
        );
    }
    if s.accounts == 1
        && let Some(name) = names.first()
    {
        return format!(
            "It comes from {name} alone: confirm it covers their case before widening it."
        );
    }
    by_volume(s)
}

/// What to do given the theme's size against the board and its direction.
fn by_volume(s: &Standing<'_>) -> String {
    let median = s.board_median_items.max(1);
    let size = if s.items * 2 > median * 3 {
        1
    } else if s.items * 4 < median * 3 {
        -1
    } else {
        0
    };
    let n = s.items;
    match (s.direction, size) {
        (1, 1) => {
            format!("It is among the larger themes ({n} items) and still rising: take it first.")
        }
        (1, 0) => format!("It is rising ({n} items): act before it grows."),
        (1, _) => format!("Still small ({n} items) but rising: watch it and act before it grows."),
        (-1, 1) => format!(
            "It is large ({n} items) but easing: check whether a recent change already helps before building more."
        ),
        (-1, 0) => format!("It is easing ({n} items): confirm the cause is gone before investing."),
        (-1, _) => {
            format!("It is small ({n} items) and easing: a help-centre answer may be enough.")
        }
        (_, 1) => format!(
            "It is among the larger themes ({n} items) and steady: measure how many people hit it before and after the change."
        ),
        (_, 0) => format!("It comes up steadily ({n} items): track it through the next release."),
        (_, _) => format!(
            "It is small and steady ({n} items): bundle it with related work rather than scheduling it alone."
        ),
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

const QUESTION_WORDS: &[&str] = &[
    "how ",
    "why ",
    "what ",
    "where ",
    "when ",
    "which ",
    "can i ",
    "is it ",
    "is there ",
    "is that",
    "do i ",
    "does ",
];
const WANTS: &[&str] = &[
    "want",
    "wants",
    "would like",
    "wish",
    "asked for",
    "asks for",
    "requests",
    "requested",
];
const PERFORMANCE: &[&str] = &[
    "slow",
    "slower",
    "load",
    "loading",
    "latency",
    "seconds",
    "timeout",
    "time out",
    "times out",
    "timed out",
    "spin",
    "lag",
    "performance",
    "speed",
    "fast",
    "faster",
];
const FAILURE: &[&str] = &[
    "crash", "crashes", "error", "errors", "bug", "broken", "break", "breaks", "fails", "failing",
    "fail", "failed", "lost", "missing", "wrong", "declined", "rejected",
];
const REQUEST: &[&str] = &[
    "add",
    "support",
    "integration",
    "want",
    "need",
    "wish",
    "request",
    "ability",
    "allow",
    "option",
    "export",
    "sso",
    "saml",
    "api",
    "mode",
    "requests",
    "asked",
    "wants",
    "needs",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn standing() -> Standing<'static> {
        Standing {
            items: 40,
            accounts: 0,
            top_accounts: Vec::new(),
            board_accounts: 0,
            enterprise_accounts: Vec::new(),
            enterprise_acv: 0.0,
            acv: 0.0,
            direction: 0,
            board_median_items: 30,
            sentiment: 0.0,
        }
    }

    #[test]
    fn a_question_after_a_comma_is_the_ask() {
        let r = recommend(
            "card",
            Some("My new card arrived, how can I activate it?"),
            &standing(),
        );
        assert!(
            r.starts_with("Customers ask: \"My new card arrived, how can I activate it?\""),
            "{r}"
        );
    }

    #[test]
    fn questions_are_told_in_the_third_person() {
        let r = recommend("card pin", Some("How do I change my PIN?"), &standing());
        assert!(
            r.starts_with("Customers ask how to change their PIN."),
            "{r}"
        );
        let r = recommend("top up", Some("Can I top up with a cheque?"), &standing());
        assert!(
            r.starts_with("Customers ask whether they can top up with a cheque."),
            "{r}"
        );
        let r = recommend(
            "transfer",
            Some("Why is my transfer still pending?"),
            &standing(),
        );
        assert!(
            r.starts_with("Customers ask: \"Why is my transfer still pending?\""),
            "{r}"
        );
    }

    #[test]
    fn the_check_names_the_accounts_and_follows_the_evidence() {
        let mut s = standing();
        s.accounts = 3;
        s.top_accounts = vec!["Globex", "Acme Corp"];
        s.enterprise_accounts = vec!["Acme Corp"];
        s.enterprise_acv = 300_000.0;
        s.acv = 450_000.0;
        let r = recommend("exports", Some("Exports time out on big reports."), &s);
        assert!(
            r.contains(
                "Start with the enterprise account Acme Corp: $300k of the $450k in ACV behind it."
            ),
            "{r}"
        );
        assert!(r.starts_with("Customers find exports too slow."), "{r}");
        let mut quiet = standing();
        quiet.items = 5;
        quiet.direction = -1;
        assert!(recommend("x", None, &quiet).contains("small (5 items) and easing"));
    }
}
