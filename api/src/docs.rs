//! `/docs`: the API reference, rendered by the Scalar bundle that ships inside the binary.
//! The page is small and loads the 2.7 MB bundle from `/docs/scalar.js`, which browsers
//! cache; default fonts are switched off, so a browser opening the page talks to nobody
//! but this API (it works offline and behind strict firewalls).

use std::sync::LazyLock;

use axum::{
    Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use sha2::{Digest, Sha256};

/// The bundle and theme as aide ships them, taken out of its self-contained page once.
struct Assets {
    script: String,
    etag: HeaderValue,
    page: String,
}

const SPEC_URL: &str = "/openapi.json";
const SCRIPT_URL: &str = "/docs/scalar.js";

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let bundled = aide::scalar::Scalar::new(SPEC_URL).html();
    let script = between_last(&bundled, "<script>", "</script>")
        .trim()
        .to_owned();
    let theme_css = between_first(&bundled, "customCss: `", "`,").to_owned();
    let digest = hex::encode(&Sha256::digest(script.as_bytes())[..12]);
    let etag = HeaderValue::from_str(&format!("\"{digest}\"")).expect("hex is a valid header");
    let page = page(&theme_css, &digest);
    Assets { script, etag, page }
});

fn page(theme_css: &str, version: &str) -> String {
    let configuration = serde_json::json!({
        "spec": {"url": SPEC_URL},
        "theme": "purple",
        "withDefaultFonts": false,
        "hideClientButton": true,
        "customCss": theme_css,
    });
    format!(
        r#"<!doctype html>
<html>
  <head>
    <title>ProduckAI API reference</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <style>body {{ margin: 0; font-family: system-ui, sans-serif; }}</style>
  </head>
  <body>
    <script id="api-reference" data-configuration='{config}'></script>
    <script src="{SCRIPT_URL}?v={version}"></script>
  </body>
</html>
"#,
        config = configuration.to_string().replace('\'', "&#39;"),
    )
}

fn between_first<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    text.split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map_or("", |(inner, _)| inner)
}

fn between_last<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    text.rsplit_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map_or("", |(inner, _)| inner)
}

async fn docs_page() -> Html<&'static str> {
    Html(ASSETS.page.as_str())
}

async fn bundle(headers: HeaderMap) -> Response {
    let assets = &*ASSETS;
    if headers.get(header::IF_NONE_MATCH) == Some(&assets.etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, assets.etag.clone())],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (header::ETAG, assets.etag.clone()),
        ],
        assets.script.as_str(),
    )
        .into_response()
}

/// The two undocumented routes of the reference.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/docs", get(docs_page))
        .route(SCRIPT_URL, get(bundle))
}
