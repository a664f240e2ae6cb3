use std::time::Duration;

use serde_json::{Value, json};
use shared::{
    ai::embeddings::{from_bytes, local::MiniLm},
    services::embedding,
};
use wiremock::{MockServer, Request, ResponseTemplate};
use worker::JobRegistry;

use crate::harness::{TestApp, ai_config_with, assert_mentions, repo_path, serve};

async fn wait_embedded(app: &TestApp, model: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let items: Vec<Value> = app.get_body("/feedback", &app.admin_token).await;
        if !items.is_empty() && items.iter().all(|f| f["embedding_model"] == model) {
            return items;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not embedded with {model}: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_openai_compatible_endpoint_embeds_feedback() {
    let server = MockServer::start().await;
    // Answers like OpenAI's /embeddings: one vector per input, in order.
    serve(&server, "POST", "/v1/embeddings", |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let inputs = body["input"].as_array().unwrap();
        let data: Vec<Value> = inputs
            .iter()
            .enumerate()
            .map(|(i, _)| json!({"object": "embedding", "index": i, "embedding": [3.0, 4.0, i as f32]}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        }))
    }).await;
    let config = ai_config_with(&[
        (
            "providers: {}",
            &format!("providers:\n  fake:\n    base_url: {}/v1", server.uri()),
        ),
        (
            "  provider: local\n  model: all-MiniLM-L6-v2\n  endpoint: null",
            "  provider: openai\n  model: text-embedding-3-small\n  endpoint: fake",
        ),
    ]);
    let app = TestApp::builder()
        .env("PRODUCK__AI__CONFIG_PATH", config.to_str().unwrap())
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    app.upload_ok("notes.txt", "The export times out\n\nDark mode please")
        .await;
    wait_embedded(&app, "text-embedding-3-small").await;
    use sea_orm::ConnectionTrait;
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT embedding FROM feedback_vectors LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("a stored vector");
    let v = from_bytes(&row.try_get::<Vec<u8>>("", "embedding").unwrap());
    assert_eq!(v.len(), 3);
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "vectors are normalised");

    // Each call to the provider is a run of the AI log, attributed to the workspace's job,
    // with the tokens the provider billed; a copilot question's embedding belongs to its
    // conversation.
    let answer: Value = app
        .post_json(
            "/chat",
            &app.admin_token,
            &json!({"message": "export timeouts?"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let runs: Value = app
        .get_body("/admin/runs?agent=embeddings", &app.admin_token)
        .await;
    let items = runs["items"].as_array().unwrap();
    let calls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v1/embeddings")
        .count();
    assert_eq!(items.len(), calls, "{runs}");
    assert!(calls >= 2);
    for run in items {
        assert_eq!(run["status"], "success");
        assert_eq!(run["model"], "text-embedding-3-small");
        assert_eq!(run["provider"], "fake");
        assert_eq!(run["prompt_tokens"], 8);
    }
    assert_eq!(items[0]["conversation_id"], answer["conversation_id"]);
    assert_mentions(&items[0]["input_preview"], "export timeouts?");
}

#[tokio::test]
async fn changing_the_embedding_provider_re_embeds() {
    let config = ai_config_with(&[("  provider: local\n", "  provider: lexical\n")]);
    let app = TestApp::builder()
        .env("PRODUCK__AI__CONFIG_PATH", config.to_str().unwrap())
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    app.upload_ok(
        "notes.txt",
        "The export times out\n\nDark mode please\n\nSSO is a blocker",
    )
    .await;
    wait_embedded(&app, "lexical-hash-v1").await;
    // Switching to the local model: every vector of the old model is pending again.
    let model = MiniLm::load(
        &std::path::PathBuf::from(repo_path("models/all-MiniLM-L6-v2")),
        "all-MiniLM-L6-v2",
    )
    .expect("model files (scripts/fetch-model.sh)");
    assert_eq!(
        embedding::pending(app.db(), app.workspace_id, "all-MiniLM-L6-v2")
            .await
            .unwrap(),
        3
    );
    let n = embedding::embed_next_batch(app.db(), app.workspace_id, &model, 64)
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        embedding::pending(app.db(), app.workspace_id, "all-MiniLM-L6-v2")
            .await
            .unwrap(),
        0
    );
    let items: Vec<Value> = app.get_body("/feedback", &app.admin_token).await;
    assert!(
        items
            .iter()
            .all(|f| f["embedding_model"] == "all-MiniLM-L6-v2")
    );
}
