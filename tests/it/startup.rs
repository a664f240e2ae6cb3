//! How the released binary starts in production, with the environment a container passes:
//! without the embedding model it refuses at once and says how to fix it; with the model it
//! serves and `/readyz` names the embedder.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use secrecy::ExposeSecret;
use serde_json::Value;

use crate::harness::{TestApp, processes::free_port, repo_path};

fn production_api(app: &TestApp, port: u16, ai_config: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_produck-api"));
    command
        .current_dir(repo_path(""))
        .env("PRODUCK_ENV", "production")
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env("PRODUCK__AI__CONFIG_PATH", ai_config)
        .env("PRODUCK__SERVER__HOST", "127.0.0.1")
        .env("PRODUCK__SERVER__PORT", port.to_string())
        .env(
            "PRODUCK__AUTH__JWT_SECRET",
            "startup-test-secret-0123456789abcdefghij",
        )
        .env("DATABASE_URL", app.settings.database.url.expose_secret())
        .env("REDIS_URL", app.settings.redis.url.expose_secret())
        .env(
            "PRODUCK__JOBS__QUEUE_PREFIX",
            &app.settings.jobs.queue_prefix,
        )
        .env("PRODUCK__TELEMETRY__FILTER", "warn")
        .arg("serve");
    command
}

#[tokio::test]
async fn production_refuses_the_silent_lexical_fallback_and_serves_with_the_model() {
    let app = TestApp::spawn().await;

    // The shipped ai_config.yaml, pointed at a folder without the model.
    let empty = tempfile_dir("produck-no-model");
    let shipped = std::fs::read_to_string(repo_path("ai_config.yaml")).unwrap();
    let without = shipped.replace(
        "model_dir: models/all-MiniLM-L6-v2",
        &format!("model_dir: {}", empty.display()),
    );
    assert_ne!(
        without, shipped,
        "the shipped config names its model folder"
    );
    let config = empty.join("ai_config.yaml");
    std::fs::write(&config, without).unwrap();
    let mut refused = production_api(&app, free_port(), config.to_str().unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running produck-api");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = refused.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = refused.kill();
            panic!("produck-api started in production without the embedding model");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(1));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut refused.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("embedding model is missing") && stderr.contains("provider: lexical"),
        "{stderr}"
    );

    // With the model (fetched by scripts/fetch-model.sh, as CI does) it serves.
    let port = free_port();
    let mut child = production_api(&app, port, &repo_path("ai_config.yaml"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting produck-api");
    let url = format!("http://127.0.0.1:{port}/readyz");
    let started = Instant::now();
    let ready: Value = loop {
        if let Ok(res) = reqwest::get(&url).await
            && res.status() == 200
        {
            break res.json().await.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the API did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ready["embedder"]["provider"], "local", "{ready}");
    assert_eq!(ready["embedder"]["model"], "all-MiniLM-L6-v2", "{ready}");
    assert_eq!(ready["embedder"]["fallback"], false, "{ready}");
    std::fs::remove_dir_all(&empty).unwrap();
}

fn tempfile_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        uuid::Uuid::now_v7()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
