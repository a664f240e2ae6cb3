//! Outbound webhooks against fake receivers: signed as Standard Webhooks (checked here with
//! the secret the API answered, independently of the server's code), retried on 5xx, logged,
//! never sent to a private address or through a redirect, and an endpoint that keeps failing
//! is disabled with the admins told.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use shared::auth::Role;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{method, path},
};

use crate::harness::{TestApp, TestAppBuilder, fixtures, problem, serve};

const LOCAL: (&str, &str) = ("PRODUCK__WEBHOOKS__ALLOWED_HOSTS", "[\"127.0.0.1\"]");

fn builder(env: &[(&str, &str)]) -> TestAppBuilder {
    env.iter().fold(
        TestApp::builder().workers(1, worker::JobRegistry::production()),
        |b, (k, v)| b.env(k, v),
    )
}

async fn register(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let res = app
        .post_json(
            "/webhooks",
            &app.admin_token,
            &json!({"url": url, "events": events, "description": "tests"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// Checks a received request as a Standard Webhooks receiver library would.
fn verify(secret: &str, req: &Request) -> Value {
    let header = |name: &str| {
        req.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
    assert!(
        (0..300).contains(&age),
        "timestamp {timestamp} is {age} s old"
    );
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let body = String::from_utf8(req.body.clone()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert!(
        signature.split(' ').any(|s| s == expected),
        "{signature} is not {expected}"
    );
    assert_eq!(header("content-type"), "application/json");
    serde_json::from_str(&body).unwrap()
}

async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let log: Value = app
        .get_body(
            &format!("/webhooks/{endpoint}/deliveries?limit=100"),
            &app.admin_token,
        )
        .await;
    log["items"].as_array().unwrap().clone()
}

/// Waits until every delivery of the endpoint has ended (none pending or retrying).
async fn settled(app: &TestApp, endpoint: &str, at_least: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let log = deliveries(app, endpoint).await;
        if log.len() >= at_least
            && log
                .iter()
                .all(|d| !["pending", "retrying"].contains(&d["status"].as_str().unwrap()))
        {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries never settled: {log:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn clustering_events_arrive_signed_once_each_and_survive_server_errors() {
    let receiver = MockServer::start().await;
    // The receiver fails twice, then accepts everything.
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&receiver)
        .await;
    serve(&receiver, "POST", "/hooks", ResponseTemplate::new(204)).await;
    let app = builder(&[LOCAL]).spawn().await;
    app.load_demo().await;
    app.wait_all_embedded(Duration::from_secs(60)).await;
    let endpoint = register(
        &app,
        &format!("{}/hooks", receiver.uri()),
        &[
            "cluster.completed",
            "insight.created",
            "ticket.priority_gap",
            "insight.created",
        ],
    )
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        endpoint["events"],
        json!([
            "insight.created",
            "ticket.priority_gap",
            "cluster.completed"
        ])
    );
    let id = endpoint["id"].as_str().unwrap().to_owned();
    // The secret is never shown again.
    let listed: Value = app.get_body("/webhooks", &app.admin_token).await;
    assert!(!listed.to_string().contains(&secret));
    assert!(
        listed["events"]
            .as_array()
            .unwrap()
            .contains(&json!("sync.failed"))
    );

    // A roadmap ticket about the demo's loudest topic, filed at the lowest priority: the
    // evidence behind it disagrees.
    let res = app
        .post_json(
            "/jira/tickets",
            &app.admin_token,
            &json!({"jira_key": "PROD-901", "title": "SAML single sign-on with Okta and Azure AD",
                    "description": "Enterprise customers need SAML SSO through Okta and Azure AD before rollout.",
                    "priority": "LOWEST"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    app.cluster().await;
    let board: Vec<Value> = app.get_body("/themes?limit=100", &app.admin_token).await;
    // The VOC scoring that follows the run matches the ticket and flags its priority.
    let voc_done = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let t: Value = app
            .get_body("/jira/tickets/PROD-901", &app.admin_token)
            .await;
        if !t["priority_gap"].is_null() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < voc_done,
            "the LOWEST SSO ticket was never flagged: {t}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let gaps = 1;
    let log = settled(&app, &id, board.len() + 1 + gaps).await;
    let received = receiver.received_requests().await.unwrap();
    let mut types: Vec<String> = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for req in &received {
        let message = verify(&secret, req);
        ids.insert(req.headers["webhook-id"].to_str().unwrap().to_owned());
        types.push(message["type"].as_str().unwrap().to_owned());
        assert!(
            message["timestamp"].is_string() && message["data"].is_object(),
            "{message}"
        );
    }
    // Two attempts met a 503 and were retried with the same message id.
    assert_eq!(received.len(), log.len() + 2, "{log:#?}");
    assert_eq!(ids.len(), log.len());
    let count = |t: &str| log.iter().filter(|d| d["event"] == t).count();
    assert_eq!(count("insight.created"), board.len());
    assert_eq!(count("cluster.completed"), 1);
    assert_eq!(count("ticket.priority_gap"), gaps);
    for d in &log {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["last_status_code"], 204);
        assert!(d["last_response_ms"].as_i64().unwrap() >= 0);
        assert!(ids.contains(d["id"].as_str().unwrap()));
    }
    assert_eq!(
        log.iter()
            .map(|d| d["attempts"].as_i64().unwrap())
            .sum::<i64>(),
        log.len() as i64 + 2
    );
    let completed = log
        .iter()
        .find(|d| d["event"] == "cluster.completed")
        .unwrap();
    assert_eq!(completed["payload"]["data"]["themes"], board.len());

    // A second run over the same data creates no insight anew: nothing more but its completion.
    app.cluster().await;
    let again = settled(&app, &id, log.len() + 1).await;
    let new: Vec<&Value> = again
        .iter()
        .filter(|d| !log.iter().any(|o| o["id"] == d["id"]))
        .collect();
    assert!(
        new.iter().any(|d| d["event"] == "cluster.completed"),
        "{new:#?}"
    );
    assert!(
        new.iter().all(|d| d["event"] != "ticket.priority_gap"),
        "{new:#?}"
    );

    // Only admins manage webhooks.
    let editor = app.member_token("editor@example.com", Role::Editor).await;
    problem(app.get("/webhooks", &editor).await, 403, "forbidden").await;
    let (_, other) = app.other_workspace().await;
    problem(
        app.get(&format!("/webhooks/{id}"), &other).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn private_addresses_and_redirects_get_nothing() {
    let app = builder(&[]).spawn().await;
    for (url, needle) in [
        ("https://127.0.0.1:9/hooks", "private, loopback"),
        ("https://localhost/hooks", "private, loopback"),
        (
            "https://169.254.169.254/latest/meta-data",
            "private, loopback",
        ),
        ("https://10.0.0.8/hooks", "private, loopback"),
        ("https://[::1]/hooks", "private, loopback"),
        ("http://example.com/hooks", "must be https"),
        ("https://user:pw@example.com/hooks", "credentials"),
    ] {
        let res = app
            .post_json(
                "/webhooks",
                &app.admin_token,
                &json!({"url": url, "events": ["sync.failed"]}),
            )
            .await;
        let body = problem(res, 400, "webhook_target_refused").await;
        assert!(body.to_string().contains(needle), "{url}: {body}");
    }
    let res = app
        .post_json(
            "/webhooks",
            &app.admin_token,
            &json!({"url": "https://example.com/h", "events": ["insight.deleted"]}),
        )
        .await;
    problem(res, 422, "validation_failed").await;
    let listed: Value = app.get_body("/webhooks", &app.admin_token).await;
    assert_eq!(listed["items"], json!([]));

    // An allow-listed receiver that redirects: the delivery fails and the target hears nothing.
    let receiver = MockServer::start().await;
    serve(
        &receiver,
        "POST",
        "/hooks",
        ResponseTemplate::new(307)
            .insert_header("location", format!("{}/elsewhere", receiver.uri()).as_str()),
    )
    .await;
    serve(&receiver, "POST", "/elsewhere", ResponseTemplate::new(200)).await;
    let app = builder(&[LOCAL]).spawn().await;
    let endpoint = register(&app, &format!("{}/hooks", receiver.uri()), &["sync.failed"]).await;
    let id = endpoint["id"].as_str().unwrap();
    let test: Value = {
        let res = app
            .post(&format!("/webhooks/{id}/test"), &app.admin_token)
            .await;
        assert_eq!(res.status(), 202);
        res.json().await.unwrap()
    };
    let log = settled(&app, id, 1).await;
    assert_eq!(log[0]["id"], test["delivery_id"]);
    assert_eq!(log[0]["event"], "webhook.test");
    assert_eq!(log[0]["status"], "failed", "{}", log[0]);
    assert_eq!(log[0]["last_status_code"], 307);
    assert!(
        log[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed")
    );
    let paths: Vec<String> = receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, vec!["/hooks"]);
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_and_the_admins_told() {
    let receiver = MockServer::start().await;
    serve(
        &receiver,
        "POST",
        "/hooks",
        ResponseTemplate::new(500).set_body_string("database down"),
    )
    .await;
    let app = builder(&[
        LOCAL,
        ("PRODUCK__WEBHOOKS__MAX_ATTEMPTS", "2"),
        ("PRODUCK__WEBHOOKS__DISABLE_AFTER_FAILURES", "2"),
    ])
    .spawn()
    .await;
    let endpoint = register(
        &app,
        &format!("{}/hooks", receiver.uri()),
        &["cluster.completed"],
    )
    .await;
    let id = endpoint["id"].as_str().unwrap();
    for n in 1..=2 {
        app.post(&format!("/webhooks/{id}/test"), &app.admin_token)
            .await;
        let log = settled(&app, id, n).await;
        assert_eq!(log[0]["status"], "failed", "{}", log[0]);
        assert_eq!(log[0]["attempts"], 2, "retried once, then given up");
        assert_eq!(log[0]["last_status_code"], 500);
        assert!(
            log[0]["last_error"]
                .as_str()
                .unwrap()
                .contains("database down")
        );
    }
    assert_eq!(receiver.received_requests().await.unwrap().len(), 4);
    let now: Value = app
        .get_body(&format!("/webhooks/{id}"), &app.admin_token)
        .await;
    assert!(now["disabled_at"].is_string(), "{now}");
    assert!(
        now["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("2 failed deliveries in a row"),
        "{now}"
    );
    let audit: Value = app
        .get_body("/admin/audit?action=webhook.disabled", &app.admin_token)
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
    // Nothing more is sent while it is disabled; an admin turns it back on.
    app.post(&format!("/webhooks/{id}/test"), &app.admin_token)
        .await;
    let log = settled(&app, id, 3).await;
    assert_eq!(log[0]["status"], "refused");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 4);
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/webhooks/{id}"),
            &app.admin_token,
            &json!({"enabled": true}),
        )
        .await;
    let on: Value = res.json().await.unwrap();
    assert!(
        on["disabled_at"].is_null() && on["consecutive_failures"] == 0,
        "{on}"
    );
    // A rotated secret is new; the endpoint can be deleted.
    let rotated: Value = app
        .post_ok(&format!("/webhooks/{id}/rotate-secret"), &app.admin_token)
        .await;
    assert_ne!(rotated["secret"], endpoint["secret"]);
    assert_eq!(
        app.delete(&format!("/webhooks/{id}"), &app.admin_token)
            .await
            .status(),
        204
    );
    problem(
        app.get(&format!("/webhooks/{id}"), &app.admin_token).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_sync_that_fails_for_good_is_announced() {
    let slack = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    serve(
        &slack,
        "GET",
        "/api/auth.test",
        ok(fixtures::json("slack/auth.test.json", &[])),
    )
    .await;
    serve(
        &slack,
        "GET",
        "/api/conversations.info",
        ok(fixtures::json(
            "slack/conversations.info.json",
            &[
                ("id", "C0FEEDBACK"),
                ("name", "feedback"),
                ("is_member", "true"),
            ],
        )),
    )
    .await;
    // The token was revoked after connecting: Slack refuses every read from now on.
    serve(
        &slack,
        "GET",
        "/api/conversations.history",
        ok(json!({"ok": false, "error": "token_revoked"})),
    )
    .await;
    let receiver = MockServer::start().await;
    serve(&receiver, "POST", "/hooks", ResponseTemplate::new(200)).await;
    let base = format!("{}/api", slack.uri());
    let app = builder(&[LOCAL, ("PRODUCK__INTEGRATIONS__SLACK__API_BASE_URL", &base)])
        .spawn()
        .await;
    let endpoint = register(&app, &format!("{}/hooks", receiver.uri()), &["sync.failed"]).await;
    let res = app
        .send_json(
            reqwest::Method::PUT,
            "/integrations/slack",
            &app.admin_token,
            &json!({"bot_token": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
                    "channels": [{"id": "C0FEEDBACK", "account": "Acme Corp"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let sync = app.post("/integrations/slack/sync", &app.admin_token).await;
    assert!(
        sync.status().is_client_error() || sync.status().is_server_error(),
        "{}",
        sync.status()
    );
    let log = settled(&app, endpoint["id"].as_str().unwrap(), 1).await;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0]["event"], "sync.failed");
    assert_eq!(log[0]["status"], "delivered");
    let data = &log[0]["payload"]["data"];
    assert_eq!(data["source"], "Slack");
    assert!(data["error"].as_str().unwrap().contains("token"), "{data}");
    let message = verify(
        endpoint["secret"].as_str().unwrap(),
        &receiver.received_requests().await.unwrap()[0],
    );
    assert_eq!(message["type"], "sync.failed");
}
