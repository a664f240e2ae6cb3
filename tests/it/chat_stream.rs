//! Streamed copilot answers through a provider that streams: deltas forwarded as the model
//! writes them (markers checked on the way), a provider failing mid-answer, and a client
//! that goes away, which stops the generation and leaves the text so far stored.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_partial_json, method, path},
};

use crate::harness::{
    TestApp, assert_mentions, completion_chunk, completion_stream, event_stream, serve_completions,
    sse_events,
};

async fn ask_streaming(app: &TestApp, message: &str) -> Vec<Value> {
    let res = app
        .post_json(
            "/chat",
            &app.admin_token,
            &json!({"message": message, "stream": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    sse_events(&res.text().await.unwrap())
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn deltas(events: &[Value]) -> String {
    events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["content"].as_str().unwrap())
        .collect()
}

async fn stored_answer(app: &TestApp, events: &[Value]) -> Value {
    let id = events[0]["conversation_id"].as_str().unwrap();
    let conversation: Value = app
        .get_body(&format!("/conversations/{id}"), &app.admin_token)
        .await;
    conversation["messages"][1].clone()
}

#[tokio::test]
async fn model_answers_stream_as_written_and_stop_cleanly_when_the_provider_fails() {
    let server = MockServer::start().await;
    // The model's markers arrive split across chunks; [99] points at no passage.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(
            json!({"stream": true, "stream_options": {"include_usage": true}}),
        ))
        .respond_with(event_stream(completion_stream(
            &[
                "Single sign-on blocks renewals [",
                "1]. Exports",
                " are unsupported [9",
                "9]. Both matter [",
                "2].",
            ],
            (150, 30),
        )))
        .mount(&server)
        .await;
    let app = TestApp::with_fake_llm(&server.uri(), &["chat_copilot"], &[]).await;
    app.load_demo().await;
    app.wait_all_embedded(Duration::from_secs(60)).await;
    app.cluster().await;

    let events = ask_streaming(&app, "What blocks enterprise renewals?").await;
    let k = kinds(&events);
    assert_eq!(&k[..3], &["session_init", "tool_use", "tool_use"], "{k:?}");
    assert!(events[2]["results"].as_u64().unwrap() >= 2);
    assert_eq!(&k[k.len() - 2..], &["citations", "done"]);
    assert!(k[3..k.len() - 2].iter().all(|t| *t == "delta"));
    let text = deltas(&events);
    assert_eq!(
        text,
        "Single sign-on blocks renewals [1]. Exports are unsupported. Both matter [2]."
    );
    let done = events.last().unwrap();
    assert_eq!(done["generated_by"], "llm");
    assert_eq!(done["tokens_used"], 180);
    let cited: Vec<u64> = events[k.len() - 2]["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_u64().unwrap())
        .collect();
    assert_eq!(cited, vec![1, 2]);
    let stored = stored_answer(&app, &events).await;
    assert_eq!(stored["content"], text.as_str());
    assert_eq!(stored["incomplete"], false);
    assert_eq!(stored["id"], done["message_id"]);
    assert_eq!(stored["inline_citations"].as_array().unwrap().len(), 2);

    // The provider breaks off after two pieces: an `error` event with a stable code, and
    // the text so far stored, marked incomplete.
    server.reset().await;
    let mut broken = completion_chunk(Some(""), None);
    broken.push_str(&completion_chunk(Some("Single sign-on matters [1"), None));
    broken.push_str(&completion_chunk(Some("]. Next, the"), None));
    broken.push_str("data: {\"id\": \"chatcmpl-test\", \"choices\": [{\"ind\n\n");
    serve_completions(&server, event_stream(broken)).await;
    let events = ask_streaming(&app, "What matters most?").await;
    let k = kinds(&events);
    assert_eq!(k.last(), Some(&"error"), "{k:?}");
    assert!(!k.contains(&"done"));
    let error = events.last().unwrap();
    assert_eq!(error["code"], "upstream_failed");
    let text = deltas(&events);
    assert_eq!(text, "Single sign-on matters [1]. Next, the");
    let stored = stored_answer(&app, &events).await;
    assert_eq!(error["message_id"], stored["id"]);
    assert_eq!(stored["content"], text.as_str());
    assert_eq!(stored["incomplete"], true);
    assert_eq!(stored["stop_reason"], "upstream_failed");

    // A provider that fails before writing anything: the rules answer, streamed the same way.
    server.reset().await;
    let refusal = json!({"error": {"message": "overloaded", "type": "server_error", "param": null, "code": null}});
    serve_completions(&server, ResponseTemplate::new(503).set_body_json(refusal)).await;
    let events = ask_streaming(&app, "What are the top complaints?").await;
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["generated_by"], "fallback");
    assert_mentions(&done["fallback_reason"], "LLM call failed");
    let stored = stored_answer(&app, &events).await;
    assert_eq!(stored["content"], deltas(&events).as_str());
    assert_eq!(stored["incomplete"], false);

    let runs: Value = app
        .get_body("/admin/runs?agent=chat_copilot", &app.admin_token)
        .await;
    let statuses: Vec<(&str, &str)> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap(),
                r["error_code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("error", "provider_unavailable"),
            ("error", "provider_unavailable"),
            ("success", "")
        ],
        "{runs}"
    );
}

/// Counts what the fake provider managed to write before its connection was closed.
#[derive(Default)]
struct SlowProvider {
    pieces_written: AtomicUsize,
    closed: AtomicBool,
}

/// Marks the provider's response as closed when hyper drops its body.
struct ClosedOnDrop(Arc<SlowProvider>);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::SeqCst);
    }
}

/// An OpenAI-compatible provider that writes one piece every 100 ms for up to a minute.
/// wiremock sends a body all at once, so this one fake is a small axum server; its chunks
/// are OpenAI's `chat.completion.chunk` events all the same.
async fn start_slow_provider() -> (String, Arc<SlowProvider>) {
    use axum::{body::Body, response::Response, routing::post};
    let provider = Arc::new(SlowProvider::default());
    let state = provider.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let state = state.clone();
            async move {
                let guard = ClosedOnDrop(state.clone());
                let pieces = futures::stream::unfold((0usize, guard), |(i, guard)| async move {
                    if i >= 600 {
                        return None;
                    }
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    let piece = if i == 0 {
                        "Enterprise accounts need SSO [1]. ".to_owned()
                    } else {
                        format!("More detail {i}. ")
                    };
                    guard.0.pieces_written.fetch_add(1, Ordering::SeqCst);
                    let chunk = completion_chunk(Some(&piece), None);
                    Some((Ok::<_, std::io::Error>(chunk), (i + 1, guard)))
                });
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(pieces))
                    .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (uri, provider)
}

#[tokio::test]
async fn a_client_that_disconnects_stops_the_generation_and_leaves_a_marked_incomplete_answer() {
    let (uri, provider) = start_slow_provider().await;
    let app = TestApp::with_fake_llm(&uri, &["chat_copilot"], &[]).await;
    app.load_demo().await;

    let mut res = app
        .http
        .post(app.url("/chat"))
        .bearer_auth(&app.admin_token)
        .header("accept", "text/event-stream")
        .json(&json!({"message": "What do enterprise accounts need?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Read until two deltas have arrived, then hang up.
    let mut body = String::new();
    while sse_events(&body)
        .iter()
        .filter(|e| e["type"] == "delta")
        .count()
        < 2
    {
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .expect("the stream keeps coming")
            .unwrap()
            .expect("the stream is not over");
        body.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let events = sse_events(&body);
    let conversation_id = events[0]["conversation_id"].as_str().unwrap().to_owned();
    let received = deltas(&events);
    drop(res);

    // The generation stops: the provider's connection closes well before its minute is up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !provider.closed.load(Ordering::SeqCst) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the provider kept generating"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let written = provider.pieces_written.load(Ordering::SeqCst);
    assert!(written < 40, "{written} pieces were generated");

    // The question and the text so far are stored together, marked incomplete.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let conversation = loop {
        let res = app
            .get(
                &format!("/conversations/{conversation_id}"),
                &app.admin_token,
            )
            .await;
        if res.status() == 200 {
            break res.json::<Value>().await.unwrap();
        }
        assert_eq!(res.status(), 404);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the partial answer was not stored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["content"], "What do enterprise accounts need?");
    let answer = &messages[1];
    assert_eq!(answer["incomplete"], true);
    assert_eq!(answer["stop_reason"], "client_disconnected");
    assert_eq!(answer["generated_by"], "llm");
    let content = answer["content"].as_str().unwrap();
    assert!(
        content.starts_with(received.trim_end()) && content.contains("SSO [1]"),
        "{content:?} vs {received:?}"
    );
    assert!(answer["tokens_used"].as_i64().unwrap() > 0);

    let runs: Value = app
        .get_body("/admin/runs?status=cancelled", &app.admin_token)
        .await;
    assert_eq!(runs["total"], 1, "{runs}");
    assert_eq!(runs["items"][0]["error_code"], "client_disconnected");
}
