use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};
use worker::JobRegistry;

use crate::harness::{TestApp, ai_config_with, assert_mentions, serve};

/// An ai_config.yaml whose transcriber uses a fake OpenAI-compatible server.
fn config_with_transcriber(base_url: &str) -> std::path::PathBuf {
    ai_config_with(&[
        (
            "providers: {}",
            &format!("providers:\n  fake:\n    base_url: {base_url}\n    timeout_secs: 5"),
        ),
        (
            "  transcriber:\n    provider: null",
            "  transcriber:\n    provider: fake",
        ),
    ])
}

/// A recording (with a text note when `extra_text`), as `TestApp::upload` takes files.
fn audio_files(extra_text: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![("call.mp3", b"ID3\x03\x00fake-mp3-frames".to_vec())];
    if extra_text {
        files.push(("note.txt", b"Dark mode please".to_vec()));
    }
    files
}

#[tokio::test]
async fn audio_is_transcribed_through_the_configured_provider() {
    let server = MockServer::start().await;
    // The shape OpenAI's verbose_json transcription answers with.
    let reply = json!({
        "task": "transcribe",
        "language": "english",
        "duration": 130.5,
        "text": "Our exports keep timing out. We also need SAML single sign-on.",
        "segments": [
            {"id": 0, "seek": 0, "start": 0.0, "end": 4.2, "text": " Our exports keep timing out.", "tokens": [1, 2], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.1, "no_speech_prob": 0.01},
            {"id": 1, "seek": 0, "start": 95.0, "end": 99.5, "text": " We also need SAML single sign-on.", "tokens": [3], "temperature": 0.0, "avg_logprob": -0.3, "compression_ratio": 1.2, "no_speech_prob": 0.02}
        ],
        "usage": {"type": "duration", "seconds": 131}
    });
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .expect(1)
        .mount(&server)
        .await;
    let config = config_with_transcriber(&format!("{}/v1", server.uri()));
    let app = TestApp::builder()
        .env("PRODUCK__AI__CONFIG_PATH", config.to_str().unwrap())
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    let res = app.upload(audio_files(false)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["successful_files"], 1, "{body}");
    assert_eq!(
        body["total_feedback_items"], 2,
        "two 90-second chunks: {body}"
    );
    let items: Vec<Value> = app.get_body("/feedback", &app.admin_token).await;
    assert!(
        items
            .iter()
            .any(|f| f["text"].as_str().unwrap().contains("SAML single sign-on"))
    );
    let received = &server.received_requests().await.unwrap()[0];
    let multipart = String::from_utf8_lossy(&received.body);
    assert!(
        multipart.contains("verbose_json")
            && multipart.contains("whisper-1")
            && multipart.contains("call.mp3")
    );
    // The call is a row of the AI run log.
    let runs: Value = app
        .get_body("/admin/runs?agent=transcriber", &app.admin_token)
        .await;
    assert_eq!(runs["total"], 1, "{runs}");
    assert_eq!(runs["items"][0]["status"], "success");
    assert_eq!(runs["items"][0]["input_preview"], "call.mp3");
}

#[tokio::test]
async fn without_a_provider_audio_fails_clearly_and_other_files_succeed() {
    let app = TestApp::with_worker().await;
    let res = app.upload(audio_files(true)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["successful_files"], 1, "{body}");
    assert_eq!(body["failed_files"], 1, "{body}");
    assert_mentions(&body["errors"][0]["error"], "transcription provider");
}

#[tokio::test]
async fn a_provider_outage_is_retried_then_reported() {
    let server = MockServer::start().await;
    serve(
        &server,
        "POST",
        "/v1/audio/transcriptions",
        ResponseTemplate::new(503)
            .set_body_json(json!({"error": {"message": "overloaded", "type": "server_error"}})),
    )
    .await;
    let config = config_with_transcriber(&format!("{}/v1", server.uri()));
    let app = TestApp::builder()
        .env("PRODUCK__AI__CONFIG_PATH", config.to_str().unwrap())
        .env("PRODUCK__JOBS__MAX_ATTEMPTS", "2")
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    let res = app.upload(audio_files(false)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["failed_files"], 1, "{body}");
    assert_mentions(&body["errors"][0]["error"], "gave up after 2 attempts");
    // Each of our two attempts includes the client library's own quick retries.
    let calls = server.received_requests().await.unwrap().len();
    assert!(calls >= 2 && calls % 2 == 0, "{calls} calls");
}
