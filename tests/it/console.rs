//! The console's server side: `/` for browsers and for API clients, the cookie session with
//! its CSRF token, and the two reads the console added (an insight's timeline, a document
//! read whole).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use shared::auth::Role;

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, JsonOf, TestApp, problem};

#[tokio::test]
async fn the_root_answers_api_clients_with_json_and_browsers_with_the_console() {
    let app = TestApp::spawn().await;
    let json_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = json_client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "ProduckAI API");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

    let browser = json_client
        .get(app.url("/"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.headers()[header::LOCATION], "/app/");

    // Every console page is the one HTML document (built or the how-to-build page), with a
    // policy that forbids loading anything from another host.
    for path in [
        "/app/",
        "/app/insights/0193a6f4-8c1e-7d2a-b7a5-3c1f0e9d4b21",
        "/app/upload",
    ] {
        let page = json_client.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
            "{csp}"
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("<!doctype html>"), "{path}: {html}");
    }
    let missing = json_client
        .get(app.url("/app/assets/nope.js"))
        .send()
        .await
        .unwrap();
    problem(missing, 404, "not_found").await;

    let html = json_client
        .get(app.url("/app/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if !api::console::is_built() {
        // Compiled without console/dist: the page says how to build it.
        assert!(html.contains("npm ci &amp;&amp; npm run build"), "{html}");
        return;
    }
    // Built: the page names content-hashed assets, served compressed and cached for a year.
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script in the page")
        .to_owned();
    assert!(script.starts_with("/app/assets/app."), "{script}");
    for (accept, encoding) in [
        ("br, gzip", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let res = json_client
            .get(app.url(&script))
            .header(header::ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(
            res.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
}

/// Signs in through the console endpoint; returns the whole `Set-Cookie` and the body.
async fn session_sign_in(app: &TestApp, email: &str, password: &str) -> (String, Value) {
    let res = app
        .post_anonymous(
            "/auth/session",
            &json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    (set_cookie, res.json().await.unwrap())
}

/// Signs in through the console endpoint; returns the session cookie pair and CSRF token.
pub(crate) async fn console_sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (String, String, Value) {
    let (set_cookie, body) = session_sign_in(app, email, password).await;
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    (pair, body["csrf_token"].as_str().unwrap().to_owned(), body)
}

#[tokio::test]
async fn a_console_session_is_an_http_only_cookie_and_changes_need_its_csrf_token() {
    let app = TestApp::spawn().await;
    let (set_cookie, body) = session_sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for attribute in ["produck_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["role"], "admin");
    // Nothing a script could use as a credential is in the body.
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let me: Value = app
        .http
        .get(app.url("/auth/me"))
        .header(header::COOKIE, &cookie)
        .json_of()
        .await;
    assert_eq!(me["auth"], "session");
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert_eq!(me["csrf_token"], csrf.as_str());

    // A change sent with the cookie alone (what a forged cross-site form does) is refused,
    // and so is one with another session's token.
    let create = |token: Option<&str>| {
        let mut req = app
            .http
            .post(app.url("/feedback"))
            .header(header::COOKIE, &cookie)
            .json(&json!({"items": [{"source_id": "csrf-1", "text": "Exports time out for big reports", "account": "Acme"}]}));
        if let Some(t) = token {
            req = req.header("x-csrf-token", t);
        }
        req.send()
    };
    let refused = problem(create(None).await.unwrap(), 403, "csrf_failed").await;
    assert!(refused["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    let (_, other_csrf, _) = console_sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    problem(create(Some(&other_csrf)).await.unwrap(), 403, "csrf_failed").await;
    let made = create(Some(&csrf)).await.unwrap();
    assert!(made.status().is_success(), "{}", made.status());

    // Bearer clients never need the token.
    let bearer = app
        .post_json(
            "/feedback",
            &app.admin_token,
            &json!({"items": [{"source_id": "csrf-2", "text": "Bearer clients are unaffected", "account": "Acme"}]}),
        )
        .await;
    assert!(bearer.status().is_success());

    // Signing out needs the token too, then ends the session for every later request.
    let out = app
        .http
        .delete(app.url("/auth/session"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    problem(out, 403, "csrf_failed").await;
    let out = app
        .http
        .delete(app.url("/auth/session"))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app
        .http
        .get(app.url("/auth/me"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    problem(after, 401, "unauthorized").await;
}

#[tokio::test]
async fn console_sessions_follow_the_members_role_and_https() {
    let app = TestApp::spawn().await;
    app.member_in(app.workspace_id, "viewer@example.com", Role::Viewer)
        .await;
    let (cookie, csrf, body) =
        console_sign_in(&app, "viewer@example.com", "member-password-1").await;
    assert_eq!(body["role"], "viewer");
    let upload = app
        .http
        .delete(app.url(&format!("/feedback/{}", uuid::Uuid::now_v7())))
        .header(header::COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    problem(upload, 403, "forbidden").await;

    // Deactivating the member ends their console session at once.
    let viewer = app
        .member_in(app.workspace_id, "viewer2@example.com", Role::Viewer)
        .await;
    let (cookie, _, _) = console_sign_in(&app, "viewer2@example.com", "member-password-1").await;
    let patch = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{}", viewer.user.id),
            &app.admin_token,
            &json!({"active": false}),
        )
        .await;
    assert!(patch.status().is_success(), "{}", patch.status());
    let me = app
        .http
        .get(app.url("/auth/me"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    problem(me, 401, "unauthorized").await;

    // Behind an https proxy the cookie is Secure.
    let res = app
        .http
        .post(app.url("/auth/session"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );

    // Wrong passwords get the login's answer.
    let wrong = app
        .post_anonymous(
            "/auth/session",
            &json!({"email": ADMIN_EMAIL, "password": "not-it"}),
        )
        .await;
    problem(wrong, 401, "unauthorized").await;
}

#[tokio::test]
async fn timelines_by_day_and_month_and_the_rising_and_new_views_agree_with_the_board() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let board: Vec<Value> = app.get_body("/themes?limit=100", &app.admin_token).await;
    let rising: BTreeSet<String> = app
        .get_body::<Vec<Value>>("/themes?limit=100&filter=rising", &app.admin_token)
        .await
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    for insight in &board {
        let id = insight["id"].as_str().unwrap();
        let total = insight["feedback_count"].as_i64().unwrap();
        for (bucket, periods) in [("day", 30), ("week", 12), ("month", 12)] {
            let t = app
                .get_json(
                    &format!("/themes/{id}/timeline?bucket={bucket}"),
                    &app.admin_token,
                )
                .await;
            let buckets = t["buckets"].as_array().unwrap();
            assert_eq!(buckets.len(), periods, "{bucket}: {t}");
            let listed: i64 = buckets
                .iter()
                .map(|b| b["mentions"].as_i64().unwrap())
                .sum();
            // Nothing of the demo is dated in the future: every mention is in a period.
            assert_eq!(
                listed + t["earlier_mentions"].as_i64().unwrap(),
                total,
                "{bucket}: {t}"
            );
            let last: DateTime<Utc> = buckets[periods - 1]["start"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let today = Utc::now().date_naive();
            match bucket {
                "day" => assert_eq!(last.date_naive(), today),
                "month" => assert_eq!((last.day(), last.month()), (1, today.month())),
                _ => assert_eq!(t["weeks"].as_array().unwrap().len(), periods),
            }
            assert_eq!(t["weeks"].is_null(), bucket != "week", "{t}");
            // The trend beside the chart is the board's: the same counts and momentum.
            let trend = &t["trend"];
            assert_eq!(
                trend["weekly_counts"], insight["metrics"]["weekly_counts"],
                "{id}"
            );
            let momentum = trend["momentum"].as_f64().unwrap();
            assert!(
                (momentum - insight["metrics"]["trend"].as_f64().unwrap()).abs() < 1e-6,
                "{id}: {t}"
            );
            assert_eq!(
                trend["rising"].as_bool().unwrap(),
                rising.contains(id),
                "{id}: {t}"
            );
            assert_eq!(trend["rising"].as_bool().unwrap(), momentum > 0.05);
        }
    }
    // Every theme was created by the run just now: all are new this week.
    let new: Vec<Value> = app
        .get_body("/themes?limit=100&filter=new_this_week", &app.admin_token)
        .await;
    assert_eq!(new.len(), board.len());
    let counts = app
        .get_json("/themes/filter-counts", &app.admin_token)
        .await;
    assert_eq!(counts["new_this_week"], board.len());
    assert_eq!(counts["rising"], rising.len());
    let id = board[0]["id"].as_str().unwrap();
    for bad in ["bucket=year", "periods=367", "periods=0", "weeks=105"] {
        problem(
            app.get(&format!("/themes/{id}/timeline?{bad}"), &app.admin_token)
                .await,
            422,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn an_insights_timeline_counts_each_week_and_its_accounts_acv() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let board = app.get_json("/themes", &app.admin_token).await;
    let insight = &board[0];
    assert_eq!(
        insight["metrics"]["weekly_counts"]
            .as_array()
            .unwrap()
            .len(),
        12,
        "{insight}"
    );
    let id = insight["id"].as_str().unwrap();

    // The expected weeks, worked out from the insight's own members and customers.
    let detail = app
        .get_json(
            &format!("/themes/{id}?supporting_limit=100"),
            &app.admin_token,
        )
        .await;
    let mut members: HashMap<String, Value> = HashMap::new();
    for q in detail["key_quotes"]
        .as_array()
        .unwrap()
        .iter()
        .chain(detail["supporting_feedback"].as_array().unwrap())
    {
        members.insert(q["id"].as_str().unwrap().to_owned(), q.clone());
    }
    assert_eq!(
        members.len() as i64,
        insight["feedback_count"].as_i64().unwrap()
    );
    let acv: HashMap<String, f64> = insight["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["acv"].as_f64().unwrap(),
            )
        })
        .collect();
    let monday = |t: DateTime<Utc>| {
        let day = t.date_naive() - Duration::days(i64::from(t.weekday().num_days_from_monday()));
        day.and_hms_opt(0, 0, 0).unwrap().and_utc()
    };
    let mut expected: BTreeMap<DateTime<Utc>, (i64, BTreeSet<String>)> = BTreeMap::new();
    for m in members.values() {
        let at: DateTime<Utc> = m["created_at"].as_str().unwrap().parse().unwrap();
        let week = expected.entry(monday(at)).or_default();
        week.0 += 1;
        if let Some(c) = m["customer_id"].as_str() {
            week.1.insert(c.to_owned());
        }
    }

    let t = app
        .get_json(&format!("/themes/{id}/timeline?weeks=12"), &app.admin_token)
        .await;
    let weeks = t["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 12, "{t}");
    assert_eq!(
        weeks[11]["week_start"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        monday(Utc::now())
    );
    let mut listed = 0;
    for w in weeks {
        let start: DateTime<Utc> = w["week_start"].as_str().unwrap().parse().unwrap();
        assert_eq!(start.weekday(), chrono::Weekday::Mon);
        let (mentions, accounts) = expected.remove(&start).unwrap_or_default();
        listed += mentions;
        assert_eq!(w["mentions"].as_i64().unwrap(), mentions, "{w}");
        assert_eq!(
            w["accounts"].as_i64().unwrap(),
            accounts.len() as i64,
            "{w}"
        );
        let week_acv: f64 = accounts.iter().map(|c| acv[c]).sum();
        assert!(
            (w["acv"].as_f64().unwrap() - week_acv).abs() < 0.01,
            "{w} vs {week_acv}"
        );
        assert_eq!(w["sentiment"].is_null(), mentions == 0, "{w}");
    }
    assert!(
        listed > 0,
        "the demo's top insight was mentioned in the last 12 weeks"
    );
    let earlier: i64 = expected.values().map(|(n, _)| n).sum();
    assert_eq!(t["earlier_mentions"].as_i64().unwrap(), earlier, "{t}");

    problem(
        app.get(&format!("/themes/{id}/timeline?weeks=0"), &app.admin_token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    let (_, other) = app.other_workspace().await;
    problem(
        app.get(&format!("/themes/{id}/timeline"), &other).await,
        404,
        "not_found",
    )
    .await;

    // The theme map places every insight of the workspace, and only those.
    let map = app.get_json("/themes/map", &app.admin_token).await;
    let points = map.as_array().unwrap();
    assert_eq!(points.len(), board.as_array().unwrap().len());
    for p in points {
        let (x, y) = (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap());
        assert!(x.abs() <= 1.0 + 1e-9 && y.abs() <= 1.0 + 1e-9, "{p}");
    }
    assert!(
        points.iter().any(|p| p["x"]
            .as_f64()
            .unwrap()
            .abs()
            .max(p["y"].as_f64().unwrap().abs())
            > 0.99),
        "scaled to the edge"
    );
    assert_eq!(
        app.get_json("/themes/map", &app.admin_token).await,
        map,
        "the same board draws the same map"
    );
    assert_eq!(app.get_json("/themes/map", &other).await, json!([]));
}

#[tokio::test]
async fn a_chunked_document_reads_back_whole_in_order() {
    let app = TestApp::demo().await;
    let docs = app
        .get_json("/feedback/documents?source=gdoc", &app.admin_token)
        .await;
    let doc = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["chunk_count"].as_i64().unwrap() > 1)
        .expect("a demo document with several chunks");
    let id = doc["document_id"].as_str().unwrap();
    let url = format!("/feedback/documents/chunks?document_id={}", urlencode(id));
    let whole = app.get_json(&url, &app.admin_token).await;
    let chunks = whole["chunks"].as_array().unwrap();
    assert_eq!(chunks.len() as i64, doc["chunk_count"].as_i64().unwrap());
    let order: Vec<i64> = chunks
        .iter()
        .map(|c| c["meta"]["chunk_idx"].as_i64().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert_eq!(whole["truncated"], false);
    let (_, other) = app.other_workspace().await;
    problem(app.get(&url, &other).await, 404, "not_found").await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_weights_preview_reranks_the_top_ten_without_saving() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let config = app.get_json("/admin/config", &app.admin_token).await;
    let board = app.get_json("/themes?limit=100", &app.admin_token).await;

    let same = app
        .post_json(
            "/admin/weights/preview",
            &app.admin_token,
            &json!({"weights": {}}),
        )
        .await;
    assert_eq!(same.status(), 200);
    let same: Value = same.json().await.unwrap();
    let rows = same["top"].as_array().unwrap();
    assert_eq!(rows.len(), board.as_array().unwrap().len().min(10));
    for r in rows {
        assert_eq!(r["proposed_priority"], r["current_priority"], "{r}");
    }

    // Only the trend counts: the order changes, and nothing is saved.
    let trend_only = json!({"weights": {"freq_30d": 0, "acv_sum": 0, "sentiment": 0, "segment": 0, "trend": 1, "duplicate": 0}});
    let moved: Value = app
        .post_json("/admin/weights/preview", &app.admin_token, &trend_only)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["weights"]["trend"], 1.0);
    let ranks: Vec<(i64, i64)> = moved["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["current_rank"].as_i64().unwrap(),
                r["proposed_rank"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(ranks.iter().any(|(a, b)| a != b), "{ranks:?}");
    assert_eq!(
        app.get_json("/admin/config", &app.admin_token).await,
        config
    );
    assert_eq!(
        app.get_json("/themes?limit=100", &app.admin_token).await,
        board
    );

    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;
    problem(
        app.post_json("/admin/weights/preview", &viewer, &trend_only)
            .await,
        403,
        "forbidden",
    )
    .await;
}
