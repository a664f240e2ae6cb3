//! PRDs and prototyping prompts generated from insights: the template for every kind of
//! insight, and the prd_writer agent through a fake OpenAI server.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::Value;
use worker::JobRegistry;

use shared::auth::Role;

use crate::harness::{TestApp, assert_mentions, completion, problem, serve_completions};

const SECTIONS: [&str; 13] = [
    "Problem & Goal",
    "Who",
    "Voice of Customer",
    "Hypothesis",
    "Use cases",
    "Solution",
    "Scope",
    "Acceptance criteria",
    "Success metrics",
    "Experiment plan",
    "GTM",
    "Dependencies & risks",
    "Open questions",
];

/// A PRD as a model writes it: every section, in order.
fn model_prd() -> String {
    let sections: String = SECTIONS
        .iter()
        .map(|s| format!("## {s}\n\nWritten by the model.\n\n"))
        .collect();
    format!("# Better PRD\n\n{sections}")
}

async fn clustered(app: &TestApp) {
    app.load_demo().await;
    app.wait_all_embedded(Duration::from_secs(60)).await;
    app.cluster().await;
}

/// An insight's prototype prompt (`query` is empty or starts with `?`); must answer 200.
async fn ai_prompt(app: &TestApp, id: &str, query: &str) -> Value {
    app.get_json(
        &format!("/themes/{id}/generate-ai-prompt{query}"),
        &app.admin_token,
    )
    .await
}

/// Where an insight's PRD is drafted.
fn prd_path(insight: &Value) -> String {
    format!("/themes/{}/generate-prd", insight["id"].as_str().unwrap())
}

/// The board's insight whose customers span the most segments.
async fn mixed_segment_insight(app: &TestApp) -> Value {
    let board = app.get_json("/themes?limit=100", &app.admin_token).await;
    board
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|i| {
            let mut segs: Vec<String> = i["customers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["segment"].as_str().unwrap().to_owned())
                .collect();
            segs.sort();
            segs.dedup();
            (segs.len(), i["customers"].as_array().unwrap().len())
        })
        .unwrap()
        .clone()
}

fn headings(md: &str) -> Vec<&str> {
    md.lines().filter_map(|l| l.strip_prefix("## ")).collect()
}

async fn insert_insight(app: &TestApp, category: &str, title: &str) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    app.db()
        .execute_unprepared(&format!(
            "INSERT INTO insights (id, workspace_id, theme_id, category, title, description, impact, recommendation, \
             severity, effort, priority_score, generated_by) VALUES ('{id}', '{}', NULL, '{category}', '{title}', '', '', '', \
             'medium', 'low', 50, 'fallback')",
            app.workspace_id
        ))
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn prds_and_prompts_are_written_for_every_kind_of_insight() {
    let app = TestApp::builder()
        .env(
            "PRODUCK__SERVER__WEB_UI_BASE_URL",
            "https://app.example.com/",
        )
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    clustered(&app).await;
    let insight = mixed_segment_insight(&app).await;
    let id = insight["id"].as_str().unwrap();
    let segments: Vec<&str> = insight["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["segment"].as_str().unwrap())
        .collect();
    assert!(
        ["ENT", "MM", "SMB"].iter().all(|s| segments.contains(s)),
        "the demo has a theme with every segment: {insight}"
    );

    let prd = app
        .get_json(&format!("/themes/{id}/generate-prd"), &app.admin_token)
        .await;
    assert_eq!(prd["insight_id"], id);
    assert_eq!(prd["generated_by"], "fallback");
    let md = prd["prd_markdown"].as_str().unwrap();
    assert_eq!(headings(md), SECTIONS.to_vec(), "{md}");
    assert!(md.starts_with(&format!("# {}\n", insight["title"].as_str().unwrap())));
    assert!(md.contains(&format!("*Priority: {}/100*", insight["priority_score"])));
    let customers = insight["customers"].as_array().unwrap().len();
    assert!(
        md.contains(&format!("**TL;DR**: {customers} customers (")),
        "{md}"
    );
    // Customers grouped by segment, ENT first, with their ACV.
    let ent = md.find(" ENT ($").expect("ENT group");
    let mm = md.find(" MM ($").expect("MM group");
    let smb = md.find(" SMB ($").expect("SMB group");
    assert!(ent < mm && mm < smb, "{md}");
    // Quotes cite the feedback they come from; the link uses the configured web UI.
    let detail = app
        .get_json(&format!("/themes/{id}"), &app.admin_token)
        .await;
    let quote_id = detail["key_quotes"][0]["id"].as_str().unwrap();
    assert!(md.contains(quote_id), "quotes cite feedback ids: {md}");
    assert!(
        md.contains(&format!("(https://app.example.com/insights/{id})")),
        "{md}"
    );
    assert!(!md.contains("localhost:3000"));

    let prompt = ai_prompt(&app, id, "").await;
    assert_eq!(
        prompt["recommended_tool"], "Lovable",
        "ENT customers call for a production MVP"
    );
    assert_eq!(prompt["reason"], prompt["recommendation_reason"]);
    assert_eq!(prompt["metadata"]["has_enterprise_customers"], true);
    assert_eq!(prompt["metadata"]["total_customers"], customers);
    assert!(
        prompt["metadata"]["total_acv"]
            .as_str()
            .unwrap()
            .starts_with('$')
    );
    let integrations: Vec<String> =
        serde_json::from_value(prompt["metadata"]["integrations"].clone()).unwrap();
    let mut sorted = integrations.clone();
    sorted.sort();
    assert_eq!(integrations, sorted);
    let text = prompt["prompt"].as_str().unwrap();
    for section in [
        "## Context",
        "## User Problem",
        "## Customer Evidence",
        "## Requirements",
        "## Design Constraints",
        "## Success Criteria",
        "## Recommended Approach",
        "## Next Steps",
    ] {
        assert!(text.contains(section), "{section}: {text}");
    }
    assert!(text.contains("functional end-to-end MVP"));
    let ui = ai_prompt(&app, id, "?prototype_type=ui_component").await;
    assert_eq!(ui["recommended_tool"], "v0");
    let poc = ai_prompt(&app, id, "?prototype_type=technical_poc").await;
    assert_eq!(poc["recommended_tool"], "Bolt");
    problem(
        app.get(
            &format!("/themes/{id}/generate-ai-prompt?prototype_type=slides"),
            &app.admin_token,
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // An insight without customers and a competitive insight render too.
    for category in ["customer_feedback", "competitive_intel"] {
        let bare = insert_insight(&app, category, "Rival ships offline mode").await;
        let prd = app
            .get_json(&format!("/themes/{bare}/generate-prd"), &app.admin_token)
            .await;
        let md = prd["prd_markdown"].as_str().unwrap();
        assert_eq!(headings(md), SECTIONS.to_vec(), "{category}: {md}");
        assert!(
            md.contains("0 customers ($0)") && md.contains("No segment data"),
            "{md}"
        );
        let prompt = ai_prompt(&app, &bare.to_string(), "").await;
        assert_eq!(
            prompt["recommended_tool"], "Bolt",
            "medium severity, no ENT: {prompt}"
        );
        assert_eq!(prompt["metadata"]["integrations"], serde_json::json!([]));
    }

    // Unknown insights and other workspaces' insights are 404.
    let missing = uuid::Uuid::new_v4();
    problem(
        app.get(&format!("/themes/{missing}/generate-prd"), &app.admin_token)
            .await,
        404,
        "not_found",
    )
    .await;
    let (_, other) = app.other_workspace().await;
    problem(
        app.get(&format!("/themes/{id}/generate-prd"), &other).await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.get(&format!("/themes/{id}/generate-ai-prompt"), &other)
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_prd_writer_is_used_when_its_reply_keeps_every_section() {
    use wiremock::{
        Mock, MockServer, ResponseTemplate,
        matchers::{body_string_contains, method, path},
    };
    let server = MockServer::start().await;
    let full = format!("```markdown\n{}\n```", model_prd());
    serve_completions(
        &server,
        ResponseTemplate::new(200).set_body_json(completion(&full)),
    )
    .await;
    let app = TestApp::with_fake_llm(&server.uri(), &["prd_writer"], &[]).await;
    clustered(&app).await;
    let insight = mixed_segment_insight(&app).await;
    let id = insight["id"].as_str().unwrap();

    // A reply that drops sections is not used.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("PRD"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(completion("# Short\n\n## Problem & Goal\n\nToo short.\n")),
        )
        .mount(&server)
        .await;
    let prd = app
        .get_json(&format!("/themes/{id}/generate-prd"), &app.admin_token)
        .await;
    assert_eq!(prd["generated_by"], "fallback");
    let reason = prd["fallback_reason"].as_str().unwrap();
    assert!(reason.contains("Open questions"), "{reason}");
    assert_eq!(
        headings(prd["prd_markdown"].as_str().unwrap()),
        SECTIONS.to_vec()
    );

    // A provider that fails falls back too, without leaking the error.
    server.reset().await;
    serve_completions(&server, ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": {"message": "Incorrect API key provided: sk-boom", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}))).await;
    let prd = app
        .get_json(&format!("/themes/{id}/generate-prd"), &app.admin_token)
        .await;
    assert_eq!(prd["generated_by"], "fallback");
    assert!(!prd["fallback_reason"].as_str().unwrap().contains("sk-boom"));

    server.reset().await;
    serve_completions(
        &server,
        ResponseTemplate::new(200).set_body_json(completion(&full)),
    )
    .await;
    // A viewer reads the template: the model is not called on a viewer's behalf.
    let viewer = app.member_token("vic@example.com", Role::Viewer).await;
    let res = app
        .get(&format!("/themes/{id}/generate-prd"), &viewer)
        .await;
    assert_eq!(res.status(), 200);
    let for_viewer: Value = res.json().await.unwrap();
    assert_eq!(for_viewer["generated_by"], "fallback");
    assert_mentions(&for_viewer["fallback_reason"], "editors");
    assert!(server.received_requests().await.unwrap().is_empty());

    let prd = app
        .get_json(&format!("/themes/{id}/generate-prd"), &app.admin_token)
        .await;
    assert_eq!(prd["generated_by"], "llm", "{prd}");
    assert_eq!(prd["cached"], false);
    let md = prd["prd_markdown"].as_str().unwrap();
    assert!(
        md.starts_with("# Better PRD") && !md.contains("```"),
        "{md}"
    );
    assert!(prd.get("fallback_reason").is_none());
    // The model was given the evidence and the template to keep.
    let requests = server.received_requests().await.unwrap();
    let sent: Value = serde_json::from_slice(&requests.last().unwrap().body).unwrap();
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("## Voice of Customer") && user.contains(insight["title"].as_str().unwrap())
    );
    // Asked again while the evidence is unchanged: the same PRD, no second call.
    let again = app
        .get_json(&format!("/themes/{id}/generate-prd"), &app.admin_token)
        .await;
    assert_eq!(again["cached"], true, "{again}");
    assert_eq!(again["prd_markdown"], prd["prd_markdown"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Every agent draws on one daily budget per workspace and per member: the copilot's
/// budget used to cover the copilot alone, so PRDs spent without limit.
#[tokio::test]
async fn prd_drafts_count_against_the_members_daily_token_budget() {
    use wiremock::{MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let full = model_prd();
    // completion() reports 160 tokens: past a budget of 1 after one draft.
    serve_completions(
        &server,
        ResponseTemplate::new(200).set_body_json(completion(&full)),
    )
    .await;
    let app = TestApp::with_fake_llm(
        &server.uri(),
        &["prd_writer"],
        &[("PRODUCK__AI__MEMBER_DAILY_TOKEN_BUDGET", "1")],
    )
    .await;
    clustered(&app).await;
    let insights: Vec<Value> = app.get_body("/themes?limit=2", &app.admin_token).await;
    let first = app
        .get_json(&prd_path(&insights[0]), &app.admin_token)
        .await;
    assert_eq!(first["generated_by"], "llm", "{first}");
    let second = app
        .get_json(&prd_path(&insights[1]), &app.admin_token)
        .await;
    assert_eq!(second["generated_by"], "fallback", "{second}");
    assert_mentions(&second["fallback_reason"], "your daily LLM token budget");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // Another member still has their own allowance.
    let editor = app.member_token("eve@example.com", Role::Editor).await;
    let res = app.get(&prd_path(&insights[1]), &editor).await;
    let theirs: Value = res.json().await.unwrap();
    assert_eq!(theirs["generated_by"], "llm", "{theirs}");
}
