use super::*;

#[test]
fn headlines_are_short_whole_word_phrases() {
    assert_eq!(
        headline("Honestly, dashboards take 30 seconds to load every morning, for our whole team.")
            .unwrap(),
        "Dashboards take 30 seconds to load every morning"
    );
    assert_eq!(
        headline(
            "The export of shipment reports times out whenever it covers more than a few weeks of data",
        )
        .unwrap(),
        "The export of shipment reports times out"
    );
    assert_eq!(
        headline("There has been a transfer pending in my account and I wanted to know why.")
            .unwrap(),
        "There has been a transfer pending in my account"
    );
    assert_eq!(
        headline("SAML login is required.").unwrap(),
        "SAML login is required"
    );
    // No boundary within reach: not a headline (the opening clause is tried instead).
    assert_eq!(
        headline(
            "Please make the quarterly revenue reconciliation report exportable to spreadsheets"
        ),
        None
    );
}

#[test]
fn a_leading_customer_name_is_removed_and_a_name_inside_drops_the_sentence() {
    let avoid = vec![
        "zephyr dynamics".to_owned(),
        "zephyr".to_owned(),
        "dynamics".to_owned(),
    ];
    assert_eq!(
        without_names(
            "Zephyr Dynamics note: the export keeps failing for our team",
            &avoid
        )
        .as_deref(),
        Some("The export keeps failing for our team")
    );
    assert_eq!(
        without_names("The export for Zephyr keeps failing", &avoid),
        None
    );
    assert_eq!(
        without_names("The export keeps failing", &avoid).as_deref(),
        Some("The export keeps failing")
    );
    assert_eq!(
        without_names(
            "Zephyr asked for a dark mode, their staff work nights",
            &avoid
        ),
        None,
        "no attribution to remove: the sentence needs its subject"
    );
}

#[test]
fn mid_clause_cuts_are_recognised() {
    let s = "There has been a transfer pending in my account and I wanted to know why.";
    assert!(cut_mid_clause(
        "There has been a transfer pending in my account and I wanted",
        s
    ));
    assert!(!cut_mid_clause(
        "There has been a transfer pending in my account",
        s
    ));
    assert!(!cut_mid_clause(s, s));
}

#[test]
fn sentences_drop_markdown_and_fragments() {
    let s = sentences(
        "## Exports\n- **Exports** break on real data. Ok.\n> Charts spin for twenty seconds!",
    );
    assert_eq!(
        s,
        vec![
            "Exports break on real data.",
            "Charts spin for twenty seconds!"
        ]
    );
}

#[test]
fn words_match_whole() {
    assert!(contains_word("we need saml sso now", "saml sso"));
    assert!(!contains_word("samlsso", "saml"));
    assert!(!contains_word("acmecorp rocks", "acme"));
}
