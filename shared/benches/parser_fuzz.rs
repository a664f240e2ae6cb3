//! Runs the parser properties for a chosen number of cases and prints cases/s:
//! `cargo bench -p shared --bench parser_fuzz -- --cases 5000`.

use test_support::parser_props;

use std::time::Instant;

use parser_props::*;
use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};

fn cases() -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--cases")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn run<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let outcome = runner.run(&strategy, test);
    let secs = started.elapsed().as_secs_f64();
    match outcome {
        Ok(()) => println!(
            "{name:<32} {cases:>7} cases in {secs:>6.2} s = {:>9.0} cases/s",
            f64::from(cases) / secs
        ),
        Err(e) => {
            println!("{name:<32} FAILED: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    // The PDF library panics on some broken files and the parser catches it; proptest
    // reports any panic that escapes, so the default hook's backtraces are only noise.
    std::panic::set_hook(Box::new(|_| {}));
    let n = cases();
    println!("parser properties, {n} cases each (no panic, limits kept)");
    run(
        "arbitrary bytes, every format",
        n,
        (kind(), prop::collection::vec(any::<u8>(), 0..3000)),
        |(k, bytes)| check_parse(k, &bytes),
    );
    for k in KINDS {
        run(
            &format!("mutated valid {}", k.as_str()),
            n,
            mutations(),
            move |edits| check_parse(k, &mutate(valid(k), &edits)),
        );
    }
    run(
        "format detection",
        n,
        (".{0,40}", prop::collection::vec(any::<u8>(), 0..64)),
        |(name, head)| check_detect(&name, &head),
    );
    run(
        "chunker",
        n,
        (document(), 20usize..2500, 0usize..400),
        |(text, max, overlap)| check_chunk(&text, max, overlap),
    );
    run(
        "PII redactor",
        n,
        (any::<String>(), email(), any::<String>()),
        |(before, email, after)| check_redact(&before, &email, &after),
    );
}
