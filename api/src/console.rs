//! The PM console: a single-page app built from `console/` and embedded at compile time
//! (see `build.rs`). `/` answers browsers with the console and every other client with the
//! API's name and version; `/app/...` are the console's pages (all one HTML file, routed in
//! the browser) and `/app/assets/...` its content-hashed files, cached for a year and served
//! precompressed. Nothing here talks to another host: the page's policy forbids it.

use std::{
    borrow::Cow,
    path::{Component, Path as FsPath, PathBuf},
    sync::LazyLock,
};

use axum::{
    Json, Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde_json::json;

use crate::error::ApiError;

mod files {
    include!(concat!(env!("OUT_DIR"), "/console_files.rs"));
}

/// Where the console lives; its pages are routed in the browser below this.
pub const BASE: &str = "/app";

/// Paths answered here (not rate limited: they are static).
pub fn serves(path: &str) -> bool {
    path == "/" || path == BASE || path.starts_with("/app/")
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// For working on the console: `PRODUCK_CONSOLE_DIR=console/dist` serves the files from
/// disk, so a rebuilt bundle shows on reload without compiling the API again.
static DEV_DIR: LazyLock<Option<PathBuf>> =
    LazyLock::new(|| std::env::var_os("PRODUCK_CONSOLE_DIR").map(PathBuf::from));

fn file(path: &str) -> Option<Cow<'static, [u8]>> {
    if let Some(dir) = DEV_DIR.as_ref() {
        let plain = FsPath::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        return plain
            .then(|| std::fs::read(dir.join(path)).ok())
            .flatten()
            .map(Cow::Owned);
    }
    files::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| Cow::Borrowed(*bytes))
}

pub fn is_built() -> bool {
    file("index.html").is_some()
}

async fn root(headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        return Redirect::to("/app/").into_response();
    }
    Json(json!({
        "name": "ProduckAI API",
        "version": env!("CARGO_PKG_VERSION"),
        "docs": "/docs",
        "openapi": "/openapi.json",
        "console": "/app/",
    }))
    .into_response()
}

async fn page() -> Response {
    let body = file("index.html").map_or_else(|| NOT_BUILT.as_bytes().to_vec(), Cow::into_owned);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn app_path(Path(rest): Path<String>, headers: HeaderMap) -> Response {
    match rest.strip_prefix("assets/") {
        Some(name) => asset(name, &headers),
        None => page().await,
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") | Some("map") => "application/json",
        _ => "application/octet-stream",
    }
}

/// A hashed asset, precompressed when the client accepts it (brotli, then gzip).
fn asset(name: &str, headers: &HeaderMap) -> Response {
    let path = format!("assets/{name}");
    let Some(plain) = file(&path) else {
        return ApiError::not_found(format!("no console file {path}")).into_response();
    };
    let accepts = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let encoded = [("br", "br"), ("gzip", "gz")]
        .into_iter()
        .filter(|(coding, _)| accepts.split(',').any(|a| a.trim().starts_with(coding)))
        .find_map(|(coding, ext)| file(&format!("{path}.{ext}")).map(|bytes| (coding, bytes)));
    let mut res = match encoded {
        Some((coding, bytes)) => {
            let mut res = bytes.into_owned().into_response();
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            res
        }
        None => plain.into_owned().into_response(),
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// The console's routes (undocumented in the spec: they serve pages, not data).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(root))
        .route(BASE, get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(page))
        .route("/app/{*rest}", get(app_path))
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ProduckAI console is not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The console is not built into this binary</h1>
<p>This <code>produck-api</code> was compiled without the console's files. Build them, then build the API again:</p>
<pre style="background:#f4f4f5;padding:1rem;border-radius:6px">cd console &amp;&amp; npm ci &amp;&amp; npm run build
cargo build -p api --bin produck-api</pre>
<p><code>scripts/dev.sh</code> does both. The API itself works: see <a href="/docs">/docs</a>.</p>
</body>
</html>
"#;
