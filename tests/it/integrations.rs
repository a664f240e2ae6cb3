//! Connecting Google and Zoom through OAuth against wiremock stand-ins answering as the
//! vendors do: PKCE, single-use states, provider errors, encrypted tokens that never show in
//! responses or logs, disconnecting with revocation, and key rotation.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::auth::Role;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::harness::{TestApp, assert_mentions, fixtures, problem, serve};

const GOOGLE_ACCESS: &str = "ya29.a0AfB_byC-google-access-token";
const GOOGLE_REFRESH: &str = "1//0gLr-google-refresh-token";
const ZOOM_ACCESS: &str = "eyJzbV9tYSI6-zoom-access-token";
const ZOOM_REFRESH: &str = "eyJzbV9tYSI6-zoom-refresh-token";

fn form(req: &Request) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

/// The verifier sent at the exchange must hash to the challenge sent at the start.
fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Google's and Zoom's client settings, every vendor URL pointing at `server`.
/// The API with the fake providers and one production worker, `env` set on top.
async fn worker_app(server: &MockServer, env: &[(&str, &str)]) -> TestApp {
    let mut b = TestApp::builder().workers(1, worker::JobRegistry::production());
    for (k, v) in env {
        b = b.env(k, v);
    }
    with_providers(b, server).spawn().await
}

fn with_providers(
    mut b: crate::harness::TestAppBuilder,
    server: &MockServer,
) -> crate::harness::TestAppBuilder {
    let uri = server.uri();
    for (k, v) in [
        (
            "GOOGLE__CLIENT_ID",
            "google-client.apps.googleusercontent.com".to_owned(),
        ),
        ("GOOGLE__CLIENT_SECRET", "GOCSPX-google-secret".to_owned()),
        ("GOOGLE__AUTH_URL", format!("{uri}/o/oauth2/v2/auth")),
        ("GOOGLE__TOKEN_URL", format!("{uri}/token")),
        ("GOOGLE__REVOKE_URL", format!("{uri}/revoke")),
        ("GOOGLE__API_BASE_URL", uri.clone()),
        ("ZOOM__CLIENT_ID", "zoomClientId".to_owned()),
        ("ZOOM__CLIENT_SECRET", "zoomClientSecret".to_owned()),
        ("ZOOM__AUTH_URL", format!("{uri}/zoom/oauth/authorize")),
        ("ZOOM__TOKEN_URL", format!("{uri}/zoom/oauth/token")),
        ("ZOOM__REVOKE_URL", format!("{uri}/zoom/oauth/revoke")),
        ("ZOOM__API_BASE_URL", format!("{uri}/zoom/v2")),
    ] {
        b = b.env(&format!("PRODUCK__INTEGRATIONS__{k}"), &v);
    }
    b
}

async fn app_with_providers(server: &MockServer) -> TestApp {
    with_providers(TestApp::builder(), server).spawn().await
}

/// With providers and one worker running every product job.
async fn app_with_workers(server: &MockServer) -> TestApp {
    with_providers(
        TestApp::builder().workers(1, worker::JobRegistry::production()),
        server,
    )
    .spawn()
    .await
}

/// Google's token endpoint: checks the grant like Google does and answers in its shape.
async fn mount_google(server: &MockServer, challenge: Arc<Mutex<String>>) {
    serve(server, "POST", "/token", move |req: &Request| {
        let f = form(req);
        let ok = f.get("grant_type").map(String::as_str) == Some("authorization_code")
            && f.get("code").map(String::as_str) == Some("4/0AVG7fiQ-google-code")
            && f.get("client_secret").map(String::as_str) == Some("GOCSPX-google-secret")
            && f.get("redirect_uri").map(String::as_str)
                == Some("http://localhost:8000/auth/google/callback")
            && f.get("code_verifier").map(|v| challenge_of(v))
                == Some(challenge.lock().unwrap().clone());
        if !ok {
            return ResponseTemplate::new(400).set_body_json(
                json!({"error": "invalid_grant", "error_description": "Bad Request"}),
            );
        }
        ResponseTemplate::new(200).set_body_json(fixtures::json(
            "google/token.json",
            &[
                ("access_token", GOOGLE_ACCESS),
                ("refresh_token", GOOGLE_REFRESH),
            ],
        ))
    })
    .await;
    Mock::given(method("GET"))
        .and(path("/oauth2/v2/userinfo"))
        .and(header(
            "authorization",
            format!("Bearer {GOOGLE_ACCESS}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixtures::json("google/userinfo.json", &[])),
        )
        .mount(server)
        .await;
    serve(
        server,
        "POST",
        "/revoke",
        ResponseTemplate::new(200).set_body_json(json!({})),
    )
    .await;
}

/// Zoom's token endpoint: client credentials as HTTP Basic, as Zoom documents.
async fn mount_zoom(server: &MockServer) {
    let basic = format!("Basic {}", STANDARD.encode("zoomClientId:zoomClientSecret"));
    Mock::given(method("POST"))
        .and(path("/zoom/oauth/token"))
        .and(header("authorization", basic.as_str()))
        .respond_with(|req: &Request| {
            let f = form(req);
            if f.get("code").map(String::as_str) != Some("zoom-auth-code")
                || f.get("code_verifier").is_none_or(|v| v.len() != 43)
            {
                return ResponseTemplate::new(400)
                    .set_body_json(json!({"reason": "Invalid authorization code", "error": "invalid_request"}));
            }
            ResponseTemplate::new(200).set_body_json(json!({
                "access_token": ZOOM_ACCESS, "token_type": "bearer", "refresh_token": ZOOM_REFRESH,
                "expires_in": 3599, "scope": "cloud_recording:read:list_user_recordings user:read:user",
                "api_url": "https://api.zoom.us"
            }))
        })
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/zoom/v2/users/me"))
        .and(header(
            "authorization",
            format!("Bearer {ZOOM_ACCESS}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "KDcuGIm1QgePTO8WbOqwIQ", "first_name": "Jill", "last_name": "Chill",
            "display_name": "Jill Chill", "email": "jchill@example.com", "type": 2,
            "timezone": "Asia/Shanghai", "account_id": "q6gBJVO5TzexKYTb_I2rpg", "status": "active"
        })))
        .mount(server)
        .await;
}

/// Zoom's recordings list answering each window (`from`..`to`) with the meetings it holds,
/// as one page.
async fn mount_recordings(server: &MockServer, meetings: Value) {
    serve(
        server,
        "GET",
        "/zoom/v2/users/me/recordings",
        move |req: &Request| {
            let q: std::collections::HashMap<String, String> =
                req.url.query_pairs().into_owned().collect();
            let page: Vec<Value> = meetings
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| {
                    let d = &m["start_time"].as_str().unwrap()[..10];
                    d >= q["from"].as_str() && d <= q["to"].as_str()
                })
                .cloned()
                .collect();
            ResponseTemplate::new(200)
                .set_body_json(json!({"from": q["from"], "to": q["to"], "page_size": 300,
                                                        "next_page_token": "", "meetings": page}))
        },
    )
    .await;
}

/// A writer for the test's log subscriber that keeps everything written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Zoom's OAuth stand-in mounted and the flow completed for the app's workspace.
async fn connect_zoom(app: &TestApp, server: &MockServer) {
    mount_zoom(server).await;
    let (_, state) = start(app, "zoom").await;
    let res = callback(app, "zoom", &format!("code=zoom-auth-code&state={state}")).await;
    assert_eq!(res.status(), 200);
}

/// The browser of these tests: the binding cookie each started flow set, by state.
static BROWSER: std::sync::LazyLock<Mutex<std::collections::HashMap<String, String>>> =
    std::sync::LazyLock::new(Default::default);

/// `name=value` of the binding cookie `/start` set for `state`, as the browser sends it.
fn cookie_for(state: &str) -> String {
    BROWSER
        .lock()
        .unwrap()
        .get(state)
        .cloned()
        .unwrap_or_default()
}

async fn start(app: &TestApp, provider: &str) -> (url::Url, String) {
    let res = app
        .get(&format!("/auth/{provider}/start"), &app.admin_token)
        .await;
    assert_eq!(res.status(), 200);
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .expect("/start binds the flow to this browser")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let body: Value = res.json().await.unwrap();
    let url = url::Url::parse(body["authorization_url"].as_str().unwrap()).unwrap();
    let state = body["state"].as_str().unwrap().to_owned();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    BROWSER.lock().unwrap().insert(state.clone(), pair);
    (url, state)
}

fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The callback as the provider's redirect reaches it in the browser that started the flow:
/// no credentials, the binding cookie.
async fn callback(app: &TestApp, provider: &str, query: &str) -> reqwest::Response {
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    app.http
        .get(app.url(&format!("/auth/{provider}/callback?{query}")))
        .header("cookie", cookie_for(&state))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn google_and_zoom_connect_with_pkce_and_their_tokens_never_leave_the_server() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug,hyper=info,h2=info,sqlx=info,sea_orm=info")
        .with_writer(move || writer.clone())
        .try_init()
        .unwrap();
    let server = MockServer::start().await;
    let app = app_with_providers(&server).await;
    let challenge = Arc::new(Mutex::new(String::new()));
    mount_google(&server, challenge.clone()).await;
    mount_zoom(&server).await;

    // Google: the authorization URL carries PKCE and asks for offline access.
    let (url, state) = start(&app, "google").await;
    assert_eq!(url.path(), "/o/oauth2/v2/auth");
    assert_eq!(
        param(&url, "client_id"),
        "google-client.apps.googleusercontent.com"
    );
    assert_eq!(
        param(&url, "redirect_uri"),
        "http://localhost:8000/auth/google/callback"
    );
    assert_eq!(param(&url, "response_type"), "code");
    assert_eq!(param(&url, "code_challenge_method"), "S256");
    assert_eq!(param(&url, "access_type"), "offline");
    assert_eq!(param(&url, "state"), state);
    assert!(param(&url, "scope").contains("drive.readonly"));
    assert_eq!(state.len(), 43);
    *challenge.lock().unwrap() = param(&url, "code_challenge");

    let res = callback(
        &app,
        "google",
        &format!("code=4/0AVG7fiQ-google-code&state={state}&scope=x"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let connected: Value = res.json().await.unwrap();
    assert_eq!(connected["status"], "success");
    assert_eq!(connected["provider"], "google");
    assert_eq!(connected["account_email"], "pm@acme.example");
    assert_eq!(
        connected["redirect_url"],
        "http://localhost:8000/app/integrations?status=success&provider=google"
    );
    // The state was used up.
    let replay = callback(
        &app,
        "google",
        &format!("code=4/0AVG7fiQ-google-code&state={state}"),
    )
    .await;
    problem(replay, 400, "state_used").await;

    // Zoom: a browser is sent back to the console's integrations page.
    let (url, state) = start(&app, "zoom").await;
    assert_eq!(url.path(), "/zoom/oauth/authorize");
    assert!(param(&url, "access_type").is_empty());
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(app.url(&format!(
            "/auth/zoom/callback?code=zoom-auth-code&state={state}"
        )))
        .header("accept", "text/html,application/xhtml+xml")
        .header("cookie", cookie_for(&state))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "http://localhost:8000/app/integrations?status=success&provider=zoom"
    );

    // What the workspace sees: accounts, scopes and expiry, never a token.
    let res = app.get("/auth/connections", &app.admin_token).await;
    let text = res.text().await.unwrap();
    let listed: Value = serde_json::from_str(&text).unwrap();
    let providers: Vec<&str> = listed["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers, vec!["zoom", "google"]);
    assert_eq!(
        listed["connections"][0]["account_email"],
        "jchill@example.com"
    );
    assert_eq!(listed["connections"][1]["status"], "active");
    let left = listed["connections"][1]["expires_in_seconds"]
        .as_i64()
        .unwrap();
    assert!((3500..=3599).contains(&left), "{left}");
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    let rows = integrations.as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["zoom", "google", "slack", "jira"]);
    assert_eq!(rows[1]["connected"], true);
    assert_eq!(rows[1]["status"], "active");
    assert_eq!(rows[2]["connected"], false);
    assert!(rows[2]["status"].is_null());

    // At rest: versioned envelopes naming the key; the plain tokens appear nowhere.
    use sea_orm::ConnectionTrait;
    let stored = app
        .db()
        .query_all_raw(shared::db::statement(
            "SELECT access_token || ' ' || refresh_token AS t FROM integration_connections",
            vec![],
        ))
        .await
        .unwrap();
    for r in &stored {
        let t: String = r.try_get("", "t").unwrap();
        assert!(t.starts_with("v1.test1."), "{t}");
        assert!(!t.contains("google") && !t.contains("zoom"), "{t}");
    }

    // Disconnecting revokes the grant at Google (its refresh token) and forgets the tokens.
    let body = app
        .post_ok("/auth/google/disconnect", &app.admin_token)
        .await;
    assert_eq!(body["message"], "Google disconnected");
    let revoked = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/revoke")
        .map(|r| form(&r).get("token").cloned().unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(revoked, vec![GOOGLE_REFRESH.to_owned()]);
    // Key rotation: a new current key; every stored secret is re-encrypted with it and the
    // old key can go. (This server still has only the old key: Zoom is then forgotten
    // without a revocation, and a warning says so.)
    let new_key = STANDARD.encode([42u8; 32]);
    let rotated = crate::harness::test_settings(
        app.settings.database.url.expose_secret(),
        &[
            ("PRODUCK__INTEGRATIONS__TOKEN_KEYS", &format!("{{\"test1\": \"ouMdDOyfb5vg/LQbXTPwBg3oGzVeM+pOcgxYlEUfub4=\", \"k2\": \"{new_key}\"}}")),
            ("PRODUCK__INTEGRATIONS__CURRENT_TOKEN_KEY", "k2"),
        ],
    )
    .unwrap();
    let cipher =
        shared::services::integrations::crypto::TokenCipher::from_settings(&rotated.integrations);
    let n = shared::services::integrations::connections::rotate_keys(app.db(), &cipher)
        .await
        .unwrap();
    assert_eq!(n, 4, "Zoom's two tokens and the two flows' PKCE verifiers");
    assert_eq!(
        shared::services::integrations::connections::rotate_keys(app.db(), &cipher)
            .await
            .unwrap(),
        0,
        "nothing left to rotate"
    );
    let only_new = crate::harness::test_settings(
        app.settings.database.url.expose_secret(),
        &[
            (
                "PRODUCK__INTEGRATIONS__TOKEN_KEYS",
                &format!("{{\"k2\": \"{new_key}\"}}"),
            ),
            ("PRODUCK__INTEGRATIONS__CURRENT_TOKEN_KEY", "k2"),
        ],
    )
    .unwrap();
    let cipher =
        shared::services::integrations::crypto::TokenCipher::from_settings(&only_new.integrations);
    let r = app
        .db()
        .query_one_raw(shared::db::statement(
            "SELECT access_token FROM integration_connections WHERE provider = 'zoom'",
            vec![],
        ))
        .await
        .unwrap()
        .unwrap();
    let token: String = r.try_get("", "access_token").unwrap();
    assert_eq!(cipher.decrypt(&token).unwrap().expose_secret(), ZOOM_ACCESS);

    let res = app
        .delete("/integrations/zoom/disconnect", &app.admin_token)
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["message"],
        "Zoom integration disconnected successfully"
    );
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    assert!(
        integrations
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["connected"] == false)
    );

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("account connected"), "the flow was logged");
    for secret in [
        GOOGLE_ACCESS,
        GOOGLE_REFRESH,
        ZOOM_ACCESS,
        ZOOM_REFRESH,
        "GOCSPX-google-secret",
    ] {
        assert!(!logged.contains(secret), "{secret} appeared in the logs");
        assert!(!text.contains(secret));
    }
}

#[tokio::test]
async fn oauth_states_are_single_use_bound_to_their_provider_and_expire() {
    let server = MockServer::start().await;
    let app = app_with_providers(&server).await;
    let challenge = Arc::new(Mutex::new("no-match".to_owned()));
    mount_google(&server, challenge.clone()).await;

    problem(
        callback(&app, "google", "code=c&state=never-issued").await,
        400,
        "invalid_state",
    )
    .await;

    // Another provider's state is refused and stays usable for its own provider.
    let (_, state) = start(&app, "google").await;
    let body = problem(
        callback(&app, "zoom", &format!("code=c&state={state}")).await,
        400,
        "invalid_state",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("google flow"),
        "{body}"
    );
    // The user declines: reported as such, and the state is used up.
    let body = problem(
        callback(
            &app,
            "google",
            &format!("error=access_denied&state={state}"),
        )
        .await,
        400,
        "oauth_denied",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("access_denied"),
        "{body}"
    );
    problem(
        callback(&app, "google", &format!("code=c&state={state}")).await,
        400,
        "state_used",
    )
    .await;

    // Google refuses the code (here: its verifier does not match): invalid_grant, no connection.
    let (_, state) = start(&app, "google").await;
    let body = problem(
        callback(
            &app,
            "google",
            &format!("code=4/0AVG7fiQ-google-code&state={state}"),
        )
        .await,
        400,
        "oauth_denied",
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("invalid_grant"),
        "{body}"
    );

    // A state past its time.
    let (_, state) = start(&app, "google").await;
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared("UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
        .await
        .unwrap();
    problem(
        callback(&app, "google", &format!("code=c&state={state}")).await,
        400,
        "state_expired",
    )
    .await;
    let connections: Value = app.get_body("/auth/connections", &app.admin_token).await;
    assert_eq!(connections["connections"], json!([]));

    // Only admins start or end a connection; other workspaces see none of this one's.
    let editor = app.member_token("editor@acme.example", Role::Editor).await;
    problem(
        app.get("/auth/google/start", &editor).await,
        403,
        "forbidden",
    )
    .await;
    let (_, other) = app.other_workspace().await;
    let theirs: Value = app.get("/integrations", &other).await.json().await.unwrap();
    assert_eq!(theirs.as_array().unwrap().len(), 4);

    // A flow started in another workspace connects that workspace (in the browser that
    // started it), never the one whose API the browser happens to reach.
    let res = app.get("/auth/google/start", &other).await;
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body: Value = res.json().await.unwrap();
    let url = url::Url::parse(body["authorization_url"].as_str().unwrap()).unwrap();
    *challenge.lock().unwrap() = param(&url, "code_challenge");
    let state = body["state"].as_str().unwrap().to_owned();
    BROWSER.lock().unwrap().insert(state.clone(), cookie);
    assert_eq!(
        callback(
            &app,
            "google",
            &format!("code=4/0AVG7fiQ-google-code&state={state}")
        )
        .await
        .status(),
        200
    );
    let theirs: Value = app.get("/integrations", &other).await.json().await.unwrap();
    assert_eq!(theirs[1]["connected"], true, "{theirs}");
    let ours: Value = app.get_body("/integrations", &app.admin_token).await;
    assert_eq!(ours[1]["connected"], false, "{ours}");
}

#[tokio::test]
async fn an_unconfigured_provider_names_the_settings_to_set() {
    let app = TestApp::spawn().await;
    let body = problem(
        app.get("/integrations/zoom/authorize", &app.admin_token)
            .await,
        400,
        "not_configured",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("integrations.zoom.client_id")
            && detail.contains("integrations.zoom.client_secret"),
        "{detail}"
    );
    problem(
        app.get("/auth/dropbox/start", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_refresh_job_renews_lapsing_tokens_and_marks_refused_grants_expired() {
    use wiremock::matchers::body_string_contains;
    let server = MockServer::start().await;
    let app = app_with_workers(&server).await;
    let challenge = Arc::new(Mutex::new(String::new()));
    // Refresh grants answer first: Google renews, Zoom says the grant is gone.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains(
            "refresh_token=1%2F%2F0gLr-google-refresh-token",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "ya29.renewed-google-access", "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/drive.readonly", "token_type": "Bearer"
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/zoom/oauth/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"reason": "Invalid Token!", "error": "invalid_grant"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    mount_google(&server, challenge.clone()).await;
    mount_zoom(&server).await;
    let (url, state) = start(&app, "google").await;
    *challenge.lock().unwrap() = param(&url, "code_challenge");
    assert_eq!(
        callback(
            &app,
            "google",
            &format!("code=4/0AVG7fiQ-google-code&state={state}")
        )
        .await
        .status(),
        200
    );
    let (_, state) = start(&app, "zoom").await;
    assert_eq!(
        callback(&app, "zoom", &format!("code=zoom-auth-code&state={state}"))
            .await
            .status(),
        200
    );

    // Both lapse within the half hour; one more connection far from lapsing is left alone.
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(
            "UPDATE integration_connections SET expires_at = now() + interval '5 minutes'",
        )
        .await
        .unwrap();
    let done = app
        .run_global_job(
            shared::jobs::kinds::TOKEN_REFRESH,
            std::time::Duration::from_secs(30),
        )
        .await;
    assert_eq!(done.status, "completed", "{done:?}");
    assert_eq!(done.result.as_ref().unwrap()["refreshed"], 1);
    assert_eq!(done.result.as_ref().unwrap()["expired"], 1);

    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    let zoom = &integrations[0];
    assert_eq!(zoom["status"], "expired");
    assert_eq!(zoom["connected"], false);
    assert_mentions(&zoom["last_error"], "invalid_grant");
    let google = &integrations[1];
    assert_eq!(google["status"], "active");
    let left = (chrono::DateTime::parse_from_rfc3339(google["expires_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
        - chrono::Utc::now())
    .num_seconds();
    assert!(left > 3000, "renewed for an hour: {left}");
    let r = app
        .db()
        .query_one_raw(shared::db::statement(
            "SELECT access_token, refresh_token FROM integration_connections WHERE provider = 'google'",
            vec![],
        ))
        .await
        .unwrap()
        .unwrap();
    let access: String = r.try_get("", "access_token").unwrap();
    let refresh: String = r.try_get("", "refresh_token").unwrap();
    assert_eq!(
        app.state.tokens.decrypt(&access).unwrap().expose_secret(),
        "ya29.renewed-google-access"
    );
    assert_eq!(
        app.state.tokens.decrypt(&refresh).unwrap().expose_secret(),
        GOOGLE_REFRESH,
        "Google keeps its refresh token"
    );
}

/// A Zoom transcript as Zoom writes it: numbered cues, "Name: text" lines.
fn zoom_vtt(lines: &[(&str, &str)]) -> String {
    let mut vtt = String::from("WEBVTT\n\n");
    for (i, (who, said)) in lines.iter().enumerate() {
        let (a, b) = (i * 20, i * 20 + 18);
        vtt.push_str(&format!(
            "{}\n00:{:02}:{:02}.000 --> 00:{:02}:{:02}.000\n{who}: {said}\n\n",
            i + 1,
            a / 60,
            a % 60,
            b / 60,
            b % 60
        ));
    }
    vtt
}

#[tokio::test]
async fn zoom_transcripts_sync_page_by_page_through_busy_and_expired_moments_exactly_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wiremock::matchers::body_string_contains;
    let server = MockServer::start().await;
    let uri = server.uri();
    let app = app_with_workers(&server).await;
    // Without a connection there is nothing to sync.
    let res = app.post("/integrations/zoom/sync", &app.admin_token).await;
    problem(res, 400, "not_connected").await;

    // A renewed token for the refresh after a 401 (Zoom rotates the refresh token too).
    Mock::given(method("POST"))
        .and(path("/zoom/oauth/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "eyJ-renewed-zoom-access", "token_type": "bearer",
            "refresh_token": "eyJ-rotated-zoom-refresh", "expires_in": 3599, "scope": "cloud_recording:read:list_user_recordings"
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    connect_zoom(&app, &server).await;

    // Three meetings over two pages; the first listing is throttled once (429 Retry-After).
    let day = |ago: i64| {
        (chrono::Utc::now() - chrono::Duration::days(ago))
            .format("%Y-%m-%dT15:00:00Z")
            .to_string()
    };
    let meetings = json!([
        {"uuid": "aDYlohsHRtCd4ii1uC2+hA==", "id": 81940219473_u64, "topic": "Acme Corp - Discovery call", "type": 2,
         "start_time": day(3), "duration": 45, "share_url": format!("{uri}/rec/share/acme"),
         "recording_files": [
            {"id": "t1", "file_type": "TRANSCRIPT", "file_extension": "VTT", "status": "completed",
             "recording_type": "audio_transcript", "download_url": format!("{uri}/zoom/rec/download/acme.vtt")},
            {"id": "a1", "file_type": "M4A", "file_extension": "M4A", "status": "completed",
             "recording_type": "audio_only", "download_url": format!("{uri}/zoom/rec/download/acme.m4a")}]},
        {"uuid": "Ux7Q1+9rQmKFd0eYw7f1Mg==", "id": 81940219474_u64, "topic": "Weekly standup", "type": 2,
         "start_time": day(2), "duration": 15,
         "recording_files": [{"id": "a2", "file_type": "M4A", "status": "completed", "recording_type": "audio_only",
                              "download_url": format!("{uri}/zoom/rec/download/standup.m4a")}]},
        {"uuid": "kZ3y1rB9T9aN8m4W2x6c0Q==", "id": 81940219475_u64, "topic": "Globex | Renewal", "type": 2,
         "start_time": day(1), "duration": 30,
         "recording_files": [{"id": "t3", "file_type": "TRANSCRIPT", "file_extension": "VTT", "status": "completed",
                              "recording_type": "audio_transcript", "download_url": format!("{uri}/zoom/rec/download/globex.vtt")}]}
    ]);
    let listed = Arc::new(AtomicUsize::new(0));
    let calls = listed.clone();
    serve(&server, "GET", "/zoom/v2/users/me/recordings", move |req: &Request| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API."}));
        }
        let q: std::collections::HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        let (from, to) = (q["from"].clone(), q["to"].clone());
        let second_page = q.get("next_page_token").map(String::as_str) == Some("Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3");
        let all = meetings.as_array().unwrap();
        let page: Vec<Value> = (if second_page { &all[2..] } else { &all[..2] })
            .iter()
            .filter(|m| {
                let d = &m["start_time"].as_str().unwrap()[..10];
                d >= from.as_str() && d <= to.as_str()
            })
            .cloned()
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "from": from, "to": to, "page_count": 2, "page_size": 300, "total_records": 3,
            "next_page_token": if second_page { "" } else { "Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3" },
            "meetings": page
        }))
    }).await;
    let acme = zoom_vtt(&[
        (
            "Jordan Lee",
            "Single sign-on through Okta blocks the wider rollout at Acme.",
        ),
        (
            "Priya Shah",
            "Is SSO alone enough, or do you need provisioning too?",
        ),
        (
            "Jordan Lee",
            "SCIM provisioning would save our admins hours every week.",
        ),
        (
            "Jordan Lee",
            "Exports to our data warehouse also time out on large projects.",
        ),
        ("Priya Shah", "How large are those projects?"),
        (
            "Jordan Lee",
            "Tens of thousands of rows; the export page spins and then fails.",
        ),
        ("Priya Shah", "And how do your admins manage roles today?"),
        (
            "Jordan Lee",
            "By hand, in a spreadsheet, which nobody trusts.",
        ),
        ("Priya Shah", "Thanks, that is very clear."),
    ]);
    Mock::given(method("GET"))
        .and(path("/zoom/rec/download/acme.vtt"))
        .and(header(
            "authorization",
            format!("Bearer {ZOOM_ACCESS}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string(acme))
        .mount(&server)
        .await;
    // The Globex transcript answers 401 to the first token: refresh once, then retry.
    Mock::given(method("GET"))
        .and(path("/zoom/rec/download/globex.vtt"))
        .and(header(
            "authorization",
            format!("Bearer {ZOOM_ACCESS}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": 124, "message": "Invalid access token."})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/zoom/rec/download/globex.vtt"))
        .and(header("authorization", "Bearer eyJ-renewed-zoom-access"))
        .respond_with(ResponseTemplate::new(200).set_body_string(zoom_vtt(&[(
            "Hank Scorpio",
            "The renewal depends on audit logs for every admin action.",
        )])))
        .mount(&server)
        .await;

    let first = app
        .post_ok("/integrations/zoom/sync?days_back=30", &app.admin_token)
        .await;
    assert_eq!(first["message"], "Zoom sync completed");
    let stats = &first["stats"];
    assert_eq!(stats["recordings_fetched"], 3, "{first}");
    assert_eq!(stats["recordings_found"], 3);
    assert_eq!(stats["transcripts_processed"], 2);
    assert_eq!(
        stats["recordings_without_transcript"], 1,
        "the standup has audio only"
    );
    let created = stats["feedback_items_created"].as_u64().unwrap();
    assert!(created >= 3, "{first}");
    assert_eq!(stats["feedback_created"], created);

    let items: Vec<Value> = app
        .get_body("/feedback?source=zoom&limit=100", &app.admin_token)
        .await;
    assert_eq!(items.len() as u64, created);
    let acme_items: Vec<&Value> = items
        .iter()
        .filter(|f| f["account"] == "Acme Corp")
        .collect();
    assert!(acme_items.len() >= 2, "{items:?}");
    assert!(
        acme_items
            .iter()
            .all(|f| f["meta"]["title"] == "Acme Corp - Discovery call")
    );
    assert!(items.iter().any(|f| f["account"] == "Globex" && f["text"].as_str().unwrap().contains("audit logs")));
    assert!(items.iter().any(|f| f["speaker"] == "Jordan Lee"));

    // The rotated refresh token was kept; the sync is recorded on the connection.
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    assert_eq!(
        integrations[0]["last_sync_status"], "success",
        "{integrations}"
    );
    assert!(integrations[0]["last_sync_at"].is_string());

    // Live ingestion runs the same sync: from the newest meeting on, nothing stored twice.
    let again = app
        .post_json_ok("/ingest/zoom", &app.admin_token, &json!({"mode": "live"}))
        .await;
    assert_eq!(again["created"], 0, "{again}");
    let items_after: Vec<Value> = app
        .get_body("/feedback?source=zoom&limit=100", &app.admin_token)
        .await;
    assert_eq!(items_after.len(), items.len());
    let requests = server.received_requests().await.unwrap();
    let last_list = requests
        .iter()
        .rfind(|r| r.url.path() == "/zoom/v2/users/me/recordings")
        .unwrap();
    let from = last_list
        .url
        .query_pairs()
        .find(|(k, _)| k == "from")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        from,
        day(2)[..10],
        "the second sync starts the day before the newest meeting"
    );
}

/// Google connected through the whole OAuth flow, with the token endpoint mounted.
async fn connect_google(app: &TestApp, server: &MockServer) {
    let challenge = Arc::new(Mutex::new(String::new()));
    mount_google(server, challenge.clone()).await;
    let (url, state) = start(app, "google").await;
    *challenge.lock().unwrap() = param(&url, "code_challenge");
    assert_eq!(
        callback(
            app,
            "google",
            &format!("code=4/0AVG7fiQ-google-code&state={state}")
        )
        .await
        .status(),
        200
    );
}

/// Drive parses through the upload's sandbox: a PDF that overflows the parser's stack and
/// one that needs gigabytes are skipped with their reasons; the test process (which runs
/// the worker in-process) and the good document are unharmed.
#[tokio::test]
async fn drive_files_that_would_crash_the_parser_are_skipped_with_their_reasons() {
    let server = MockServer::start().await;
    let app = worker_app(&server, &[("PRODUCK__INGEST__PARSER_MEMORY_MB", "512")]).await;
    connect_google(&app, &server).await;
    let file = |id: &str, name: &str, mime: &str| {
        json!({
            "kind": "drive#file", "id": id, "name": name, "mimeType": mime,
            "modifiedTime": "2026-11-28T10:00:00.000Z",
            "webViewLink": format!("https://drive.google.com/file/d/{id}/view"),
            "owners": [{"kind": "drive#user", "displayName": "Pat PM", "emailAddress": "pm@acme.example"}]
        })
    };
    serve(
        &server,
        "GET",
        "/drive/v3/files",
        ResponseTemplate::new(200).set_body_json(json!({
            "kind": "drive#fileList", "incompleteSearch": false, "files": [
                file("1GoOd", "Acme Corp - call notes.pdf", "application/pdf"),
                file("1LoOp", "Initech - notes.pdf", "application/pdf"),
                file("1BoMb", "Globex - notes.pdf", "application/pdf"),
            ]
        })),
    )
    .await;
    let mb = 1 << 20;
    for (id, body) in [
        (
            "1GoOd",
            crate::files::pdf(&["Acme needs audit logs for every admin action."]),
        ),
        ("1LoOp", crate::files::hostile::self_drawing_form()),
        (
            "1BoMb",
            crate::files::hostile::ascii85_then_flate(1024 * mb),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/drive/v3/files/{id}")))
            .and(wiremock::matchers::query_param("alt", "media"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
            .mount(&server)
            .await;
    }
    let body = app
        .post_ok(
            "/integrations/google/sync?folder_ids=1FoLdEr-Customers",
            &app.admin_token,
        )
        .await;
    let stats = &body["stats"];
    assert_eq!(stats["documents_fetched"], 1, "{body}");
    let unreadable = stats["files_unreadable"].as_array().unwrap();
    let reason = |id: &str| {
        unreadable
            .iter()
            .find(|f| f["id"] == id)
            .and_then(|f| f["error"].as_str())
            .unwrap_or_else(|| panic!("{id} is listed as unreadable: {body}"))
            .to_owned()
    };
    assert!(reason("1LoOp").contains("nests too deeply"), "{body}");
    assert!(reason("1BoMb").contains("needs more than 512 MB"), "{body}");
    let items: Vec<Value> = app
        .get_body("/feedback?source=gdoc&limit=100", &app.admin_token)
        .await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0]["text"].as_str().unwrap().contains("audit logs"));
}

#[tokio::test]
async fn drive_folders_sync_changed_documents_and_drop_trashed_ones() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = MockServer::start().await;
    let app = app_with_workers(&server).await;
    connect_google(&app, &server).await;

    // Before the second sync the QBR notes are edited and the onboarding notes trashed.
    let later = Arc::new(AtomicBool::new(false));
    let edited = later.clone();
    let bearer = format!("Bearer {GOOGLE_ACCESS}");
    Mock::given(method("GET"))
        .and(path("/drive/v3/files"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(move |req: &Request| {
            let q: std::collections::HashMap<String, String> = req.url.query_pairs().into_owned().collect();
            assert!(q["q"].contains("'1FoLdEr-Customers' in parents and trashed = false"), "{q:?}");
            let second = edited.load(Ordering::SeqCst);
            let file = |id: &str, name: &str, mime: &str, modified: &str| json!({
                "kind": "drive#file", "id": id, "name": name, "mimeType": mime, "modifiedTime": modified,
                "webViewLink": format!("https://docs.google.com/document/d/{id}/edit"),
                "owners": [{"kind": "drive#user", "displayName": "Pat PM", "emailAddress": "pm@acme.example"}]
            });
            let qbr = file("1QbRnotes", "Acme Corp - QBR notes", "application/vnd.google-apps.document",
                           if second { "2026-12-01T09:00:00.000Z" } else { "2026-11-28T10:00:00.000Z" });
            if q.get("pageToken").map(String::as_str) == Some("~!!~AI9FV7T") {
                let files = if second { json!([]) } else {
                    json!([file("1OnBoard", "Initech: onboarding notes", "application/vnd.google-apps.document", "2026-11-20T10:00:00.000Z")])
                };
                return ResponseTemplate::new(200).set_body_json(json!({"kind": "drive#fileList", "incompleteSearch": false, "files": files}));
            }
            ResponseTemplate::new(200).set_body_json(json!({
                "kind": "drive#fileList", "incompleteSearch": false, "nextPageToken": "~!!~AI9FV7T",
                "files": [qbr, file("1GlObex", "globex-interview.txt", "text/plain", "2026-11-25T10:00:00.000Z"),
                          file("1Img", "whiteboard.png", "image/png", "2026-11-25T10:00:00.000Z")]
            }))
        })
        .mount(&server)
        .await;
    let edited = later.clone();
    Mock::given(method("GET"))
        .and(path("/drive/v3/files/1QbRnotes/export"))
        .and(wiremock::matchers::query_param("mimeType", "text/plain"))
        .respond_with(move |_: &Request| {
            ResponseTemplate::new(200).set_body_string(if edited.load(Ordering::SeqCst) {
                "QBR notes\n\nAcme now also asks for audit logs of every admin action."
            } else {
                "QBR notes\n\nAcme needs SAML SSO before adding the remaining teams.\n\nExports above 30k rows time out."
            })
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/drive/v3/files/1GlObex"))
        .and(wiremock::matchers::query_param("alt", "media"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("Globex interview\n\nThe mobile app logs us out every hour."),
        )
        .mount(&server)
        .await;
    serve(
        &server,
        "GET",
        "/drive/v3/files/1OnBoard/export",
        ResponseTemplate::new(200)
            .set_body_string("Onboarding took three weeks because of manual user setup."),
    )
    .await;

    let sync = |folders: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post(
                    &format!("/integrations/google/sync{folders}"),
                    &app.admin_token,
                )
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let first = sync("?folder_ids=1FoLdEr-Customers").await;
    let s = &first["stats"];
    assert_eq!(s["folders_scanned"], 1, "{first}");
    assert_eq!(s["files_found"], 4);
    assert_eq!(s["documents_fetched"], 3);
    assert_eq!(s["documents_processed"], 3);
    assert_eq!(s["files_skipped"], 1, "the image");
    assert!(s["chunks_created"].as_u64().unwrap() >= 3, "{first}");
    let docs = |items: &[Value]| {
        let mut ids: Vec<String> = items
            .iter()
            .map(|f| f["meta"]["document_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let items: Vec<Value> = app
        .get_body("/feedback?source=gdoc&limit=100", &app.admin_token)
        .await;
    assert_eq!(docs(&items), vec!["1GlObex", "1OnBoard", "1QbRnotes"]);
    assert!(
        items
            .iter()
            .filter(|f| f["meta"]["document_id"] == "1QbRnotes")
            .all(|f| f["account"] == "Acme Corp")
    );
    assert!(items.iter().any(|f| f["account"] == "Initech"));

    // The stored folders are used again; only the edited document is read, the trashed one goes.
    later.store(true, Ordering::SeqCst);
    let second = sync("").await;
    let s = &second["stats"];
    assert_eq!(s["documents_fetched"], 1, "{second}");
    assert_eq!(s["documents_unchanged"], 1);
    assert_eq!(s["documents_removed"], 1);
    let items: Vec<Value> = app
        .get_body("/feedback?source=gdoc&limit=100", &app.admin_token)
        .await;
    assert_eq!(docs(&items), vec!["1GlObex", "1QbRnotes"]);
    let qbr: Vec<&str> = items
        .iter()
        .filter(|f| f["meta"]["document_id"] == "1QbRnotes")
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert!(qbr.iter().any(|t| t.contains("audit logs")), "{qbr:?}");
    assert!(
        !qbr.iter().any(|t| t.contains("SAML")),
        "the old text was replaced: {qbr:?}"
    );
}

#[tokio::test]
async fn a_zoom_sync_that_fails_midway_keeps_its_cursor_and_the_next_run_fills_the_gap() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let app = app_with_workers(&server).await;
    connect_zoom(&app, &server).await;
    // Zoom lists the newest meeting first; the older one's transcript cannot be fetched.
    let day = |ago: i64| {
        (chrono::Utc::now() - chrono::Duration::days(ago))
            .format("%Y-%m-%dT15:00:00Z")
            .to_string()
    };
    let meeting = |uuid: &str, topic: &str, ago: i64, file: &str| {
        json!({
            "uuid": uuid, "id": 9000 + ago, "topic": topic, "start_time": day(ago), "duration": 30,
            "recording_files": [{"file_type": "TRANSCRIPT", "status": "completed", "recording_type": "audio_transcript",
                                 "download_url": format!("{uri}/zoom/rec/download/{file}")}]
        })
    };
    let meetings = json!([
        meeting("bNewer+Uuid==", "Acme Corp - Check-in", 2, "newer.vtt"),
        meeting("aOlder+Uuid==", "Globex - Renewal", 10, "older.vtt"),
    ]);
    mount_recordings(&server, meetings).await;
    let bearer = format!("Bearer {ZOOM_ACCESS}");
    Mock::given(method("GET"))
        .and(path("/zoom/rec/download/newer.vtt"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(zoom_vtt(&[("Jordan Lee", "SSO is still the blocker.")])),
        )
        .mount(&server)
        .await;
    let broken = Mock::given(method("GET"))
        .and(path("/zoom/rec/download/older.vtt"))
        .respond_with(ResponseTemplate::new(503))
        .mount_as_scoped(&server)
        .await;

    let res = app
        .post_async("/integrations/zoom/sync?days_back=30", &app.admin_token)
        .await;
    assert_eq!(res.status(), 202);
    let id: uuid::Uuid = res.json::<Value>().await.unwrap()["task_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let job = app.wait_job(id, std::time::Duration::from_secs(60)).await;
    assert_eq!(job.status, "failed", "{job:?}");
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    assert_eq!(
        integrations[0]["last_sync_status"], "error",
        "{integrations}"
    );
    assert_mentions(&integrations[0]["last_error"], "503");
    // The newer meeting was committed; the cursor was not moved past the older one.
    let items: Vec<Value> = app
        .get_body("/feedback?source=zoom", &app.admin_token)
        .await;
    assert_eq!(items.len(), 1);

    drop(broken);
    serve(
        &server,
        "GET",
        "/zoom/rec/download/older.vtt",
        ResponseTemplate::new(200)
            .set_body_string(zoom_vtt(&[("Hank Scorpio", "Renewal needs audit logs.")])),
    )
    .await;
    let second = app
        .post_ok("/integrations/zoom/sync?days_back=30", &app.admin_token)
        .await;
    assert_eq!(
        second["stats"]["feedback_items_created"], 1,
        "only the gap: {second}"
    );
    let items: Vec<Value> = app
        .get_body("/feedback?source=zoom", &app.admin_token)
        .await;
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn an_audio_only_zoom_meeting_is_transcribed_when_a_transcriber_is_configured() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let config = crate::harness::ai_config_with(&[
        (
            "providers: {}",
            &format!("providers:\n  fake:\n    base_url: {uri}/v1\n    timeout_secs: 5"),
        ),
        (
            "  transcriber:\n    provider: null",
            "  transcriber:\n    provider: fake",
        ),
    ]);
    let app = worker_app(
        &server,
        &[("PRODUCK__AI__CONFIG_PATH", config.to_str().unwrap())],
    )
    .await;
    connect_zoom(&app, &server).await;
    let start_time = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT15:00:00Z")
        .to_string();
    serve(&server, "GET", "/zoom/v2/users/me/recordings", ResponseTemplate::new(200).set_body_json(json!({"page_size": 300, "next_page_token": "", "meetings": [
            {"uuid": "cAudio+Only==", "id": 81940219499_u64, "topic": "Umbrella Corp - Feedback call", "start_time": start_time,
             "duration": 20, "recording_files": [{"id": "a9", "file_type": "M4A", "file_extension": "M4A", "status": "completed",
             "recording_type": "audio_only", "download_url": format!("{uri}/zoom/rec/download/umbrella.m4a")}]}
        ]}))).await;
    Mock::given(method("GET"))
        .and(path("/zoom/rec/download/umbrella.m4a"))
        .and(header(
            "authorization",
            format!("Bearer {ZOOM_ACCESS}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_bytes(b"\x00\x00\x00\x18ftypM4A fake-audio".to_vec()),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "task": "transcribe", "language": "english", "duration": 40.0,
            "text": "The reporting page is too slow for our managers.",
            "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 6.0, "text": " The reporting page is too slow for our managers.",
                          "tokens": [1], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.1, "no_speech_prob": 0.01}],
            "usage": {"type": "duration", "seconds": 40}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let synced = app
        .post_ok("/integrations/zoom/sync?days_back=7", &app.admin_token)
        .await;
    assert_eq!(synced["stats"]["recordings_transcribed"], 1, "{synced}");
    assert_eq!(synced["stats"]["recordings_without_transcript"], 0);
    assert_eq!(synced["stats"]["transcripts_processed"], 0);
    let items: Vec<Value> = app
        .get_body("/feedback?source=zoom", &app.admin_token)
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["account"], "Umbrella Corp");
    assert_mentions(&items[0]["text"], "reporting page is too slow");
    let runs: Value = app
        .get_body("/admin/runs?agent=transcriber", &app.admin_token)
        .await;
    assert_eq!(runs["total"], 1, "{runs}");
}

/// A 403 or 404 on one transcript used to abort the run without moving the cursor, so no
/// later meeting was ever ingested; a download URL off Zoom's hosts would have received the
/// access token.
#[tokio::test]
async fn zoom_meetings_zoom_refuses_are_skipped_and_recorded_while_the_rest_sync() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let app = app_with_workers(&server).await;
    connect_zoom(&app, &server).await;
    let day = |ago: i64| {
        (chrono::Utc::now() - chrono::Duration::days(ago))
            .format("%Y-%m-%dT15:00:00Z")
            .to_string()
    };
    let meeting = |uuid: &str, topic: &str, ago: i64, url: String| {
        json!({
            "uuid": uuid, "id": 9100 + ago, "topic": topic, "start_time": day(ago), "duration": 30,
            "recording_files": [{"file_type": "TRANSCRIPT", "status": "completed", "recording_type": "audio_transcript",
                                 "download_url": url}]
        })
    };
    // Two 30-day windows: the older holds a transcript Zoom forbids and one it serves; the
    // newer one a deleted transcript and one whose URL points off Zoom.
    let meetings = json!([
        meeting(
            "dOffHost==",
            "Initech - Sync",
            3,
            "https://files.example.net/rec/steal.vtt".into()
        ),
        meeting(
            "cGone==",
            "Umbrella - QBR",
            5,
            format!("{uri}/zoom/rec/download/gone.vtt")
        ),
        meeting(
            "bServed==",
            "Acme Corp - Discovery",
            40,
            format!("{uri}/zoom/rec/download/served.vtt")
        ),
        meeting(
            "aForbidden==",
            "Globex - Renewal",
            50,
            format!("{uri}/zoom/rec/download/forbidden.vtt")
        ),
    ]);
    mount_recordings(&server, meetings).await;
    let body = json!({"code": 124, "message": "Forbidden: the host disabled downloads of this recording."});
    serve(
        &server,
        "GET",
        "/zoom/rec/download/forbidden.vtt",
        ResponseTemplate::new(403).set_body_json(body),
    )
    .await;
    serve(
        &server,
        "GET",
        "/zoom/rec/download/gone.vtt",
        ResponseTemplate::new(404)
            .set_body_json(json!({"code": 3301, "message": "This recording does not exist."})),
    )
    .await;
    serve(
        &server,
        "GET",
        "/zoom/rec/download/served.vtt",
        ResponseTemplate::new(200)
            .set_body_string(zoom_vtt(&[("Jordan Lee", "Exports need a schedule.")])),
    )
    .await;

    let synced = app
        .post_ok("/integrations/zoom/sync?days_back=60", &app.admin_token)
        .await;
    let stats = &synced["stats"];
    assert_eq!(stats["recordings_fetched"], 4, "{synced}");
    assert_eq!(stats["feedback_items_created"], 1);
    let skipped: std::collections::BTreeMap<String, String> = stats["meetings_skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["meeting"].as_str().unwrap().to_owned(),
                m["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(skipped["aForbidden=="].contains("403"), "{skipped:?}");
    assert!(skipped["cGone=="].contains("404"), "{skipped:?}");
    assert!(
        skipped["dOffHost=="].contains("not on a Zoom host"),
        "{skipped:?}"
    );
    let integrations = app.get_json("/integrations", &app.admin_token).await;
    let zoom = &integrations[0];
    assert_eq!(zoom["last_sync_status"], "success", "{zoom}");
    let recorded: Vec<&str> = zoom["item_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"].as_str().unwrap())
        .collect();
    assert_eq!(
        recorded,
        ["aForbidden==", "cGone==", "dOffHost=="],
        "{zoom}"
    );
    // Every window was read through: the next run starts the day before the newest meeting,
    // not 60 days back.
    let requests_before = server.received_requests().await.unwrap().len();
    let again: Value = app
        .post_json("/integrations/zoom/sync", &app.admin_token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let lists: Vec<_> = requests[requests_before..]
        .iter()
        .filter(|r| r.url.path() == "/zoom/v2/users/me/recordings")
        .collect();
    assert_eq!(lists.len(), 1, "{again}");
    let from: String = lists[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "from")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(from, day(4)[..10]);
}

/// Zoom rotates the refresh token on every use: two refreshes at once (the refresh job and a
/// sync) sent the same one, and the loser's `invalid_grant` marked a healthy connection
/// expired.
#[tokio::test]
async fn two_refreshes_at_once_use_the_rotating_refresh_token_once_and_keep_the_connection() {
    use sea_orm::ConnectionTrait;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = MockServer::start().await;
    let app = app_with_workers(&server).await;
    connect_zoom(&app, &server).await;
    let uses = Arc::new(AtomicUsize::new(0));
    let counted = uses.clone();
    Mock::given(method("POST"))
        .and(path("/zoom/oauth/token"))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=refresh_token",
        ))
        .respond_with(move |req: &Request| {
            let f = form(req);
            let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
            if f.get("refresh_token").map(String::as_str) == Some(ZOOM_REFRESH) && first {
                return ResponseTemplate::new(200)
                    .set_delay(std::time::Duration::from_millis(300))
                    .set_body_json(json!({
                        "access_token": "eyJ-rotated-zoom-access", "token_type": "bearer",
                        "refresh_token": "eyJ-rotated-zoom-refresh", "expires_in": 3599,
                        "scope": "cloud_recording:read:list_user_recordings user:read:user"
                    }));
            }
            ResponseTemplate::new(400)
                .set_body_json(json!({"reason": "Invalid Token!", "error": "invalid_request"}))
        })
        .with_priority(1)
        .mount(&server)
        .await;
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT id, access_token FROM integration_connections WHERE workspace_id = $1 AND provider = 'zoom'",
            [app.workspace_id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let id: uuid::Uuid = row.try_get("", "id").unwrap();
    let held: String = row.try_get("", "access_token").unwrap();
    let refresh = || {
        shared::services::integrations::refresh::refresh_connection(
            app.db(),
            &app.settings.integrations,
            &app.state.tokens,
            id,
            Some(held.as_str()),
        )
    };
    let (a, b) = tokio::join!(refresh(), refresh());
    assert!(
        a.unwrap() && b.unwrap(),
        "both callers end with a usable token"
    );
    assert_eq!(
        uses.load(Ordering::SeqCst),
        1,
        "the refresh token was spent once"
    );
    let zoom = &app.get_json("/integrations", &app.admin_token).await[0];
    assert_eq!(zoom["status"], "active", "{zoom}");
    assert!(zoom["last_error"].is_null(), "{zoom}");
}

/// An admin's authorization link forwarded to someone else used to connect that person's
/// account into our workspace: the callback trusted the state alone.
#[tokio::test]
async fn a_forwarded_authorization_link_connects_nothing() {
    let server = MockServer::start().await;
    let app = app_with_workers(&server).await;
    let challenge = Arc::new(Mutex::new(String::new()));
    mount_google(&server, challenge.clone()).await;
    let (url, state) = start(&app, "google").await;
    *challenge.lock().unwrap() = param(&url, "code_challenge");
    // Another browser (no binding cookie) follows the link and authorizes.
    let forwarded = app
        .http
        .get(app.url(&format!(
            "/auth/google/callback?code=4/0AVG7fiQ-google-code&state={state}"
        )))
        .send()
        .await
        .unwrap();
    let body = problem(forwarded, 400, "oauth_unbound").await;
    assert!(
        body["detail"].as_str().unwrap().contains("another browser"),
        "{body}"
    );
    let wrong_cookie = app
        .http
        .get(app.url(&format!(
            "/auth/google/callback?code=4/0AVG7fiQ-google-code&state={state}"
        )))
        .header("cookie", "produck_oauth_google=guessed-value")
        .send()
        .await
        .unwrap();
    problem(wrong_cookie, 400, "oauth_unbound").await;
    assert_eq!(
        app.get_json("/integrations", &app.admin_token).await[1]["connected"],
        false
    );
    // Another admin of the workspace cannot finish it through the API either.
    let other_admin = app.member_token("ola@example.com", Role::Admin).await;
    let complete = |token: String| {
        let app = &app;
        let state = state.clone();
        async move {
            app.post_json(
                "/auth/google/complete",
                &token,
                &json!({"code": "4/0AVG7fiQ-google-code", "state": state}),
            )
            .await
        }
    };
    problem(complete(other_admin).await, 400, "oauth_unbound").await;
    // The member who started it may: the state was not used up by the refusals.
    let res = complete(app.admin_token.clone()).await;
    assert_eq!(res.status(), 200);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(
        app.get_json("/integrations", &app.admin_token).await[1]["connected"],
        true
    );
}

/// Any editor could point Drive syncs at any folder (even `root`, a whole drive) and the
/// change was neither audited nor told what it removed.
#[tokio::test]
async fn only_admins_choose_drive_folders_and_the_change_is_audited_with_what_it_removes() {
    let server = MockServer::start().await;
    let app = app_with_workers(&server).await;
    connect_google(&app, &server).await;
    serve(&server, "GET", "/drive/v3/files", ResponseTemplate::new(200).set_body_json(json!({
            "kind": "drive#fileList", "incompleteSearch": false, "files": [{
                "kind": "drive#file", "id": "1NoTes", "name": "Acme Corp - notes.txt", "mimeType": "text/plain",
                "modifiedTime": "2026-11-28T10:00:00.000Z",
                "owners": [{"kind": "drive#user", "displayName": "Pat PM", "emailAddress": "pm@acme.example"}]
            }]
        }))).await;
    serve(
        &server,
        "GET",
        "/drive/v3/files/1NoTes",
        ResponseTemplate::new(200).set_body_string("Acme wants audit logs."),
    )
    .await;
    let sync = |token: String, query: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url(&format!("/integrations/google/sync{query}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        sync(app.admin_token.clone(), "?folder_ids=1FoLdErA")
            .await
            .status(),
        200
    );
    let editor = app.member_token("ed@acme.example", Role::Editor).await;
    // An editor syncs the chosen folders, but cannot choose others.
    assert_eq!(sync(editor.clone(), "").await.status(), 200);
    assert_eq!(
        sync(editor.clone(), "?folder_ids=1FoLdErA").await.status(),
        200
    );
    problem(
        sync(editor.clone(), "?folder_ids=1FoLdErB").await,
        403,
        "forbidden",
    )
    .await;
    // `root` is a whole drive: refused unless an admin means it.
    let root = problem(
        sync(app.admin_token.clone(), "?folder_ids=root").await,
        400,
        "drive_refused",
    )
    .await;
    assert!(
        root["detail"].as_str().unwrap().contains("allow_root"),
        "{root}"
    );
    let folders = "/integrations/google/folders";
    let put = |body: Value| app.put_json(folders, &app.admin_token, body);
    problem(
        put(json!({"folder_ids": ["root"]})).await,
        400,
        "drive_refused",
    )
    .await;
    problem(
        app.put_json(folders, &editor, &json!({"folder_ids": ["1FoLdErB"]}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let res = put(json!({"folder_ids": ["1FoLdErB"]})).await;
    assert_eq!(res.status(), 200);
    let change: Value = res.json().await.unwrap();
    assert_eq!(change["previous"], json!(["1FoLdErA"]), "{change}");
    assert_eq!(change["documents_to_remove"], 1, "{change}");
    let trail = app
        .get_json(
            "/admin/audit?action=integration.drive_folders_changed",
            &app.admin_token,
        )
        .await;
    assert_eq!(
        trail["total"], 2,
        "the first choice and this change: {trail}"
    );
    assert_eq!(trail["items"][0]["details"]["documents_to_remove"], 1);
    assert_eq!(
        trail["items"][0]["details"]["folder_ids"],
        json!(["1FoLdErB"])
    );
    assert_eq!(
        put(json!({"folder_ids": ["root"], "allow_root": true}))
            .await
            .status(),
        200
    );
}

/// A first Zoom sync longer than one run's budget used to restart from its old cursor at
/// every run; it now stops at a window boundary and the next run goes on from there.
#[tokio::test]
async fn a_zoom_sync_past_its_budget_is_partial_and_the_next_run_continues_with_the_next_window() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let app = worker_app(&server, &[("PRODUCK__INTEGRATIONS__MAX_SYNC_PAGES", "1")]).await;
    connect_zoom(&app, &server).await;
    let day = |ago: i64| {
        (chrono::Utc::now() - chrono::Duration::days(ago))
            .format("%Y-%m-%dT15:00:00Z")
            .to_string()
    };
    let meetings = json!([
        {"uuid": "bRecent==", "id": 9201, "topic": "Acme Corp - Check-in", "start_time": day(3), "duration": 30,
         "recording_files": [{"file_type": "TRANSCRIPT", "status": "completed", "recording_type": "audio_transcript",
                              "download_url": format!("{uri}/zoom/rec/download/recent.vtt")}]},
        {"uuid": "aEarly==", "id": 9202, "topic": "Globex - Renewal", "start_time": day(50), "duration": 30,
         "recording_files": [{"file_type": "TRANSCRIPT", "status": "completed", "recording_type": "audio_transcript",
                              "download_url": format!("{uri}/zoom/rec/download/early.vtt")}]},
    ]);
    mount_recordings(&server, meetings).await;
    for (file, said) in [
        ("recent.vtt", "SSO is still the blocker."),
        ("early.vtt", "Renewal needs audit logs."),
    ] {
        serve(
            &server,
            "GET",
            format!("/zoom/rec/download/{file}"),
            ResponseTemplate::new(200).set_body_string(zoom_vtt(&[("Jordan Lee", said)])),
        )
        .await;
    }
    let sync = || async {
        let res = app
            .post("/integrations/zoom/sync?days_back=60", &app.admin_token)
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    let first = sync().await;
    assert_eq!(first["stats"]["partial"], true, "{first}");
    assert_eq!(
        first["stats"]["feedback_items_created"], 1,
        "the first window: {first}"
    );
    assert_eq!(
        app.get_json("/integrations", &app.admin_token).await[0]["last_sync_status"],
        "partial"
    );
    // 60 days are three windows (30, 30 and today): one page each, one window per run.
    let second = sync().await;
    assert_eq!(second["stats"]["partial"], true, "{second}");
    assert_eq!(
        second["stats"]["feedback_items_created"], 1,
        "the second window: {second}"
    );
    let third = sync().await;
    assert_eq!(third["stats"]["partial"], false, "{third}");
    assert_eq!(third["stats"]["feedback_items_created"], 0, "{third}");
    assert_eq!(
        app.get_json("/integrations", &app.admin_token).await[0]["last_sync_status"],
        "success"
    );
}
