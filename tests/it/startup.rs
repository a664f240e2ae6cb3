//! The container's start-up rules, proven without a container engine (CI has none;
//! `scripts/compose-smoke.sh` runs the real thing where Docker is). The binaries run as
//! compose runs them: the image's layout (its WORKDIR holding `config/`, `ai_config.yaml` and,
//! when present, `models/`), the Dockerfile's `ENV`, each service's `command` and
//! `environment` read from compose.yaml with `${...}` filled from a `.env` made from
//! `.env.example`, which compose also passes whole (`env_file`). Only the service hosts
//! (`postgres`, `redis`), the published ports and the Redis key prefix are mapped to this
//! machine's. Set `PRODUCK_TEST_BIN_DIR=<target>/release` to run the release binaries.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use secrecy::ExposeSecret;
use serde_json::Value;

use crate::harness::{JsonOf, TestApp, processes::free_port, repo_path};

/// The compose deployment, laid out on this machine.
struct Deployment {
    compose: Value,
    dotenv: BTreeMap<String, String>,
    app_dir: PathBuf,
    image_env: Vec<(String, String)>,
    database_url: String,
    redis_url: String,
    prefix: String,
    api_port: u16,
    worker_port: u16,
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PRODUCK_TEST_BIN_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_BIN_EXE_produck-api"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `.env.example` with only its REQUIRED lines filled, as a newcomer's `.env` would be.
fn dotenv() -> BTreeMap<String, String> {
    let example = std::fs::read_to_string(repo_path(".env.example")).unwrap();
    let mut vars: BTreeMap<String, String> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .collect();
    for (key, value) in [
        (
            "PRODUCK__AUTH__JWT_SECRET",
            "compose-test-secret-0123456789abcdefghijklmnop",
        ),
        ("PRODUCK_ADMIN_EMAIL", "owner@example.com"),
        ("PRODUCK_ADMIN_PASSWORD", "compose-admin-password"),
    ] {
        assert!(vars.contains_key(key), ".env.example lists {key}");
        vars.insert(key.to_owned(), value.to_owned());
    }
    vars
}

/// `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as compose fills them from `.env`.
fn interpolate(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed ${") + start;
        let inner = &rest[start + 2..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner.split(":?").next().unwrap(), None),
        };
        let value = vars.get(name).filter(|v| !v.is_empty()).cloned();
        out.push_str(
            &value
                .or(default.map(str::to_owned))
                .unwrap_or_else(|| panic!("compose.yaml needs {name}, which .env leaves empty")),
        );
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The last stage's `WORKDIR` and `ENV` of the Dockerfile.
fn image_env(app_dir: &Path) -> Vec<(String, String)> {
    let dockerfile = std::fs::read_to_string(repo_path("Dockerfile")).unwrap();
    let last_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    assert!(last_stage.contains("WORKDIR /app"), "{last_stage}");
    last_stage
        .lines()
        .filter_map(|l| l.strip_prefix("ENV "))
        .flat_map(|l| l.split_whitespace())
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let v = v.replacen("/app", app_dir.to_str().unwrap(), 1);
            (k.to_owned(), v)
        })
        .collect()
}

impl Deployment {
    async fn new(app: &TestApp, with_model: bool) -> Self {
        let text = std::fs::read_to_string(repo_path("compose.yaml")).unwrap();
        let compose: Value = serde_saphyr::from_str(&text).expect("compose.yaml parses");
        let app_dir = std::env::temp_dir().join(format!("produck-image-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(app_dir.join("config")).unwrap();
        for entry in std::fs::read_dir(repo_path("config")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), app_dir.join("config").join(entry.file_name())).unwrap();
        }
        std::fs::copy(repo_path("ai_config.yaml"), app_dir.join("ai_config.yaml")).unwrap();
        if with_model {
            // The image's model stage puts the checked files at /app/models/all-MiniLM-L6-v2.
            let model =
                std::fs::canonicalize(repo_path("models")).expect("scripts/fetch-model.sh has run");
            std::os::unix::fs::symlink(model, app_dir.join("models")).unwrap();
        }
        Self {
            compose,
            dotenv: dotenv(),
            image_env: image_env(&app_dir),
            app_dir,
            database_url: app.settings.database.url.expose_secret().to_owned(),
            redis_url: app.settings.redis.url.expose_secret().to_owned(),
            prefix: app.settings.jobs.queue_prefix.clone(),
            api_port: free_port(),
            worker_port: free_port(),
        }
    }

    /// The command of a compose service, with the environment compose gives it.
    fn service(&self, name: &str) -> Command {
        let svc = &self.compose["services"][name];
        assert_eq!(svc["env_file"], ".env", "{name} reads .env");
        let argv: Vec<String> = svc["command"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has a command"))
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        let mut command = Command::new(bin_dir().join(&argv[0]));
        command
            .args(&argv[1..])
            .current_dir(&self.app_dir)
            .env_clear();
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &self.image_env {
            command.env(k, v);
        }
        for (k, v) in &self.dotenv {
            command.env(k, v);
        }
        for (k, v) in svc["environment"].as_object().unwrap() {
            let value = interpolate(v.as_str().unwrap_or_default(), &self.dotenv);
            let value = match k.as_str() {
                "DATABASE_URL" => {
                    assert!(value.contains("@postgres:5432/produck"), "{value}");
                    self.database_url.clone()
                }
                "REDIS_URL" => {
                    assert_eq!(value, "redis://redis:6379/");
                    self.redis_url.clone()
                }
                "PRODUCK__SERVER__PORT" => self.api_port.to_string(),
                "PRODUCK__WORKER__METRICS_ADDR" => format!("127.0.0.1:{}", self.worker_port),
                _ => value,
            };
            command.env(k, value);
        }
        command.env("PRODUCK__JOBS__QUEUE_PREFIX", &self.prefix);
        command.env("RUST_LOG", "warn");
        command
    }

    fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.app_dir);
    }
}

/// Runs to the end within `limit`; returns the exit code and everything printed.
fn finish(mut command: Command, limit: Duration) -> (Option<i32>, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the binary");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}: it should have exited");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

async fn wait_ready(child: &mut Child, url: &str) -> Value {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("exited with {status} instead of serving {url}");
        }
        if let Ok(res) = reqwest::get(url).await
            && res.status() == 200
        {
            return res.json().await.unwrap_or(Value::Null);
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "{url} never answered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn without_the_model_the_image_refuses_to_start_in_production() {
    let app = TestApp::spawn().await;
    let deployment = Deployment::new(&app, false).await;
    for service in ["api", "worker"] {
        let (code, out) = finish(deployment.service(service), Duration::from_secs(30));
        assert_eq!(code, Some(1), "{service}: {out}");
        assert!(
            out.contains("embedding model is missing") && out.contains("provider: lexical"),
            "{service}: {out}"
        );
    }
    deployment.remove();
}

#[tokio::test]
async fn the_compose_services_migrate_create_the_admin_and_serve_the_signed_in_console() {
    let app = TestApp::spawn().await;
    let d = Deployment::new(&app, true).await;

    // migrate: applies migrations and creates the first admin from .env, once.
    let (code, out) = finish(d.service("migrate"), Duration::from_secs(60));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("created admin owner@example.com"), "{out}");
    let (code, out) = finish(d.service("migrate"), Duration::from_secs(60));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("left as it is"), "{out}");

    // api: ready with the local model; the admin signs in to the console.
    let mut api = d
        .service("api")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{}", d.api_port);
    let ready = wait_ready(&mut api, &format!("{base}/readyz")).await;
    assert_eq!(ready["embedder"]["provider"], "local", "{ready}");
    assert_eq!(ready["embedder"]["fallback"], false, "{ready}");
    let http = reqwest::Client::new();
    let console = http.get(format!("{base}/app/")).send().await.unwrap();
    assert_eq!(console.status(), 200);
    let signed_in = http
        .post(format!("{base}/auth/session"))
        .json(&serde_json::json!({"email": "owner@example.com", "password": "compose-admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = signed_in.json().await.unwrap();
    assert_eq!(body["role"], "admin", "{body}");
    let me: Value = http
        .get(format!("{base}/auth/me"))
        .header("cookie", cookie.split(';').next().unwrap())
        .json_of()
        .await;
    assert_eq!(me["auth"], "session", "{me}");

    // worker: healthy on its metrics listener.
    let mut worker = d
        .service("worker")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    wait_ready(
        &mut worker,
        &format!("http://127.0.0.1:{}/healthz", d.worker_port),
    )
    .await;

    for mut child in [api, worker] {
        let _ = child.kill();
        let _ = child.wait();
    }
    d.remove();
}

#[test]
fn env_example_names_only_real_settings() {
    let known = shared::config_reference::setting_keys();
    let example = std::fs::read_to_string(repo_path(".env.example")).unwrap();
    let mut checked = 0;
    for line in example.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let Some(path) = name.strip_prefix("PRODUCK__") else {
            continue;
        };
        let dotted = path.to_lowercase().replace("__", ".");
        assert!(
            known
                .iter()
                .any(|k| dotted == *k || dotted.starts_with(&format!("{k}."))),
            "{name} in .env.example is not a setting"
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} settings in .env.example");
}

#[test]
fn check_config_reports_each_check_and_masks_secrets() {
    let dir = std::env::temp_dir();
    let out = Command::new(bin_dir().join("produck-api"))
        .arg("check-config")
        .current_dir(repo_path(""))
        .env("PRODUCK_ENV", "test")
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env(
            "PRODUCK__AUTH__JWT_SECRET",
            "check-config-secret-0123456789abcdefghij",
        )
        .env(
            "DATABASE_URL",
            "postgres://someone:hunter2-password@127.0.0.1:1/nowhere",
        )
        .env("REDIS_URL", "redis://127.0.0.1:1/")
        .env("PRODUCK__DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .env("TMPDIR", &dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("ok    configuration"), "{text}");
    assert!(text.contains("FAIL  database"), "{text}");
    assert!(text.contains("FAIL  redis"), "{text}");
    assert!(
        !text.contains("hunter2") && !text.contains("check-config-secret"),
        "{text}"
    );
    assert!(
        text.contains("postgres://someone:***@127.0.0.1:1/nowhere"),
        "{text}"
    );
}
