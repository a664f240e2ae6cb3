use serde_json::Value;

use crate::harness::{JsonOf, TestApp, repo_path};

#[test]
fn the_committed_spec_matches_the_code() {
    let generated = api::openapi::to_pretty_json(&api::app::spec());
    let path = repo_path("openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi/openapi.json is out of date: run `cargo run -p api --bin produck-api -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_is_documented_with_errors() {
    let spec: Value = serde_json::to_value(api::app::spec()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            assert!(op["tags"].is_array(), "{method} {path} has no tag");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            if path != "/healthz" {
                assert!(
                    responses.keys().any(|k| k.starts_with('4')),
                    "{method} {path} lacks a 4xx"
                );
            }
        }
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn the_spec_and_docs_are_served_without_auth() {
    let app = TestApp::spawn().await;
    let spec: Value = app.http.get(app.url("/openapi.json")).json_of().await;
    assert!(spec["paths"]["/auth/login"].is_object());
    let docs = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/openapi.json"));
    assert!(
        html.len() < 20_000,
        "the page is small; the bundle is cached separately"
    );
    // Nothing the page names lives outside this API, and the bundle's web fonts are off.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(html.contains(r#""withDefaultFonts":false"#), "{html}");
    let src = html
        .split("<script src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the bundle's script tag");
    assert!(src.starts_with("/docs/scalar.js"), "{src}");
    let bundle = app.http.get(app.url(src)).send().await.unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        bundle.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = bundle.headers()["etag"].clone();
    assert!(bundle.bytes().await.unwrap().len() > 1_000_000);
    let again = app
        .http
        .get(app.url(src))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}
