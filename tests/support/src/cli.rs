//! The benchmarks' command-line options: `--name value`.

/// The value after `--name`, if given.
pub fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The number after `--name`, or `default`.
pub fn number(name: &str, default: usize) -> usize {
    option(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}
