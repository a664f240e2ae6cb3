//! Downloads: the board as CSV for the board's own query, one insight as Markdown.

use reqwest::header;
use serde_json::Value;
use shared::auth::Role;

use crate::harness::{TestApp, problem};

/// The header a download carries: its type and the file name a browser offers.
fn attachment(res: &reqwest::Response) -> (String, String) {
    let text = |name: header::HeaderName| {
        res.headers()[name]
            .to_str()
            .expect("an ASCII header")
            .to_owned()
    };
    (
        text(header::CONTENT_TYPE),
        text(header::CONTENT_DISPOSITION),
    )
}

#[tokio::test]
async fn the_board_exports_as_csv_for_the_same_query_and_an_insight_as_markdown() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;

    let query = "?filter=high_priority&sort_by=score&limit=50";
    let board: Vec<Value> = app.get_body(&format!("/themes{query}"), &viewer).await;
    assert!(!board.is_empty(), "the demo has high-priority insights");
    let res = app
        .get(&format!("/themes/export.csv{query}"), &viewer)
        .await;
    assert_eq!(res.status(), 200);
    let (kind, disposition) = attachment(&res);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(
        disposition.starts_with("attachment; filename=\"insights-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = res.text().await.unwrap();
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header[..4],
        ["title", "severity", "effort", "priority_score"]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        board.len(),
        "one row per insight the board shows"
    );
    let id_col = header.iter().position(|h| h == "id").unwrap();
    for (row, card) in rows.iter().zip(&board) {
        assert_eq!(
            &row[id_col],
            card["id"].as_str().unwrap(),
            "in the board's order"
        );
        assert_eq!(&row[0], card["title"].as_str().unwrap());
        assert_eq!(row[3], card["priority_score"].to_string());
    }

    let top = &board[0];
    let id = top["id"].as_str().unwrap();
    let res = app.get(&format!("/themes/{id}/export.md"), &viewer).await;
    assert_eq!(res.status(), 200);
    let (kind, disposition) = attachment(&res);
    assert_eq!(kind, "text/markdown; charset=utf-8");
    let file = shared::services::exports::file_name(top["title"].as_str().unwrap(), "md");
    assert_eq!(disposition, format!("attachment; filename=\"{file}\""));
    let md = res.text().await.unwrap();
    assert!(
        md.starts_with(&format!("# {}\n", top["title"].as_str().unwrap())),
        "{md}"
    );
    assert!(
        md.contains("## Customers") && md.contains("## What customers said"),
        "{md}"
    );
    let detail: Value = app
        .get_json(&format!("/themes/{id}"), &app.admin_token)
        .await;
    let quote = detail["key_quotes"][0]["text"].as_str().unwrap();
    let first_line = quote.lines().next().unwrap().trim();
    assert!(
        md.contains(first_line),
        "the key quotes are in it: {first_line:?}\n{md}"
    );

    // Another workspace's insight, or none at all, is not found.
    let (_, other) = app.other_workspace().await;
    problem(
        app.get(&format!("/themes/{id}/export.md"), &other).await,
        404,
        "not_found",
    )
    .await;
    let missing = uuid::Uuid::new_v4();
    problem(
        app.get(&format!("/themes/{missing}/export.md"), &viewer)
            .await,
        404,
        "not_found",
    )
    .await;
    // The export takes the board's query, bounds and all.
    problem(
        app.get("/themes/export.csv?limit=0", &viewer).await,
        422,
        "validation_failed",
    )
    .await;
}
