//! Slack through a wiremock stand-in answering as Slack's Web API does: connecting with a bot
//! token, the channel sync (pages, threads, names, skipped messages, a 429, the cursor), and
//! pushed events (signatures, url_verification, retries stored once).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::harness::{TestApp, assert_mentions, fixtures, problem, serve};

const BOT_TOKEN: &str = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";
const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const CHANNEL: &str = "C0FEEDBACK";

async fn slack_app(server: &MockServer) -> TestApp {
    TestApp::builder()
        .env(
            "PRODUCK__INTEGRATIONS__SLACK__API_BASE_URL",
            &format!("{}/api", server.uri()),
        )
        .env(
            "PRODUCK__INTEGRATIONS__SLACK__SIGNING_SECRET",
            SIGNING_SECRET,
        )
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn mount_web_api(server: &MockServer) {
    let bearer = format!("Bearer {BOT_TOKEN}");
    Mock::given(method("GET"))
        .and(path("/api/auth.test"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(ok(fixtures::json("slack/auth.test.json", &[])))
        .mount(server)
        .await;
    serve(
        server,
        "GET",
        "/api/auth.test",
        ok(json!({"ok": false, "error": "invalid_auth"})),
    )
    .await;
    for (user, real, display) in [("U1ANA", "Ana Diaz", "Ana"), ("U2BEN", "Ben Ode", "")] {
        Mock::given(method("GET"))
            .and(path("/api/users.info"))
            .and(query_param("user", user))
            .respond_with(ok(json!({"ok": true, "user": {"id": user, "name": real.to_lowercase(), "real_name": real,
                                    "profile": {"display_name": display, "real_name": real}}})))
            .mount(server)
            .await;
    }
    // conversations.info as Slack answers it: a channel the bot can see, with is_member;
    // C0MISSING does not exist and the app was never invited to C0OUTSIDE.
    serve(server, "GET", "/api/conversations.info", |req: &Request| {
        let id = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "channel")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        if id == "C0MISSING" {
            return ok(json!({"ok": false, "error": "channel_not_found"}));
        }
        let name = id.to_lowercase().trim_start_matches("c0").to_owned();
        let is_member = (id != "C0OUTSIDE").to_string();
        ok(fixtures::json(
            "slack/conversations.info.json",
            &[("id", &id), ("name", &name), ("is_member", &is_member)],
        ))
    })
    .await;
    let thread_ts = "1764590100.000500";
    Mock::given(method("GET"))
        .and(path("/api/conversations.replies"))
        .and(query_param("ts", thread_ts))
        .respond_with(ok(fixtures::json(
            "slack/conversations.replies.json",
            &[("thread_ts", thread_ts)],
        )))
        .mount(server)
        .await;
    // History: throttled once, then two pages; with `oldest` (a later sync) nothing newer.
    let calls = Arc::new(AtomicUsize::new(0));
    serve(server, "GET", "/api/conversations.history", move |req: &Request| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(429).insert_header("retry-after", "1");
        }
        let q: std::collections::HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        if q.contains_key("oldest") {
            return ok(json!({"ok": true, "messages": [], "has_more": false, "response_metadata": {"next_cursor": ""}}));
        }
        if q.get("cursor").map(String::as_str) == Some("bmV4dF90czoxNzY0NTkwMDAz") {
            return ok(json!({"ok": true, "has_more": false, "response_metadata": {"next_cursor": ""}, "messages": [
                {"type": "message", "user": "U1ANA", "text": "We need SSO before the renewal", "ts": thread_ts,
                 "thread_ts": thread_ts, "reply_count": 2, "latest_reply": "1764590220.000700"}
            ]}));
        }
        ok(json!({"ok": true, "has_more": true, "pin_count": 0,
                  "response_metadata": {"next_cursor": "bmV4dF90czoxNzY0NTkwMDAz"}, "messages": [
            {"type": "message", "user": "U2BEN", "text": "Exports time out on our biggest projects", "ts": "1764590000.000100"},
            {"type": "message", "subtype": "channel_join", "user": "U3NEW", "text": "<@U3NEW> has joined the channel", "ts": "1764590001.000200"},
            {"type": "message", "user": "U1ANA", "text": ":+1: :tada:", "ts": "1764590002.000300"},
            {"type": "message", "bot_id": "B0CI", "text": "Build 512 passed", "ts": "1764590003.000400"}
        ]}))
    }).await;
}

async fn connect(app: &TestApp) -> reqwest::Response {
    app.send_json(
        reqwest::Method::PUT,
        "/integrations/slack",
        &app.admin_token,
        &json!({"bot_token": BOT_TOKEN, "channels": [{"id": CHANNEL, "account": "Acme Corp"}]}),
    )
    .await
}

#[tokio::test]
async fn slack_channels_sync_threads_as_conversations_and_skip_what_is_not_feedback() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    let app = slack_app(&server).await;

    let res = app
        .post_json("/ingest/slack", &app.admin_token, &json!({"mode": "live"}))
        .await;
    problem(res, 400, "not_connected").await;
    let bad = app
        .send_json(
            reqwest::Method::PUT,
            "/integrations/slack",
            &app.admin_token,
            &json!({"bot_token": "xoxb-revoked-token-000", "channels": [{"id": CHANNEL}]}),
        )
        .await;
    let body = problem(bad, 400, "slack_refused").await;
    assert!(
        body["detail"].as_str().unwrap().contains("invalid_auth"),
        "{body}"
    );
    // A token no HTTP header can carry is refused before Slack is asked.
    let garbled = app
        .send_json(
            reqwest::Method::PUT,
            "/integrations/slack",
            &app.admin_token,
            &json!({"bot_token": "xoxb-pasted with spaces\n", "channels": [{"id": CHANNEL}]}),
        )
        .await;
    let body = problem(garbled, 422, "validation_failed").await;
    assert_eq!(
        body["errors"][0]["loc"],
        json!(["body", "bot_token"]),
        "{body}"
    );

    let res = connect(&app).await;
    assert_eq!(res.status(), 200);
    let connected: Value = res.json().await.unwrap();
    assert_eq!(connected["team_id"], "T0ACME");
    let trail = app
        .get_json("/admin/audit?action=integration.", &app.admin_token)
        .await;
    assert_eq!(
        trail["total"], 1,
        "only the accepted connection is recorded: {trail}"
    );
    assert_eq!(trail["items"][0]["target_id"], "slack");
    assert_eq!(trail["items"][0]["details"]["team_id"], "T0ACME");
    assert!(
        !trail.to_string().contains(BOT_TOKEN),
        "the token is never recorded"
    );

    let synced = app
        .post_ok("/integrations/slack/sync", &app.admin_token)
        .await;
    let stats = &synced["stats"];
    assert_eq!(stats["messages_fetched"], 5, "{synced}");
    assert_eq!(stats["threads"], 1);
    assert_eq!(
        stats["messages_skipped"], 3,
        "join, emoji-only and bot messages"
    );
    assert_eq!(stats["feedback_created"], 2);

    let items: Vec<Value> = app
        .get_body("/feedback?source=slack", &app.admin_token)
        .await;
    assert_eq!(items.len(), 2);
    let thread = items
        .iter()
        .find(|f| f["source_id"] == "C0FEEDBACK:1764590100.000500")
        .unwrap();
    assert_eq!(
        thread["text"],
        "Ana: We need SSO before the renewal\nBen Ode: Okta or Azure AD?\nAna: Okta, with SCIM provisioning"
    );
    assert_eq!(thread["account"], "Acme Corp");
    assert_eq!(thread["speaker"], "Ana");
    let single = items
        .iter()
        .find(|f| f["source_id"] == "C0FEEDBACK:1764590000.000100")
        .unwrap();
    assert_eq!(single["speaker"], "Ben Ode");
    assert_eq!(single["created_at"], "2025-12-01T11:53:20Z");

    // The next sync asks only for what is newer than the newest message stored.
    let again: Value = app
        .post_json("/ingest/slack", &app.admin_token, &json!({"mode": "live"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"], 0, "{again}");
    let requests = server.received_requests().await.unwrap();
    let last = requests
        .iter()
        .rfind(|r| r.url.path() == "/api/conversations.history")
        .unwrap();
    assert!(
        last.url
            .query_pairs()
            .any(|(k, v)| k == "oldest" && v == "1764590100.000500"),
        "{}",
        last.url
    );
    // The bot token is stored encrypted and listed without a secret.
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    let slack = &integrations[2];
    assert_eq!(slack["connected"], true);
    assert_eq!(slack["account_email"], "Acme Corp");
    assert_eq!(slack["last_sync_status"], "success");
    assert!(!integrations.to_string().contains(BOT_TOKEN));
}

fn signed(app: &TestApp, body: &Value, ts: i64, secret: &str) -> reqwest::RequestBuilder {
    let raw = body.to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:{raw}").as_bytes());
    let signature = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
    app.http
        .post(app.url("/integrations/slack/events"))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", signature)
        .body(raw)
}

#[tokio::test]
async fn slack_events_are_verified_routed_by_team_and_stored_once() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    let app = slack_app(&server).await;
    assert_eq!(connect(&app).await.status(), 200);
    let now = chrono::Utc::now().timestamp();

    let challenge = json!({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"});
    let res = signed(&app, &challenge, now, SIGNING_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["challenge"],
        challenge["challenge"]
    );

    let event = json!({
        "token": "XXYYZZ", "team_id": "T0ACME", "api_app_id": "A0PRODUCK", "type": "event_callback",
        "event_id": "Ev08MFMKH6", "event_time": now,
        "event": {"type": "message", "channel": CHANNEL, "user": "U1ANA", "text": "The dashboard takes a minute to load",
                  "ts": "1764600000.000900", "channel_type": "channel"}
    });
    // Wrong secret, stale timestamp, no signature: 401, nothing stored.
    problem(
        signed(&app, &event, now, "not-the-secret")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        signed(&app, &event, now - 600, SIGNING_SECRET)
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let unsigned = app
        .post_anonymous("/integrations/slack/events", &event)
        .await;
    problem(unsigned, 401, "unauthorized").await;
    let items: Vec<Value> = app
        .get_body("/feedback?source=slack", &app.admin_token)
        .await;
    assert!(items.is_empty());

    // Delivered, then retried by Slack: stored once.
    for _ in 0..2 {
        let res = signed(&app, &event, now, SIGNING_SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let items: Vec<Value> = app
        .get_body("/feedback?source=slack", &app.admin_token)
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["source_id"], "C0FEEDBACK:1764600000.000900");
    assert_eq!(items[0]["account"], "Acme Corp");
    // The webhook answered without asking Slack anything; a job names the sender.
    let users_info_calls = |requests: Vec<Request>| {
        requests
            .iter()
            .filter(|r| r.url.path() == "/api/users.info")
            .count()
    };
    let mut named = Value::Null;
    for _ in 0..200 {
        let items: Vec<Value> = app
            .get_body("/feedback?source=slack", &app.admin_token)
            .await;
        named = items[0].clone();
        if named["speaker"] == "Ana" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(named["speaker"], "Ana", "{named}");
    assert!(named["meta"].get("speaker_pending").is_none(), "{named}");
    assert_eq!(
        users_info_calls(server.received_requests().await.unwrap()),
        1
    );

    // A bot's message, another channel, another team: acknowledged, not stored.
    for (i, ev) in [
        json!({"type": "message", "channel": CHANNEL, "bot_id": "B0CI", "text": "Build passed", "ts": "1764600001.0"}),
        json!({"type": "message", "channel": "C0RANDOM", "user": "U1ANA", "text": "Lunch?", "ts": "1764600002.0"}),
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"team_id": "T0ACME", "type": "event_callback", "event_id": format!("Ev-other-{i}"), "event": ev});
        let res = signed(&app, &body, now, SIGNING_SECRET).send().await.unwrap();
        assert!(res.json::<Value>().await.unwrap()["ignored"].is_string());
    }
    let foreign = json!({"team_id": "T0OTHER", "type": "event_callback", "event_id": "Ev-foreign",
                         "event": {"type": "message", "channel": CHANNEL, "user": "U1ANA", "text": "Hi", "ts": "1764600003.0"}});
    let res = signed(&app, &foreign, now, SIGNING_SECRET)
        .send()
        .await
        .unwrap();
    assert!(res.json::<Value>().await.unwrap()["ignored"].is_string());
    let items: Vec<Value> = app
        .get_body("/feedback?source=slack", &app.admin_token)
        .await;
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn connected_sources_sync_on_schedule_and_are_reported_stale_when_they_stop() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    let app = slack_app(&server).await;
    assert_eq!(connect(&app).await.status(), 200);
    let kind = shared::jobs::kinds::SYNC_SCHEDULE;
    let within = std::time::Duration::from_secs(30);

    // Never synced: due. The scheduled check starts the Slack sync, which then runs.
    let tick = app.run_global_job(kind, within).await;
    assert_eq!(tick.status, "completed", "{tick:?}");
    assert_eq!(tick.result.as_ref().unwrap()["started"], 1);
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let items: Vec<Value> = app
            .get_body("/feedback?source=slack", &app.admin_token)
            .await;
        if items.len() == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduled sync stored nothing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    assert_eq!(integrations[2]["status"], "active");
    assert_eq!(integrations[2]["last_sync_status"], "success");

    // Just synced: not due on the next tick.
    let tick = app.run_global_job(kind, within).await;
    assert_eq!(tick.result.as_ref().unwrap()["due"], 0, "{tick:?}");

    // No success for more than three intervals (an hour each): stale, still connected.
    use sea_orm::ConnectionTrait;
    app.db()
        .execute_unprepared(
            "UPDATE integration_connections SET last_success_at = now() - interval '4 hours', \
             last_sync_at = now() - interval '2 hours', last_sync_status = 'error', last_error = 'Slack answered 500'",
        )
        .await
        .unwrap();
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    assert_eq!(integrations[2]["status"], "stale", "{integrations}");
    assert_eq!(integrations[2]["connected"], true);
    let tick = app.run_global_job(kind, within).await;
    assert_eq!(
        tick.result.as_ref().unwrap()["due"],
        1,
        "a failed sync is tried again next interval"
    );
}

#[tokio::test]
async fn an_admin_disconnects_slack_and_the_change_is_audited() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    let app = slack_app(&server).await;
    assert_eq!(connect(&app).await.status(), 200);
    let editor = app
        .member_token("ed@example.com", shared::auth::Role::Editor)
        .await;
    let delete = |token: &str| {
        app.http
            .delete(app.url("/integrations/slack"))
            .bearer_auth(token)
            .send()
    };
    problem(delete(&editor).await.unwrap(), 403, "forbidden").await;

    let res = delete(&app.admin_token).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["was_connected"], true, "{body}");
    let integrations = app.get_json("/integrations", &app.admin_token).await;
    let slack = integrations
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["provider"] == "slack")
        .unwrap_or_else(|| panic!("{integrations}"));
    assert_eq!(slack["connected"], false, "{slack}");
    // A sync now has nothing to read with.
    let sync = app
        .post_json("/integrations/slack/sync", &app.admin_token, &json!({}))
        .await;
    problem(sync, 400, "not_connected").await;
    let audited = |trail: Value| trail["total"].as_i64().unwrap();
    let trail = app
        .get_json(
            "/admin/audit?action=integration.disconnected",
            &app.admin_token,
        )
        .await;
    assert_eq!(trail["items"][0]["target_id"], "slack", "{trail}");
    assert_eq!(audited(trail), 1);
    // Again: nothing to disconnect, nothing audited twice.
    let again: Value = delete(&app.admin_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["was_connected"], false);
    let trail = app
        .get_json(
            "/admin/audit?action=integration.disconnected",
            &app.admin_token,
        )
        .await;
    assert_eq!(audited(trail), 1);
}

async fn connect_channels(app: &TestApp, channels: &[&str]) -> reqwest::Response {
    let channels: Vec<Value> = channels.iter().map(|c| json!({"id": c})).collect();
    app.send_json(
        reqwest::Method::PUT,
        "/integrations/slack",
        &app.admin_token,
        &json!({"bot_token": BOT_TOKEN, "channels": channels}),
    )
    .await
}

async fn slack_sync(app: &TestApp) -> Value {
    let res = app.post("/integrations/slack/sync", &app.admin_token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn slack_view(app: &TestApp) -> Value {
    let all = app.get_json("/integrations", &app.admin_token).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|i| i["provider"] == "slack")
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn channels_are_checked_when_saved_and_a_team_belongs_to_one_workspace() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    let app = slack_app(&server).await;
    let missing = problem(
        connect_channels(&app, &[CHANNEL, "C0MISSING"]).await,
        400,
        "slack_refused",
    )
    .await;
    assert_mentions(&missing["detail"], "no channel C0MISSING");
    let outside = problem(
        connect_channels(&app, &["C0OUTSIDE"]).await,
        400,
        "slack_refused",
    )
    .await;
    assert_mentions(&outside["detail"], "not a member of #outside");
    assert_eq!(connect(&app).await.status(), 200);

    // Another workspace cannot claim the same Slack team: events are routed by team.
    let (_, other_admin) = app.other_workspace().await;
    let res = app
        .send_json(
            reqwest::Method::PUT,
            "/integrations/slack",
            &other_admin,
            &json!({"bot_token": BOT_TOKEN, "channels": [{"id": CHANNEL}]}),
        )
        .await;
    let taken = problem(res, 400, "slack_refused").await;
    assert_mentions(&taken["detail"], "already connected to another");
    // The workspace that holds it may save it again (new channels, a new token).
    assert_eq!(connect(&app).await.status(), 200);
}

/// A channel the bot was removed from used to abort the run, and no cursor was saved, so
/// the channels after it were never read again.
#[tokio::test]
async fn a_channel_slack_refuses_is_recorded_and_the_others_sync_on() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/conversations.history"))
        .and(query_param("channel", "C0GONE"))
        .respond_with(ok(json!({"ok": false, "error": "not_in_channel"})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/conversations.history"))
        .and(query_param("channel", "C0LATER"))
        .respond_with(ok(json!({"ok": true, "has_more": false, "response_metadata": {"next_cursor": ""},
            "messages": [{"type": "message", "user": "U2BEN", "text": "Bulk edit would save us hours", "ts": "1764600000.000100"}]})))
        .with_priority(1)
        .mount(&server)
        .await;
    let app = slack_app(&server).await;
    assert_eq!(
        connect_channels(&app, &["C0GONE", "C0LATER"])
            .await
            .status(),
        200
    );

    let first = slack_sync(&app).await;
    let stats = &first["stats"];
    assert_eq!(stats["channels_synced"], 1, "{first}");
    assert_eq!(stats["channels_failed"][0]["channel"], "C0GONE");
    assert_mentions(&stats["channels_failed"][0]["error"], "not_in_channel");
    assert_eq!(stats["feedback_created"], 1);
    let view = slack_view(&app).await;
    assert_eq!(view["last_sync_status"], "success", "{view}");
    assert_eq!(view["item_errors"][0]["item"], "C0GONE", "{view}");
    assert_mentions(&view["item_errors"][0]["error"], "not_in_channel");

    // The channel after the refused one keeps its own cursor.
    slack_sync(&app).await;
    let requests = server.received_requests().await.unwrap();
    let last_later = requests
        .iter()
        .rfind(|r| {
            r.url.path() == "/api/conversations.history"
                && r.url.query().unwrap_or_default().contains("C0LATER")
        })
        .unwrap();
    assert!(
        last_later
            .url
            .query_pairs()
            .any(|(k, v)| k == "oldest" && v == "1764600000.000100"),
        "{}",
        last_later.url
    );
}

/// A first sync larger than one run's budget continues where it stopped instead of
/// starting over from its old cursor forever.
#[tokio::test]
async fn a_sync_that_runs_out_of_budget_is_partial_and_the_next_run_continues() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    let app = TestApp::builder()
        .env(
            "PRODUCK__INTEGRATIONS__SLACK__API_BASE_URL",
            &format!("{}/api", server.uri()),
        )
        .env("PRODUCK__INTEGRATIONS__MAX_SYNC_PAGES", "1")
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await;
    assert_eq!(connect(&app).await.status(), 200);

    let first = slack_sync(&app).await;
    assert_eq!(first["stats"]["partial"], true, "{first}");
    assert_eq!(
        first["stats"]["feedback_created"], 1,
        "the first page committed"
    );
    assert_eq!(slack_view(&app).await["last_sync_status"], "partial");
    // The scheduler treats a partial source as due at once.
    let due = shared::services::integrations::connections::due_syncs(app.db(), 3600)
        .await
        .unwrap();
    assert!(
        due.iter()
            .any(|(ws, p)| *ws == app.workspace_id && *p == shared::services::source::Source::Slack),
        "{due:?}"
    );

    let second = slack_sync(&app).await;
    assert_eq!(second["stats"]["partial"], false, "{second}");
    assert_eq!(
        second["stats"]["feedback_created"], 1,
        "the thread on the second page"
    );
    assert_eq!(slack_view(&app).await["last_sync_status"], "success");
    let requests = server.received_requests().await.unwrap();
    let history: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/api/conversations.history")
        .collect();
    assert!(
        history
            .last()
            .unwrap()
            .url
            .query_pairs()
            .any(|(k, v)| k == "cursor" && v == "bmV4dF90czoxNzY0NTkwMDAz"),
        "the second run resumed at Slack's page cursor"
    );
    let third = slack_sync(&app).await;
    assert_eq!(third["stats"]["feedback_created"], 0, "{third}");
}

/// The webhook used to call users.info (with retries) before answering, past Slack's 3 s
/// budget whenever Slack was slow; Slack then retried and disabled the subscription.
#[tokio::test]
async fn a_pushed_event_is_answered_without_waiting_on_a_slow_slack() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users.info"))
        .respond_with(
            ok(json!({"ok": true, "user": {"id": "U9SLOW", "real_name": "Sam Slow", "profile": {"display_name": "Sam"}}}))
                .set_delay(std::time::Duration::from_secs(4)),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    mount_web_api(&server).await;
    let app = slack_app(&server).await;
    assert_eq!(connect(&app).await.status(), 200);
    let now = chrono::Utc::now().timestamp();
    let event = json!({
        "team_id": "T0ACME", "type": "event_callback", "event_id": "Ev-slow", "event_time": now,
        "event": {"type": "message", "channel": CHANNEL, "user": "U9SLOW", "text": "Search misses obvious matches",
                  "ts": "1764600100.000100", "channel_type": "channel"}
    });
    let started = std::time::Instant::now();
    let res = signed(&app, &event, now, SIGNING_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "answered in {:?}",
        started.elapsed()
    );
    let items: Vec<Value> = app
        .get_body("/feedback?source=slack", &app.admin_token)
        .await;
    assert_eq!(
        items[0]["speaker"], "U9SLOW",
        "stored at once with the user id"
    );
}

#[tokio::test]
async fn high_priority_insights_and_the_weekly_digest_reach_the_chosen_channel_once() {
    let server = MockServer::start().await;
    mount_web_api(&server).await;
    // Slack rate limits the first post, as it does with HTTP 429 and Retry-After.
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve(&server, "POST", "/api/chat.postMessage", |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        ok(
            json!({"ok": true, "channel": body["channel"], "ts": "1764590300.000100",
                  "message": {"type": "message", "text": body["text"], "bot_id": "B0BOT01"}}),
        )
    })
    .await;
    let app = slack_app(&server).await;
    assert_eq!(connect(&app).await.status(), 200);
    let put =
        |body: Value| app.put_json("/integrations/slack/notifications", &app.admin_token, body);
    let refused = problem(
        put(json!({"channel_id": "C0OUTSIDE"})).await,
        400,
        "slack_refused",
    )
    .await;
    assert_mentions(&refused["detail"], "invite");
    let res = put(json!({"channel_id": CHANNEL, "min_priority": 50})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let saved: Value = app
        .get_body("/integrations/slack/notifications", &app.admin_token)
        .await;
    assert_eq!(saved["channel_id"], CHANNEL);
    assert_eq!(saved["weekly_digest"], true);

    let posts = || async {
        server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == "/api/chat.postMessage")
            .map(|r| {
                assert_eq!(
                    r.headers["authorization"],
                    format!("Bearer {BOT_TOKEN}").as_str()
                );
                serde_json::from_slice::<Value>(&r.body).unwrap()
            })
            .collect::<Vec<Value>>()
    };
    app.load_demo().await;
    app.wait_all_embedded(std::time::Duration::from_secs(60))
        .await;
    app.cluster().await;
    let board: Vec<Value> = app.get_body("/themes?limit=100", &app.admin_token).await;
    let high: Vec<&Value> = board
        .iter()
        .filter(|i| i["priority_score"].as_i64().unwrap() >= 50)
        .collect();
    assert!(!high.is_empty());
    let within = std::time::Duration::from_secs(30);
    let alert = app
        .wait_newest(shared::jobs::kinds::SLACK_ALERT, within)
        .await;
    assert_eq!(alert.status, "completed", "{alert:?}");
    assert_eq!(alert.attempts, 2, "the rate-limited post is tried again");
    let mut alerts = posts().await;
    assert_eq!(
        alerts.len(),
        2,
        "one alert for the run, sent twice: {alerts:#?}"
    );
    assert_eq!(alerts[0], alerts[1], "the retry posts the same words");
    alerts.remove(0);
    assert_eq!(alerts[0]["channel"], CHANNEL);
    let text = alerts[0].to_string();
    for i in &high {
        assert!(
            text.contains(i["title"].as_str().unwrap()),
            "{} missing from {text}",
            i["title"]
        );
    }
    assert!(text.contains(&format!(
        "/app/insights/{}",
        high[0]["id"].as_str().unwrap()
    )));

    // The digest: once this week, however often it runs.
    let run = app
        .run_global_job(shared::jobs::kinds::SLACK_DIGEST, within)
        .await;
    assert_eq!(run.status, "completed", "{run:?}");
    assert_eq!(run.result.as_ref().unwrap()["posted"], 1, "{run:?}");
    let digest = posts().await.pop().unwrap();
    assert!(
        digest["text"]
            .as_str()
            .unwrap()
            .starts_with("ProduckAI weekly digest"),
        "{digest}"
    );
    let blocks = digest["blocks"].to_string();
    assert!(
        blocks.contains("New themes this week") && blocks.contains("Top movers"),
        "{blocks}"
    );
    assert!(
        blocks.contains(board[0]["title"].as_str().unwrap()),
        "{blocks}"
    );
    let again = app
        .run_global_job(shared::jobs::kinds::SLACK_DIGEST, within)
        .await;
    assert_eq!(again.result.as_ref().unwrap()["due"], 0, "{again:?}");
    assert_eq!(
        posts().await.len(),
        3,
        "the alert's two tries and one digest"
    );
}
