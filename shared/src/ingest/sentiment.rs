//! A small lexicon-based sentiment scorer in the VADER tradition, tuned for product
//! feedback: word valences, negation, intensifiers, "but" shifts, exclamation and capitals,
//! normalised to a compound score in [-1, 1].

use std::{collections::HashMap, sync::LazyLock};

/// Word valences from -4 (very negative) to +4 (very positive), written for this product.
const LEXICON: &[(&str, f32)] = &[
    // Strongly negative
    ("awful", -3.1),
    ("terrible", -3.1),
    ("horrible", -3.0),
    ("unusable", -3.2),
    ("useless", -2.8),
    ("hate", -3.0),
    ("hates", -3.0),
    ("worst", -3.2),
    ("furious", -3.0),
    ("disaster", -3.0),
    ("broken", -2.6),
    ("crash", -2.4),
    ("crashes", -2.4),
    ("crashing", -2.4),
    ("crashed", -2.4),
    ("outage", -2.5),
    ("unacceptable", -3.0),
    ("nightmare", -3.0),
    ("angry", -2.6),
    ("churn", -2.2),
    ("cancel", -2.0),
    ("canceling", -2.0),
    ("cancelling", -2.0),
    ("blocker", -2.3),
    ("blocking", -2.0),
    ("blocked", -2.0),
    ("fail", -2.2),
    ("fails", -2.2),
    ("failed", -2.2),
    ("failing", -2.2),
    ("failure", -2.3),
    ("lost", -2.0),
    ("loses", -2.0),
    ("losing", -2.0),
    ("corrupt", -2.6),
    ("corrupted", -2.6),
    ("freeze", -2.1),
    ("freezes", -2.1),
    ("frozen", -2.0),
    ("hangs", -2.0),
    // Moderately negative
    ("bad", -2.3),
    ("poor", -2.1),
    ("slow", -1.9),
    ("slower", -1.9),
    ("sluggish", -1.9),
    ("laggy", -1.9),
    ("lag", -1.6),
    ("bug", -1.8),
    ("bugs", -1.8),
    ("buggy", -2.1),
    ("error", -1.8),
    ("errors", -1.8),
    ("issue", -1.2),
    ("issues", -1.2),
    ("problem", -1.7),
    ("problems", -1.7),
    ("frustrating", -2.3),
    ("frustrated", -2.3),
    ("frustration", -2.3),
    ("annoying", -2.0),
    ("annoyed", -2.0),
    ("confusing", -1.8),
    ("confused", -1.6),
    ("difficult", -1.5),
    ("hard", -1.0),
    ("painful", -2.2),
    ("pain", -1.9),
    ("complain", -1.8),
    ("complaint", -1.8),
    ("complaints", -1.8),
    ("missing", -1.3),
    ("lacks", -1.4),
    ("lacking", -1.4),
    ("timeout", -1.8),
    ("timeouts", -1.8),
    ("unreliable", -2.2),
    ("unstable", -2.0),
    ("flaky", -1.9),
    ("worse", -2.1),
    ("worried", -1.7),
    ("concern", -1.2),
    ("concerned", -1.4),
    ("concerns", -1.2),
    ("risk", -1.2),
    ("expensive", -1.5),
    ("overage", -1.5),
    ("surprise", -0.4),
    ("ugly", -2.0),
    ("clunky", -1.8),
    ("tedious", -1.8),
    ("manual", -0.6),
    ("workaround", -1.1),
    ("stuck", -1.8),
    ("limit", -0.6),
    ("limits", -0.6),
    ("limited", -1.0),
    ("delay", -1.3),
    ("delays", -1.3),
    ("delayed", -1.3),
    ("wrong", -2.0),
    ("inaccurate", -1.9),
    ("disappointed", -2.3),
    ("disappointing", -2.3),
    ("unhappy", -2.2),
    ("upset", -2.1),
    ("waste", -2.0),
    ("cannot", -1.0),
    ("unable", -1.5),
    ("impossible", -2.0),
    ("struggle", -1.8),
    ("struggling", -1.8),
    // Mildly positive
    ("ok", 0.9),
    ("okay", 0.9),
    ("fine", 0.8),
    ("works", 1.0),
    ("working", 0.6),
    ("useful", 1.9),
    ("helpful", 1.9),
    ("easy", 1.9),
    ("easier", 1.8),
    ("simple", 1.3),
    ("clean", 1.3),
    ("fast", 1.8),
    ("faster", 1.7),
    ("quick", 1.5),
    ("quickly", 1.3),
    ("reliable", 1.9),
    ("stable", 1.4),
    ("smooth", 1.7),
    ("improve", 1.3),
    ("improved", 1.7),
    ("improvement", 1.6),
    ("better", 1.7),
    ("nice", 1.8),
    ("good", 1.9),
    ("like", 1.2),
    ("likes", 1.2),
    ("liked", 1.3),
    ("want", 0.3),
    ("thanks", 1.6),
    ("thank", 1.5),
    ("appreciate", 2.0),
    ("appreciated", 2.0),
    ("glad", 2.0),
    ("happy", 2.5),
    ("pleased", 2.2),
    ("satisfied", 2.0),
    ("valuable", 2.0),
    ("value", 1.2),
    ("recommend", 2.0),
    // Strongly positive
    ("great", 3.0),
    ("love", 3.1),
    ("loves", 3.1),
    ("loved", 3.0),
    ("excellent", 3.2),
    ("amazing", 3.1),
    ("awesome", 3.1),
    ("fantastic", 3.2),
    ("perfect", 3.0),
    ("delighted", 3.0),
    ("brilliant", 3.0),
    ("outstanding", 3.1),
    ("impressed", 2.6),
    ("impressive", 2.7),
    ("best", 3.0),
    ("wonderful", 3.1),
];

const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "nobody",
    "nothing",
    "neither",
    "nor",
    "without",
    "isnt",
    "isn't",
    "dont",
    "don't",
    "doesnt",
    "doesn't",
    "didnt",
    "didn't",
    "cant",
    "can't",
    "wont",
    "won't",
    "wasnt",
    "wasn't",
    "arent",
    "aren't",
    "shouldnt",
    "shouldn't",
    "wouldnt",
    "wouldn't",
    "hardly",
];

const BOOSTERS: &[(&str, f32)] = &[
    ("very", 0.293),
    ("really", 0.293),
    ("extremely", 0.293),
    ("incredibly", 0.293),
    ("super", 0.293),
    ("so", 0.293),
    ("too", 0.2),
    ("totally", 0.293),
    ("completely", 0.293),
    ("absolutely", 0.293),
    ("constantly", 0.293),
    ("always", 0.2),
    ("highly", 0.293),
    ("especially", 0.2),
    ("slightly", -0.293),
    ("somewhat", -0.293),
    ("barely", -0.293),
    ("kind", -0.2),
    ("sort", -0.2),
    ("little", -0.2),
    ("bit", -0.2),
    ("mostly", -0.2),
];

const NEGATION_SCALAR: f32 = -0.74;
const NORMALISATION_ALPHA: f32 = 15.0;

static LEX: LazyLock<HashMap<&'static str, f32>> =
    LazyLock::new(|| LEXICON.iter().copied().collect());
static BOOST: LazyLock<HashMap<&'static str, f32>> =
    LazyLock::new(|| BOOSTERS.iter().copied().collect());

fn tokens(text: &str) -> Vec<(String, bool)> {
    text.split_whitespace()
        .map(|raw| {
            let word: String = raw
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .collect();
            let shouting = word.chars().filter(|c| c.is_alphabetic()).count() > 1
                && word.chars().all(|c| !c.is_alphabetic() || c.is_uppercase());
            (word.to_lowercase(), shouting)
        })
        .filter(|(w, _)| !w.is_empty())
        .collect()
}

/// Compound sentiment in [-1, 1]; 0 for text with no opinion words.
pub fn score(text: &str) -> f32 {
    let toks = tokens(text);
    let any_shouting = toks.iter().any(|(_, s)| *s) && !toks.iter().all(|(_, s)| *s);
    let mut valences: Vec<f32> = Vec::with_capacity(toks.len());
    for (i, (word, shouting)) in toks.iter().enumerate() {
        let Some(&base) = LEX.get(word.as_str()) else {
            valences.push(0.0);
            continue;
        };
        let mut v = base;
        if *shouting && any_shouting {
            v += 0.733 * v.signum();
        }
        // Intensifiers and negations within the three preceding words.
        for back in 1..=3 {
            let Some((prev, _)) = i.checked_sub(back).and_then(|j| toks.get(j)) else {
                break;
            };
            if let Some(&b) = BOOST.get(prev.as_str()) {
                let damp = [1.0, 0.95, 0.9][back - 1];
                v += b * v.signum() * damp;
            }
            if NEGATIONS.contains(&prev.as_str()) {
                v *= NEGATION_SCALAR;
            }
        }
        valences.push(v);
    }
    // Text after "but" carries the opinion.
    if let Some(but) = toks.iter().position(|(w, _)| w == "but" || w == "however") {
        for (i, v) in valences.iter_mut().enumerate() {
            *v *= if i < but { 0.5 } else { 1.5 };
        }
    }
    let mut sum: f32 = valences.iter().sum();
    if sum != 0.0 {
        let bangs = text.matches('!').count().min(4) as f32;
        sum += sum.signum() * bangs * 0.292;
    }
    let compound = sum / (sum * sum + NORMALISATION_ALPHA).sqrt();
    compound.clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn polarity_follows_the_words() {
        assert!(score("I love the new dashboard, it is fast and easy") > 0.6);
        assert!(score("The export is broken and keeps crashing, this is unacceptable") < -0.6);
        assert_eq!(score("We exported the report on Tuesday"), 0.0);
    }

    #[test]
    fn negation_intensity_and_but_shift_the_score() {
        assert!(score("this is not good") < 0.0);
        assert!(score("the app is very slow") < score("the app is slow"));
        assert!(score("the UI is nice but search is terrible") < 0.0);
        assert!(score("it is good!!!") > score("it is good"));
        assert!(score("it is BAD") < score("it is bad"));
    }

    #[test]
    fn scores_stay_in_range() {
        let rant = "terrible awful horrible broken useless worst hate ".repeat(20);
        let s = score(&rant);
        assert!((-1.0..=-0.9).contains(&s), "{s}");
    }
}
