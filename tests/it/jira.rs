//! Jira tickets: the store, imports, matching against customer insights, the VOC score,
//! confirmations, re-scoring after clustering and the ticket artifacts.

use std::time::Duration;

use serde_json::{Value, json};
use shared::auth::Role;

use crate::harness::{JsonOf, TestApp, assert_mentions, problem};

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.post_json(path, &app.admin_token, body).await
}

async fn ok_json(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Where a match of ticket `key` to `insight` is confirmed or rejected (`query` may be empty).
fn confirm_path(key: &str, insight: &str, query: &str) -> String {
    format!("/jira/tickets/{key}/matches/{insight}/confirm{query}")
}

fn ticket(key: &str, title: &str, description: &str) -> Value {
    json!({"jira_key": key, "title": title, "description": description, "priority": "low"})
}

/// The demo data clustered, with a worker running every product job.
async fn clustered_demo() -> TestApp {
    let app = TestApp::demo().await;
    app.cluster().await;
    app
}

/// Tickets about what the demo's customers ask for, and one about nothing they mention.
const DEMO_TICKETS: [(&str, &str, &str); 4] = [
    (
        "PROD-1",
        "SAML single sign-on with Okta",
        "Enterprise customers need SSO through Okta and Azure AD before rolling out to every team",
    ),
    (
        "PROD-2",
        "Dark mode for the web app",
        "Users want a dark theme because the bright interface strains their eyes at night",
    ),
    (
        "PROD-3",
        "Export reports to CSV and Excel",
        "Customers want to export dashboards and reports to spreadsheets",
    ),
    (
        "PROD-4",
        "Migrate the build to a new bundler",
        "Internal tooling change for faster front-end builds",
    ),
];

async fn create_demo_tickets(app: &TestApp) {
    for (key, title, description) in DEMO_TICKETS {
        let res = post(app, "/jira/tickets", &ticket(key, title, description)).await;
        assert_eq!(res.status(), 201);
    }
}

async fn calculate(app: &TestApp, key: &str, query: &str) -> Value {
    ok_json(
        app.post(
            &format!("/jira/tickets/{key}/calculate-voc{query}"),
            &app.admin_token,
        )
        .await,
    )
    .await
}

async fn item(app: &TestApp, key: &str) -> Value {
    ok_json(
        app.get(&format!("/jira/tickets/{key}"), &app.admin_token)
            .await,
    )
    .await
}

fn scores_of(items: &[Value]) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = items
        .iter()
        .map(|i| {
            (
                i["ticket"]["jira_key"].as_str().unwrap().to_owned(),
                i["voc_score"]["voc_score"].as_f64().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[tokio::test]
async fn tickets_are_created_validated_updated_deleted_and_scoped() {
    let app = TestApp::spawn().await;
    let created = ok_json(
        post(
            &app,
            "/jira/tickets",
            &json!({"jira_key": "prod-123", "title": "Rate limiting", "status": "in progress", "priority": "high",
                    "labels": ["api", "performance"], "epic_key": "PROD-100", "story_points": 8,
                    "assignee": "john.doe", "reporter": "pm@company.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(created["jira_key"], "PROD-123");
    assert_eq!(created["status"], "IN_PROGRESS");
    assert_eq!(created["priority"], "HIGH");
    assert_eq!(created["labels"], json!(["api", "performance"]));
    assert_eq!(created["description"], "");
    // Defaults.
    let plain = ok_json(
        post(
            &app,
            "/jira/tickets",
            &json!({"jira_key": "PROD-9", "title": "Plain"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (plain["status"].as_str(), plain["priority"].as_str()),
        (Some("BACKLOG"), Some("MEDIUM"))
    );

    // A duplicate, however the key is typed, is a conflict.
    let dup = post(
        &app,
        "/jira/tickets",
        &json!({"jira_key": "PROD-123", "title": "again"}),
    )
    .await;
    problem(dup, 409, "conflict").await;

    // Concurrent creations of one key: exactly one wins, the others are 409 (not 500).
    let attempts = (0..8).map(|i| {
        let app = &app;
        async move {
            post(
                app,
                "/jira/tickets",
                &json!({"jira_key": "RACE-1", "title": format!("attempt {i}")}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let mut codes = futures::future::join_all(attempts).await;
    codes.sort();
    assert_eq!(codes, vec![201, 409, 409, 409, 409, 409, 409, 409]);

    // Validation, in the problem shape with the field named.
    for (body, field) in [
        (
            json!({"jira_key": "PROD-5", "title": "x", "status": "exploded"}),
            "status",
        ),
        (
            json!({"jira_key": "PROD-5", "title": "x", "priority": "urgent"}),
            "priority",
        ),
        (json!({"jira_key": "PROD 5", "title": "x"}), "jira_key"),
        (json!({"jira_key": "PROD-5", "title": ""}), "title"),
        (
            json!({"jira_key": "PROD-5", "title": "x", "story_points": -1}),
            "story_points",
        ),
        (
            json!({"jira_key": "PROD-5", "title": "x", "colour": "red"}),
            "colour",
        ),
    ] {
        let res = post(&app, "/jira/tickets", &body).await;
        let p = problem(res, 422, "validation_failed").await;
        assert!(p.to_string().contains(field), "{field}: {p}");
    }
    for query in [
        "?sort_by=title",
        "?min_voc_score=101",
        "?status=nope",
        "?limit=0",
        "?page=2",
    ] {
        let res = app
            .get(&format!("/jira/tickets{query}"), &app.admin_token)
            .await;
        problem(res, 422, "validation_failed").await;
    }
    let res = app
        .post(
            "/jira/tickets/PROD-123/calculate-voc?similarity_threshold=1.5",
            &app.admin_token,
        )
        .await;
    problem(res, 422, "validation_failed").await;

    // Listing: unscored tickets have a null score; status filters in any case.
    let list = ok_json(
        app.get("/jira/tickets?status=in_progress", &app.admin_token)
            .await,
    )
    .await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0]["voc_score"].is_null());
    assert_eq!(list[0]["matched_insights"], json!([]));
    let by_priority = ok_json(
        app.get("/jira/tickets?sort_by=priority", &app.admin_token)
            .await,
    )
    .await;
    assert_eq!(
        by_priority[0]["ticket"]["jira_key"], "PROD-123",
        "HIGH before MEDIUM"
    );
    let scored_only = ok_json(
        app.get("/jira/tickets?min_voc_score=0.5", &app.admin_token)
            .await,
    )
    .await;
    assert_eq!(
        scored_only,
        json!([]),
        "a score filter keeps only scored tickets"
    );
    let everything = ok_json(
        app.get("/jira/tickets?min_voc_score=0", &app.admin_token)
            .await,
    )
    .await;
    assert_eq!(
        everything.as_array().unwrap().len(),
        3,
        "0 filters nothing, as in the original"
    );

    // Update and delete, by key in any case.
    let patched = ok_json(
        app.send_json(
            reqwest::Method::PATCH,
            "/jira/tickets/prod-123",
            &app.admin_token,
            &json!({"priority": "LOWEST", "assignee": null}),
        )
        .await,
    )
    .await;
    assert_eq!(patched["ticket"]["priority"], "LOWEST");
    assert!(patched["ticket"]["assignee"].is_null());
    assert_eq!(patched["ticket"]["title"], "Rate limiting");
    let bad = app
        .send_json(
            reqwest::Method::PATCH,
            "/jira/tickets/PROD-123",
            &app.admin_token,
            &json!({"title": ""}),
        )
        .await;
    problem(bad, 422, "validation_failed").await;

    // Roles and workspaces.
    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;
    let res = app
        .post_json("/jira/tickets", &viewer, &ticket("V-1", "x", "y"))
        .await;
    problem(res, 403, "forbidden").await;
    assert_eq!(
        app.get("/jira/tickets/PROD-123", &viewer).await.status(),
        200
    );
    let (_, other) = app.other_workspace().await;
    problem(
        app.get("/jira/tickets/PROD-123", &other).await,
        404,
        "not_found",
    )
    .await;
    let theirs = ok_json(app.get("/jira/tickets", &other).await).await;
    assert_eq!(theirs, json!([]));
    let res = app
        .post("/jira/tickets/PROD-123/calculate-voc", &other)
        .await;
    problem(res, 404, "not_found").await;
    // The same key in another workspace is another ticket.
    assert_eq!(
        app.post_json("/jira/tickets", &other, &ticket("PROD-123", "theirs", ""))
            .await
            .status(),
        201
    );

    let res = app.delete("/jira/tickets/PROD-123", &app.admin_token).await;
    assert_eq!(res.status(), 204);
    problem(
        app.get("/jira/tickets/PROD-123", &app.admin_token).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get("/jira/tickets/PROD-123", &other).await.status(),
        200
    );
    let res = app
        .post("/jira/tickets/NOPE-1/calculate-voc", &app.admin_token)
        .await;
    problem(res, 404, "not_found").await;
}

const JIRA_EXPORT: &str = "Summary,Issue key,Issue id,Issue Type,Status,Priority,Assignee,Reporter,Created,Updated,Labels,Labels,Description,Custom field (Story Points)\n\
SAML single sign-on with Okta,PROD-1,10001,Story,To Do,Highest,jane,pm@x.io,15/Jan/25 10:30 AM,16/Jan/25 9:00 AM,sso,security,\"Enterprise customers need SSO, soon\",8\n\
Dark mode,PROD-2,10002,Story,In Review,Minor,,,2025-01-10,,ui,,,3\n\
,PROD-3,10003,Bug,Done,Low,,,,,,,,\n";

async fn import(app: &TestApp, content_type: &str, body: &str) -> reqwest::Response {
    app.http
        .post(app.url("/jira/tickets/import"))
        .bearer_auth(&app.admin_token)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_jira_csv_export_and_a_json_array_import_and_upsert_by_key() {
    let app = TestApp::spawn().await;
    let first = ok_json(import(&app, "text/csv", JIRA_EXPORT).await).await;
    assert_eq!(first["format"], "csv");
    assert_eq!(
        (first["created"].as_u64(), first["updated"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(first["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(first["skipped"][0]["jira_key"], "PROD-3");
    assert_eq!(first["skipped"][0]["row"], 4);

    let sso = item(&app, "PROD-1").await;
    assert_eq!(sso["ticket"]["status"], "OPEN");
    assert_eq!(sso["ticket"]["priority"], "HIGHEST");
    assert_eq!(sso["ticket"]["labels"], json!(["sso", "security"]));
    assert_eq!(sso["ticket"]["story_points"], 8);
    assert_eq!(sso["ticket"]["jira_created_at"], "2025-01-15T10:30:00Z");
    let dark = item(&app, "PROD-2").await;
    assert_eq!(
        (
            dark["ticket"]["status"].as_str(),
            dark["ticket"]["priority"].as_str()
        ),
        (Some("IN_PROGRESS"), Some("LOW"))
    );

    // The same export again changes nothing; an edited one updates only what changed.
    let again = ok_json(import(&app, "text/csv", JIRA_EXPORT).await).await;
    assert_eq!(
        (
            again["created"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    let edited = JIRA_EXPORT.replace("Dark mode,PROD-2", "Dark mode everywhere,PROD-2");
    let third = ok_json(import(&app, "text/csv", &edited).await).await;
    assert_eq!(
        (third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        item(&app, "PROD-2").await["ticket"]["title"],
        "Dark mode everywhere"
    );

    // A JSON array of the create shape; bad items are reported, good ones land.
    let body = json!([
        {"jira_key": "PROD-7", "title": "Audit log", "priority": "HIGH"},
        {"jira_key": "PROD-8", "title": "Bad", "status": "exploded"},
        {"jira_key": "PROD-1", "title": "SAML single sign-on with Okta and Azure AD", "status": "open", "priority": "highest"}
    ]);
    let json_import = ok_json(import(&app, "application/json", &body.to_string()).await).await;
    assert_eq!(json_import["format"], "json");
    assert_eq!(
        (
            json_import["created"].as_u64(),
            json_import["updated"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(json_import["skipped"][0]["jira_key"], "PROD-8");
    assert_mentions(&json_import["skipped"][0]["reason"], "status");
    assert_eq!(
        item(&app, "PROD-1").await["ticket"]["story_points"],
        8,
        "absent optional fields keep their value"
    );

    // Files that cannot be imported say why.
    problem(
        import(&app, "text/csv", "feedback,customer\nslow,acme\n").await,
        422,
        "validation_failed",
    )
    .await;
    problem(import(&app, "text/csv", "").await, 422, "validation_failed").await;
    problem(
        import(&app, "application/json", "{\"jira_key\": 1}").await,
        422,
        "validation_failed",
    )
    .await;
    let only_bad = json!([{"jira_key": "X-1", "title": ""}]).to_string();
    problem(
        import(&app, "application/json", &only_bad).await,
        422,
        "validation_failed",
    )
    .await;
    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;
    let res = app
        .http
        .post(app.url("/jira/tickets/import"))
        .bearer_auth(&viewer)
        .header("content-type", "text/csv")
        .body(JIRA_EXPORT)
        .send()
        .await
        .unwrap();
    problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn tickets_match_customer_insights_and_scores_do_not_depend_on_order() {
    let app = clustered_demo().await;
    create_demo_tickets(&app).await;

    // One by one, in key order, then in reverse, then all at once: identical scores.
    let mut forward = Vec::new();
    for (key, ..) in DEMO_TICKETS {
        forward.push(calculate(&app, key, "").await);
    }
    let mut reverse = Vec::new();
    for (key, ..) in DEMO_TICKETS.iter().rev() {
        reverse.push(calculate(&app, key, "").await);
    }
    reverse.reverse();
    let strip = |v: &Vec<Value>| -> Vec<(f64, f64, f64, f64, f64, String)> {
        v.iter()
            .map(|s| {
                (
                    s["voc_score"].as_f64().unwrap(),
                    s["customer_score"].as_f64().unwrap(),
                    s["acv_score"].as_f64().unwrap(),
                    s["segment_score"].as_f64().unwrap(),
                    s["volume_score"].as_f64().unwrap(),
                    s["recommended_priority"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        strip(&forward),
        strip(&reverse),
        "scores must not depend on scoring order"
    );
    let all = app
        .post_ok("/jira/calculate-all-voc", &app.admin_token)
        .await;
    assert_eq!(all["message"], "VOC scoring completed");
    assert_eq!(all["stats"]["tickets_processed"], 4);
    assert_eq!(all["stats"]["scores_calculated"], 4);
    let list = ok_json(app.get("/jira/tickets", &app.admin_token).await).await;
    let list = list.as_array().unwrap().clone();
    let batch = scores_of(&list);
    let single: Vec<(String, f64)> = DEMO_TICKETS
        .iter()
        .zip(&forward)
        .map(|((k, ..), s)| ((*k).to_owned(), s["voc_score"].as_f64().unwrap()))
        .collect();
    assert_eq!(batch, single, "one at a time and all at once agree");
    let mean = single.iter().map(|(_, s)| s).sum::<f64>() / single.len() as f64;
    assert!((all["stats"]["avg_voc_score"].as_f64().unwrap() - mean).abs() < 0.01);

    // The SSO ticket finds the SSO insight; the internal one finds nothing and scores 0.
    let sso = item(&app, "PROD-1").await;
    let titles: Vec<String> = sso["matched_insights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["insight_title"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("sso")
            || t.contains("sign-on")
            || t.contains("saml")
            || t.contains("okta")),
        "{sso}"
    );
    assert!(sso["voc_score"]["voc_score"].as_f64().unwrap() > 0.0);
    assert!(
        sso["voc_score"]["ent_customer_count"].as_i64().unwrap() >= 1,
        "{sso}"
    );
    for m in sso["matched_insights"].as_array().unwrap() {
        assert!(m["similarity_score"].as_f64().unwrap() >= 0.6 - 1e-6);
        assert!(["high", "medium"].contains(&m["confidence"].as_str().unwrap()));
    }
    // A LOW ticket with strong evidence is flagged as under-prioritised.
    let rec = sso["voc_score"]["recommended_priority"].as_str().unwrap();
    if ["CRITICAL", "HIGH"].contains(&rec) {
        assert_eq!(
            sso["priority_gap"]["direction"], "under_prioritised",
            "{sso}"
        );
    }
    let internal = item(&app, "PROD-4").await;
    assert_eq!(internal["matched_insights"], json!([]), "{internal}");
    assert_eq!(internal["voc_score"]["voc_score"], 0.0);
    assert_eq!(internal["voc_score"]["recommended_priority"], "LOW");
    assert!(internal["priority_gap"].is_null());

    // A loose threshold proposes at most five; a strict re-run removes the stale ones.
    let loose = calculate(&app, "PROD-1", "?similarity_threshold=0").await;
    assert_eq!(loose["matched_insights"].as_array().unwrap().len(), 5);
    assert_eq!(loose["similarity_threshold"], 0.0);
    let strict = calculate(&app, "PROD-1", "?similarity_threshold=0.99").await;
    assert_eq!(
        strict["matched_insights"],
        json!([]),
        "stale matches are removed"
    );
    assert_eq!(strict["voc_score"], 0.0);
    assert_eq!(item(&app, "PROD-1").await["matched_insights"], json!([]));

    // Sorting by score puts the scored evidence first.
    let sorted = ok_json(
        app.get(
            "/jira/tickets?sort_by=voc_score&min_voc_score=0.01",
            &app.admin_token,
        )
        .await,
    )
    .await;
    let values: Vec<f64> = sorted
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["voc_score"]["voc_score"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert!(values.iter().all(|v| *v >= 0.01));
}

#[tokio::test]
async fn confirmations_and_rejections_count_and_survive_reruns() {
    let app = clustered_demo().await;
    create_demo_tickets(&app).await;
    let scored = calculate(&app, "PROD-1", "").await;
    let matches = scored["matched_insights"].as_array().unwrap().clone();
    assert!(!matches.is_empty(), "{scored}");
    let top = matches[0]["insight_id"].as_str().unwrap().to_owned();
    let before = scored["voc_score"].as_f64().unwrap();

    // Reject the top match: it stops counting and is never proposed again.
    let res = app
        .post_ok(
            &confirm_path("PROD-1", &top, "?confirmed=false"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res["message"], "Match rejected");
    assert_eq!(res["is_confirmed"], 0);
    let after_reject = res["voc_score"]["voc_score"].as_f64().unwrap();
    assert!(after_reject < before, "{before} -> {after_reject}");
    let rerun = calculate(&app, "PROD-1", "?similarity_threshold=0").await;
    let rejected: Vec<&Value> = rerun["matched_insights"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["insight_id"] == top.as_str())
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["is_confirmed"], 0);
    assert_eq!(rejected[0]["included"], false);
    let proposed = rerun["matched_insights"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["is_confirmed"].is_null())
        .count();
    assert_eq!(proposed, 5, "five proposals besides the rejection");

    // Confirm an insight the internal ticket was never matched with: it counts at once,
    // and a strict re-run keeps it.
    let board: Value = ok_json(app.get("/themes?limit=100", &app.admin_token).await).await;
    let strongest = board
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| {
            a["total_acv"]
                .as_f64()
                .partial_cmp(&b["total_acv"].as_f64())
                .unwrap()
        })
        .unwrap();
    let insight = strongest["id"].as_str().unwrap();
    let res = app
        .post_ok(
            &confirm_path("PROD-4", insight, "?confirmed=true"),
            &app.admin_token,
        )
        .await;
    assert_eq!(res["message"], "Match confirmed");
    assert_eq!(res["is_confirmed"], 1);
    assert!(
        res["voc_score"]["voc_score"].as_f64().unwrap() > 0.0,
        "{res}"
    );
    assert_eq!(
        res["voc_score"]["acv_score"], 100.0,
        "the strongest insight sets the ACV scale: {res}"
    );
    let strict = calculate(&app, "PROD-4", "?similarity_threshold=0.99").await;
    let kept = strict["matched_insights"].as_array().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["insight_id"], insight);
    assert_eq!(kept[0]["is_confirmed"], 1);
    assert_eq!(strict["voc_score"], res["voc_score"]["voc_score"]);

    // Unknown tickets and insights, and insights of another workspace, are 404.
    let missing = uuid::Uuid::new_v4();
    problem(
        app.post(
            &confirm_path("PROD-4", &missing.to_string(), "?confirmed=true"),
            &app.admin_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.post(
            &confirm_path("NOPE-9", insight, "?confirmed=true"),
            &app.admin_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.post(&confirm_path("PROD-4", insight, ""), &app.admin_token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    let (_, other) = app.other_workspace().await;
    assert_eq!(
        app.post_json("/jira/tickets", &other, &ticket("PROD-4", "theirs", ""))
            .await
            .status(),
        201
    );
    let res = app
        .http
        .post(app.url(&format!(
            "/jira/tickets/PROD-4/matches/{insight}/confirm?confirmed=true"
        )))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn tickets_are_embedded_and_scored_by_jobs_and_rescored_after_clustering() {
    let app = clustered_demo().await;
    create_demo_tickets(&app).await;
    // Creations racing the embed jobs they start (each finishes in milliseconds) all succeed.
    for i in 0..20 {
        let res = post(
            &app,
            "/jira/tickets",
            &ticket(&format!("BURST-{i}"), "Burst", ""),
        )
        .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    // The embed job picks up new tickets and scores them without being asked.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = ok_json(app.get("/jira/tickets", &app.admin_token).await).await;
        if list
            .as_array()
            .unwrap()
            .iter()
            .all(|i| !i["voc_score"].is_null())
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "tickets were not scored by the embed job: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = item(&app, "PROD-2").await["voc_score"]["calculated_at"].clone();

    // A clustering run queues a re-score of every ticket.
    let run = app.post_ok("/cluster/run", &app.admin_token).await;
    let job = app
        .wait_job(
            run["task_id"].as_str().unwrap().parse().unwrap(),
            Duration::from_secs(60),
        )
        .await;
    let rescore: uuid::Uuid = job.result.as_ref().unwrap()["voc_rescore_job"]
        .as_str()
        .expect("a follow-up job")
        .parse()
        .unwrap();
    let follow_up = app.wait_job(rescore, Duration::from_secs(30)).await;
    assert_eq!(follow_up.status, "completed", "{follow_up:?}");
    assert_eq!(follow_up.kind, "voc");
    assert_eq!(
        follow_up.result.as_ref().unwrap()["stats"]["tickets_processed"],
        24
    );
    let after = item(&app, "PROD-2").await["voc_score"]["calculated_at"].clone();
    assert_ne!(before, after, "re-scored after clustering");

    // Editing the text clears the vector; calculate-voc embeds it again right away.
    app.send_json(reqwest::Method::PATCH, "/jira/tickets/PROD-4", &app.admin_token, &json!({"title": "SAML SSO with Okta for enterprise rollout", "description": "Enterprise customers need single sign-on"})).await;
    let rescored = calculate(&app, "PROD-4", "").await;
    assert!(
        !rescored["matched_insights"].as_array().unwrap().is_empty(),
        "{rescored}"
    );
}

#[tokio::test]
async fn calculate_all_answers_202_without_a_worker_and_completes_when_one_runs() {
    let mut app = TestApp::builder().spawn().await;
    assert_eq!(
        post(&app, "/jira/tickets", &ticket("PROD-1", "SSO", ""))
            .await
            .status(),
        201
    );
    let res = app
        .post_async("/jira/calculate-all-voc", &app.admin_token)
        .await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.unwrap();
    assert!(body["stats"].is_null());
    let id: uuid::Uuid = body["task_id"].as_str().unwrap().parse().unwrap();
    // A second request joins the same job.
    let again: Value = app
        .http
        .post(app.url("/jira/calculate-all-voc"))
        .bearer_auth(&app.admin_token)
        .header("prefer", "respond-async")
        .json_of()
        .await;
    assert_eq!(again["task_id"], body["task_id"]);
    app.add_worker();
    let job = app.wait_job(id, Duration::from_secs(30)).await;
    assert_eq!(job.status, "completed", "{job:?}");
    let item = item(&app, "PROD-1").await;
    assert_eq!(
        item["voc_score"]["voc_score"], 0.0,
        "no insights yet: {item}"
    );
}

#[tokio::test]
async fn ticket_artifacts_come_from_the_ticket_matches() {
    let app = clustered_demo().await;
    create_demo_tickets(&app).await;
    let empty = ok_json(app.get("/tickets/NOPE-1/score", &app.admin_token).await).await;
    assert_eq!(
        empty,
        json!({"ticket_key": "NOPE-1", "themes": [], "top_quotes": [], "overall_score": 0.0})
    );
    problem(
        app.post("/tickets/NOPE-1/draft_prd", &app.admin_token)
            .await,
        404,
        "not_found",
    )
    .await;

    calculate(&app, "PROD-1", "?similarity_threshold=0.3").await;
    let score = ok_json(app.get("/tickets/prod-1/score", &app.admin_token).await).await;
    assert_eq!(score["ticket_key"], "PROD-1");
    let themes = score["themes"].as_array().unwrap();
    assert!(!themes.is_empty() && themes.len() <= 3, "{score}");
    let coverage: f64 = themes.iter().map(|t| t["coverage"].as_f64().unwrap()).sum();
    assert!(coverage > 0.0 && coverage <= 1.0 + 1e-6, "{score}");
    let scores: Vec<f64> = themes
        .iter()
        .map(|t| t["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    assert!(scores.iter().all(|s| (0.0..=100.0).contains(s)));
    let expected = themes
        .iter()
        .map(|t| t["score"].as_f64().unwrap() * t["coverage"].as_f64().unwrap())
        .sum::<f64>()
        / themes.len() as f64;
    assert!(
        (score["overall_score"].as_f64().unwrap() - expected).abs() < 0.05,
        "{score}"
    );
    let quotes = score["top_quotes"].as_array().unwrap();
    assert!(!quotes.is_empty() && quotes.len() <= 3);
    assert!(
        quotes
            .iter()
            .all(|q| q["text"].as_str().unwrap().chars().count() <= 203)
    );

    let prd = app
        .post_ok("/tickets/PROD-1/draft_prd", &app.admin_token)
        .await;
    let md = prd["prd_markdown"].as_str().unwrap();
    assert!(md.starts_with("# PRD: PROD-1\n"), "{md}");
    for heading in [
        "## Problem Statement",
        "## Related Themes",
        "## Customer Quotes",
        "## Next Steps",
    ] {
        assert!(md.contains(heading), "{heading}: {md}");
    }
    assert!(md.contains(&format!("### {}", themes[0]["label"].as_str().unwrap())));
    let (_, other) = app.other_workspace().await;
    let theirs = ok_json(app.get("/tickets/PROD-1/score", &other).await).await;
    assert_eq!(theirs["themes"], json!([]));
}
