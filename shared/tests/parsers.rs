//! A short round of the parser properties (`test_support::parser_props`); the `parser_fuzz`
//! bench runs as many cases as asked.

use proptest::prelude::*;
use test_support::parser_props::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_a_parser(kind in kind(), bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        check_parse(kind, &bytes)?;
    }

    #[test]
    fn mutated_valid_files_never_panic_a_parser(kind in kind(), edits in mutations()) {
        check_parse(kind, &mutate(valid(kind), &edits))?;
    }

    #[test]
    fn format_detection_takes_any_name_and_bytes(name in ".{0,40}", head in prop::collection::vec(any::<u8>(), 0..64)) {
        check_detect(&name, &head)?;
    }

    #[test]
    fn chunks_never_exceed_their_size(text in document(), max in 20usize..2500, overlap in 0usize..400) {
        check_chunk(&text, max, overlap)?;
    }

    #[test]
    fn emails_are_always_redacted(before in any::<String>(), email in email(), after in any::<String>()) {
        check_redact(&before, &email, &after)?;
    }
}

#[test]
fn the_seed_files_parse() {
    for kind in KINDS {
        let bytes = valid(kind);
        let parsed = shared::ingest::parse_file(
            kind,
            &bytes,
            &shared::ingest::ParseLimits {
                max_items: MAX_ITEMS,
                max_pdf_inflated_bytes: 1 << 20,
                cancel: shared::jobs::CancelFlag::new(),
            },
        );
        assert!(parsed.is_ok(), "{kind:?}: {parsed:?}");
    }
}
