//! Vendor bodies kept as files under `tests/fixtures/`, shaped like the vendor's real API, so
//! a fake server answers as the vendor does and a test says only what differs.

use std::path::PathBuf;

/// The path of `tests/fixtures/<name>`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(crate::repo_path(&format!("tests/fixtures/{name}")))
}

/// The text of `tests/fixtures/<name>`, with each `{{key}}` replaced by its value (every key
/// must appear, so a renamed placeholder fails loudly rather than sending a literal).
pub fn text(name: &str, values: &[(&str, &str)]) -> String {
    let file = path(name);
    let mut text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("reading fixture {}: {e}", file.display()));
    for (key, value) in values {
        let placeholder = format!("{{{{{key}}}}}");
        assert!(
            text.contains(&placeholder),
            "{placeholder} not in fixture {name}"
        );
        text = text.replace(&placeholder, value);
    }
    text
}

/// [`text`] read as JSON.
pub fn json(name: &str, values: &[(&str, &str)]) -> serde_json::Value {
    serde_json::from_str(&text(name, values))
        .unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

/// Answers `method path` on a fake vendor with `response`, for as long as the server lives.
#[cfg(feature = "app")]
pub async fn serve(
    server: &wiremock::MockServer,
    method: &str,
    path: impl Into<String>,
    response: impl wiremock::Respond + 'static,
) {
    wiremock::Mock::given(wiremock::matchers::method(method))
        .and(wiremock::matchers::path(path))
        .respond_with(response)
        .mount(server)
        .await;
}

/// A fake OpenAI-compatible server answering every chat completion with `response`.
#[cfg(feature = "app")]
pub async fn serve_completions(
    server: &wiremock::MockServer,
    response: impl wiremock::Respond + 'static,
) {
    serve(server, "POST", "/v1/chat/completions", response).await;
}
