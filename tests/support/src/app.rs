//! The application under test: a real PostgreSQL database per test, a Redis namespace per
//! test, the API on port 0 and workers in-process (each on its own runtime so a test can kill
//! one).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use api::AppState;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use shared::{
    auth::Role,
    config::Settings,
    entities::job_run,
    jobs::status,
    services::{bootstrap, jobs, users, workspaces},
};
use uuid::Uuid;
use worker::JobRegistry;

use crate::{db, repo_path};
pub use crate::{db::TestDb, workers::TestWorker};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "s3cret-admin-password";

/// Settings for a test: the `test` environment, this test's database, a fresh queue prefix,
/// plus overrides as `PRODUCK__...` variables.
pub fn test_settings(
    db_url: &str,
    overrides: &[(&str, &str)],
) -> Result<Settings, shared::config::ConfigError> {
    let prefix = format!("t{}", &Uuid::new_v4().simple().to_string()[..12]);
    let mut vars = vec![
        ("DATABASE_URL".to_owned(), db_url.to_owned()),
        ("REDIS_URL".to_owned(), db::redis_url()),
        ("PRODUCK__JOBS__QUEUE_PREFIX".to_owned(), prefix),
        (
            "PRODUCK__AI__CONFIG_PATH".to_owned(),
            repo_path("ai_config.yaml"),
        ),
    ];
    vars.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Settings::load_for(std::path::Path::new(&repo_path("config")), "test", vars)
}

/// A copy of the shipped ai_config.yaml with text replaced (each replacement must apply),
/// written to a temporary folder; returns its path.
pub fn ai_config_with(replacements: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(repo_path("ai_config.yaml")).expect("ai_config.yaml");
    for (from, to) in replacements {
        assert!(text.contains(from), "{from:?} not in ai_config.yaml");
        text = text.replace(from, to);
    }
    let dir = std::env::temp_dir().join(format!("produck-ai-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("ai_config.yaml");
    std::fs::write(&file, text).expect("writing ai_config.yaml");
    file
}

/// ai_config.yaml pointing `agents` at a fake OpenAI server (wiremock's `uri`), with the
/// local model read from the checkout; returns its path.
pub fn fake_llm_config(uri: &str, agents: &[&str]) -> std::path::PathBuf {
    let fake = format!("providers:\n  fake:\n    base_url: {uri}/v1\n    timeout_secs: 5");
    let model_dir = format!("  model_dir: {}", repo_path("models/all-MiniLM-L6-v2"));
    let mut replacements: Vec<(String, String)> = vec![
        ("providers: {}".into(), fake),
        ("  model_dir: models/all-MiniLM-L6-v2".into(), model_dir),
    ];
    for agent in agents {
        replacements.push((
            format!("  {agent}:\n    provider: null"),
            format!("  {agent}:\n    provider: fake"),
        ));
    }
    let pairs: Vec<(&str, &str)> = replacements
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    ai_config_with(&pairs)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub state: AppState,
    pub settings: Arc<Settings>,
    pub workspace_id: Uuid,
    pub admin_token: String,
    pub workers: Vec<TestWorker>,
    registry: JobRegistry,
    server: tokio::task::JoinHandle<()>,
    _db: Option<TestDb>,
}

#[derive(Default)]
pub struct TestAppBuilder {
    overrides: Vec<(String, String)>,
    registry: Option<JobRegistry>,
    workers: usize,
    database_url: Option<String>,
}

impl TestAppBuilder {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.overrides.push((key.to_owned(), value.to_owned()));
        self
    }

    /// A migrated database of the test's own (a private server) instead of a fresh copy of
    /// the template on the shared one.
    /// A pool and statement timeout sized for a benchmark's load.
    pub fn bench_database(self, max_connections: u32) -> Self {
        self.env(
            "PRODUCK__DATABASE__MAX_CONNECTIONS",
            &max_connections.to_string(),
        )
        .env("PRODUCK__DATABASE__STATEMENT_TIMEOUT_SECS", "600")
    }

    pub fn database(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_owned());
        self
    }

    /// In-process workers consuming every kind of `registry`.
    pub fn workers(mut self, n: usize, registry: JobRegistry) -> Self {
        self.workers = n;
        self.registry = Some(registry);
        self
    }

    pub async fn spawn(self) -> TestApp {
        shared::ai::init_crypto();
        let (db, db_url) = match self.database_url {
            Some(url) => (None, url),
            None => {
                let db = TestDb::new().await;
                let url = db.url.clone();
                (Some(db), url)
            }
        };
        let overrides: Vec<(&str, &str)> = self
            .overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let settings = Arc::new(test_settings(&db_url, &overrides).expect("test settings"));
        let conn = shared::db::connect(&settings.database)
            .await
            .expect("connecting to the test database");
        let ws = bootstrap::on_start(&conn, &settings)
            .await
            .expect("bootstrap");
        bootstrap::create_admin(&conn, &settings, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .expect("creating admin");
        let redis = shared::redis_conn::connect_lazy(&settings.redis).expect("redis url");
        let state = api::state_from_parts(settings.clone(), conn, redis, ws.id).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding port 0");
        let addr = listener.local_addr().expect("local addr");
        let server = tokio::spawn({
            let state = state.clone();
            async move {
                let _ = api::serve(listener, state, std::future::pending()).await;
            }
        });
        let registry = self.registry.unwrap_or_else(JobRegistry::production);
        let mut app = TestApp {
            addr,
            http: reqwest::Client::new(),
            state,
            settings: settings.clone(),
            workspace_id: ws.id,
            admin_token: String::new(),
            workers: Vec::new(),
            registry,
            server,
            _db: db,
        };
        if !settings.auth.disabled {
            app.admin_token = app.login_token(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        }
        for _ in 0..self.workers {
            app.add_worker();
        }
        app
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        for w in self.workers.drain(..) {
            w.kill();
        }
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The API with one worker running every product job.
    pub async fn with_worker() -> TestApp {
        Self::builder()
            .workers(1, JobRegistry::production())
            .spawn()
            .await
    }

    /// The API and one production worker with `agents` writing through a fake OpenAI
    /// server at `uri` (wiremock's), plus `env`.
    pub async fn with_fake_llm(uri: &str, agents: &[&str], env: &[(&str, &str)]) -> TestApp {
        let config = fake_llm_config(uri, agents);
        let mut b = Self::builder()
            .env(
                "PRODUCK__AI__CONFIG_PATH",
                config.to_str().expect("a UTF-8 path"),
            )
            .workers(1, JobRegistry::production());
        for (k, v) in env {
            b = b.env(k, v);
        }
        b.spawn().await
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// The demo data set loaded and embedded, with one worker running every product job.
    pub async fn demo() -> TestApp {
        let app = Self::builder()
            .workers(1, JobRegistry::production())
            .spawn()
            .await;
        app.load_demo().await;
        app.wait_all_embedded(Duration::from_secs(60)).await;
        app
    }

    /// Runs clustering through `POST /cluster/run`, waits for it to complete and returns
    /// `GET /cluster/status`.
    pub async fn cluster(&self) -> Value {
        let id = self.start_clustering().await;
        let job = self.wait_job(id, Duration::from_secs(60)).await;
        assert_eq!(job.status, "completed", "{job:?}");
        self.get("/cluster/status", &self.admin_token)
            .await
            .json()
            .await
            .expect("cluster status")
    }

    /// `POST /cluster/run`; returns the job's id without waiting.
    pub async fn start_clustering(&self) -> Uuid {
        let run: Value = self
            .http
            .post(self.url("/cluster/run"))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .expect("cluster request")
            .json()
            .await
            .expect("cluster answer");
        assert_eq!(run["status"], "accepted", "{run}");
        run["task_id"]
            .as_str()
            .expect("task id")
            .parse()
            .expect("uuid")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Starts one more in-process worker (its own runtime and unique name).
    pub fn add_worker(&mut self) -> usize {
        self.workers.push(TestWorker::start(
            self.settings.clone(),
            self.registry.clone(),
        ));
        self.workers.len() - 1
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, path, token).await
    }

    /// A GET's body read as `T`, whatever the status (a test asserting on a refusal reads the
    /// problem document this way too).
    pub async fn get_body<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.get(path, token)
            .await
            .json()
            .await
            .expect("a JSON body")
    }

    /// A body-less POST's answer read as `T`, whatever the status.
    pub async fn post_body<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.post(path, token)
            .await
            .json()
            .await
            .expect("a JSON body")
    }

    /// A request without a body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// A POST without a body (starting a sync, a job, a revocation).
    pub async fn post(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, token).await
    }

    /// A POST with a JSON body that must answer 200, as JSON.
    pub async fn post_json_ok(
        &self,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> Value {
        let res = self.post_json(path, token, body).await;
        assert_eq!(res.status(), 200, "POST {path}");
        res.json().await.expect("a JSON body")
    }

    /// Waits until job `id` is running (or fails the test after `within`).
    pub async fn wait_running(&self, id: Uuid, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while jobs::get(self.db(), self.workspace_id, id)
            .await
            .expect("reading the job")
            .status
            != status::RUNNING
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {id} never started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A POST without a body, asking not to wait (`Prefer: respond-async`): the job's 202.
    pub async fn post_async(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .header("prefer", "respond-async")
            .send()
            .await
            .expect("request")
    }

    /// A POST without a body that must answer 200, as JSON.
    pub async fn post_ok(&self, path: &str, token: &str) -> Value {
        let res = self.post(path, token).await;
        assert_eq!(res.status(), 200, "POST {path}");
        res.json().await.expect("a JSON body")
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, token).await
    }

    /// A POST with a JSON body and no credentials (sign-in, refresh, callbacks).
    pub async fn post_anonymous(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A GET that must answer 200, as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let res = self.get(path, token).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("a JSON body")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `PUT` of a JSON body (taken by value, so a closure can build and send it).
    pub async fn put_json(
        &self,
        path: &str,
        token: &str,
        body: impl serde::Serialize,
    ) -> reqwest::Response {
        self.send_json(reqwest::Method::PUT, path, token, &body)
            .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_anonymous(
            "/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login_token(&self, email: &str, password: &str) -> String {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200, "login of {email} failed");
        let body: Value = res.json().await.expect("login body");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Adds a member with `role` to this workspace and returns their access token.
    pub async fn member_token(&self, email: &str, role: Role) -> String {
        self.member_in(self.workspace_id, email, role).await;
        self.login_token(email, "member-password-1").await
    }

    pub async fn member_in(&self, workspace_id: Uuid, email: &str, role: Role) -> users::Member {
        users::add(
            self.db(),
            workspace_id,
            users::NewMember {
                email: email.into(),
                password: "member-password-1".into(),
                display_name: None,
                role,
            },
        )
        .await
        .expect("adding member")
    }

    /// A second workspace with its own admin; returns (workspace id, admin token).
    pub async fn other_workspace(&self) -> (Uuid, String) {
        let ws = workspaces::ensure(self.db(), "Other Co")
            .await
            .expect("workspace");
        self.member_in(ws.id, "other-admin@example.com", Role::Admin)
            .await;
        (
            ws.id,
            self.login_token("other-admin@example.com", "member-password-1")
                .await,
        )
    }

    /// Creates and enqueues a job of any kind, as a service would.
    pub async fn start_job(
        &self,
        workspace_id: Uuid,
        kind: &str,
        params: Value,
        singleton: bool,
    ) -> jobs::StartOutcome {
        jobs::start(
            self.db(),
            &self.state.queue,
            jobs::NewJob {
                workspace_id: Some(workspace_id),
                kind: kind.to_owned(),
                params,
                requested_by: Some("test".into()),
                singleton,
                dedupe_key: None,
                max_attempts: self.settings.jobs.limits_for(kind).max_attempts,
            },
        )
        .await
        .expect("starting job")
    }

    pub async fn start(&self, kind: &str, params: Value) -> Uuid {
        match self.start_job(self.workspace_id, kind, params, false).await {
            jobs::StartOutcome::Started(j) => j.id,
            other => panic!("job did not start: {other:?}"),
        }
    }

    /// Uploads files as the web UI does (multipart field `files`).
    pub async fn upload(&self, files: Vec<(&str, Vec<u8>)>) -> reqwest::Response {
        self.upload_with(files, false).await
    }

    /// Uploads without waiting for processing (`Prefer: respond-async`); each file's name
    /// and job id.
    pub async fn upload_async(&self, files: Vec<(&str, Vec<u8>)>) -> Vec<(String, Uuid)> {
        let res = self.upload_with(files, true).await;
        assert_eq!(res.status(), 202);
        let body: Value = res.json().await.expect("upload answer");
        body["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| {
                (
                    f["filename"].as_str().unwrap_or_default().to_owned(),
                    f["job_id"]
                        .as_str()
                        .and_then(|id| id.parse().ok())
                        .expect("job id"),
                )
            })
            .collect()
    }

    async fn upload_with(
        &self,
        files: Vec<(&str, Vec<u8>)>,
        respond_async: bool,
    ) -> reqwest::Response {
        let form = files
            .into_iter()
            .fold(reqwest::multipart::Form::new(), |f, (name, bytes)| {
                f.part(
                    "files",
                    reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
                )
            });
        let mut req = self
            .http
            .post(self.url("/upload/upload-feedback"))
            .bearer_auth(&self.admin_token)
            .multipart(form);
        if respond_async {
            req = req.header("Prefer", "respond-async");
        }
        req.send().await.expect("upload request")
    }

    /// Uploads one file and expects it processed within the request.
    pub async fn upload_ok(&self, name: &str, body: &str) {
        let res = self.upload(vec![(name, body.as_bytes().to_vec())]).await;
        assert_eq!(res.status(), 200, "upload of {name}");
    }

    /// Loads the demo data set from every source.
    pub async fn load_demo(&self) {
        for path in [
            "/ingest/slack",
            "/ingest/jira",
            "/ingest/gdocs",
            "/ingest/zoom",
        ] {
            let res = self
                .http
                .post(self.url(path))
                .bearer_auth(&self.admin_token)
                .send()
                .await
                .expect("ingest request");
            assert_eq!(res.status(), 200, "{path}");
        }
    }

    /// Waits until every feedback item has a vector from the local model.
    pub async fn wait_all_embedded(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while shared::services::embedding::pending(self.db(), self.workspace_id, "all-MiniLM-L6-v2")
            .await
            .expect("pending count")
            > 0
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "feedback was not embedded within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts a cluster-wide job (no workspace, like the scheduled ones) and waits for it to
    /// complete or fail.
    pub async fn run_global_job(&self, kind: &str, within: Duration) -> job_run::Model {
        use sea_orm::EntityTrait;
        let new = jobs::NewJob {
            workspace_id: None,
            kind: kind.to_owned(),
            params: json!({}),
            requested_by: Some("test".into()),
            singleton: false,
            dedupe_key: Some(format!("test:{}", Uuid::new_v4())),
            max_attempts: 2,
        };
        let jobs::StartOutcome::Started(job) = jobs::start(self.db(), &self.state.queue, new)
            .await
            .expect("starting the job")
        else {
            panic!("the {kind} job was not started")
        };
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let row = job_run::Entity::find_by_id(job.id)
                .one(self.db())
                .await
                .expect("job row")
                .expect("the job exists");
            if [status::COMPLETED, status::FAILED].contains(&row.status.as_str()) {
                return row;
            }
            assert!(tokio::time::Instant::now() < deadline, "{row:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the workspace's newest job of `kind` to appear and finish.
    pub async fn wait_newest(&self, kind: &str, within: Duration) -> job_run::Model {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let newest = job_run::Entity::find()
                .filter(job_run::Column::WorkspaceId.eq(self.workspace_id))
                .filter(job_run::Column::Kind.eq(kind))
                .order_by_desc(job_run::Column::CreatedAt)
                .one(self.db())
                .await
                .expect("job rows");
            if let Some(job) = newest {
                return self
                    .wait_job(
                        job.id,
                        deadline.saturating_duration_since(tokio::time::Instant::now()),
                    )
                    .await;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {kind} job within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls until the job is completed, failed or cancelled.
    pub async fn wait_job(&self, id: Uuid, within: Duration) -> job_run::Model {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let job = jobs::get(self.db(), self.workspace_id, id)
                .await
                .expect("job row");
            if [status::COMPLETED, status::FAILED, status::CANCELLED].contains(&job.status.as_str())
            {
                return job;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {id} still {} after {within:?}: {job:?}",
                job.status
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The problem+json body of an error response, with its content type checked.
pub async fn problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let rid = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["title"].is_string() && body["type"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert_eq!(body["request_id"], rid, "request_id must echo x-request-id");
    body
}

/// A 422 `validation_failed` whose first error is at `loc` (e.g. `json!(["query", "limit"])`);
/// returns the problem document.
pub async fn invalid_at(res: reqwest::Response, loc: Value) -> Value {
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["loc"], loc, "{body}");
    body
}

/// An OpenAI chat completion answering `content`, shaped as the vendor's API returns it.
/// One `chat.completion.chunk` of OpenAI's streaming format, as an SSE `data:` line.
pub fn completion_chunk(content: Option<&str>, usage: Option<(u32, u32)>) -> String {
    let choices = match content {
        Some(c) => {
            serde_json::json!([{"index": 0, "delta": {"content": c}, "logprobs": null, "finish_reason": null}])
        }
        None if usage.is_none() => {
            serde_json::json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}])
        }
        None => serde_json::json!([]),
    };
    let usage = usage.map(|(p, c)| serde_json::json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}));
    let chunk = serde_json::json!({
        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_700_000_000,
        "model": "gpt-4o-mini", "system_fingerprint": "fp_test", "choices": choices, "usage": usage
    });
    format!("data: {chunk}\n\n")
}

/// A whole streamed completion as OpenAI sends it: a role chunk, the content pieces, the
/// finish chunk, the usage chunk (`stream_options.include_usage`) and `[DONE]`.
pub fn completion_stream(pieces: &[&str], usage: (u32, u32)) -> String {
    let mut body = completion_chunk(Some(""), None);
    for p in pieces {
        body.push_str(&completion_chunk(Some(p), None));
    }
    body.push_str(&completion_chunk(None, None));
    body.push_str(&completion_chunk(None, Some(usage)));
    body.push_str("data: [DONE]\n\n");
    body
}

/// A fake provider's streamed reply of `content`, costing what [`completion`] costs.
pub fn streamed_completion(content: &str) -> wiremock::ResponseTemplate {
    event_stream(completion_stream(&[content], (120, 40)))
}

/// A 200 carrying `body` as Server-Sent Events.
pub fn event_stream(body: String) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(body)
}

/// The `data:` events of a Server-Sent Events body, parsed.
pub fn sse_events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

pub fn completion(content: &str) -> Value {
    serde_json::json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}
    })
}

/// A request's JSON answer whatever its status: `builder.json_of::<Value>().await`.
#[allow(async_fn_in_trait)]
pub trait JsonOf {
    async fn json_of<T: serde::de::DeserializeOwned>(self) -> T;
}

impl JsonOf for reqwest::RequestBuilder {
    async fn json_of<T: serde::de::DeserializeOwned>(self) -> T {
        self.send()
            .await
            .expect("request")
            .json()
            .await
            .expect("a JSON body")
    }
}

/// Asserts `value` is a string mentioning `needle` (a problem's `detail`, a message).
#[track_caller]
pub fn assert_mentions(value: &Value, needle: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string mentioning {needle:?}, got {value}"));
    assert!(
        text.contains(needle),
        "{text:?} does not mention {needle:?}"
    );
}
