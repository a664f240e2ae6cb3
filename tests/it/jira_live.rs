//! The live Jira pull through a wiremock stand-in answering as Jira Cloud's REST API v3 does:
//! the site guard, credentials, paginated searches, ADF descriptions and comments, feedback
//! and roadmap tickets, re-runs that change nothing.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::harness::{TestApp, problem, serve};

const EMAIL: &str = "pm@acme.example";
const TOKEN: &str = "ATATT3xFfGF0-jira-api-token";

fn adf(paragraphs: &[&str]) -> Value {
    json!({"type": "doc", "version": 1, "content": paragraphs.iter().map(|p| json!({
        "type": "paragraph", "content": [{"type": "text", "text": p}]
    })).collect::<Vec<_>>()})
}

fn issue(key: &str, summary: &str, description: Value, extra: Value) -> Value {
    let mut fields = json!({
        "summary": summary, "description": description,
        "status": {"name": "Open", "statusCategory": {"key": "new"}},
        "priority": {"name": "Medium", "id": "3"}, "labels": [],
        "assignee": null, "reporter": {"displayName": "Sam Support", "accountId": "5b10ac8d82e05b22cc7d4ef5"},
        "created": "2026-11-20T10:30:00.000+0000", "updated": "2026-11-21T08:00:00.000+0000",
        "comment": {"comments": [], "maxResults": 0, "total": 0, "startAt": 0}
    });
    for (k, v) in extra.as_object().unwrap() {
        fields[k] = v.clone();
    }
    json!({"id": "10001", "key": key, "self": format!("https://acme.atlassian.net/rest/api/3/issue/{key}"), "fields": fields})
}

async fn mount_jira(server: &MockServer) {
    let basic = format!("Basic {}", STANDARD.encode(format!("{EMAIL}:{TOKEN}")));
    Mock::given(method("GET"))
        .and(path("/rest/api/3/myself"))
        .and(header("authorization", basic.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "accountId": "5b10a2844c20165700ede21g", "emailAddress": EMAIL, "displayName": "Pat PM", "active": true
        })))
        .mount(server)
        .await;
    serve(
        server,
        "GET",
        "/rest/api/3/myself",
        ResponseTemplate::new(401)
            .set_body_string("Client must be authenticated to access this resource."),
    )
    .await;
    let sup1 = issue(
        "SUP-1",
        "Exports time out",
        adf(&["Exports above 30k rows fail after 30 seconds."]),
        json!({"labels": ["customer:Acme_Corp", "export"], "priority": {"name": "High"},
               "comment": {"comments": [{"author": {"displayName": "Ana Diaz"}, "body": adf(&["Still failing for our finance team."]),
                                         "created": "2026-11-21T09:00:00.000+0000"}], "total": 1, "maxResults": 1, "startAt": 0}}),
    );
    let sup2 = issue(
        "SUP-2",
        "Need SAML SSO",
        adf(&["Okta, please."]),
        json!({"labels": ["customer:Globex"]}),
    );
    let prod7 = issue(
        "PROD-7",
        "Asynchronous exports",
        json!({"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Make exports asynchronous:"}]},
            {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "email a link when ready"}]}]}]}
        ]}),
        json!({"status": {"name": "In Review"}, "priority": {"name": "Blocker"}, "parent": {"key": "PROD-1"},
               "customfield_10016": 5.0, "assignee": {"displayName": "Dev Lead"}}),
    );
    serve(
        server,
        "GET",
        "/rest/api/3/search/jql",
        move |req: &Request| {
            let q: std::collections::HashMap<String, String> =
                req.url.query_pairs().into_owned().collect();
            let jql = q.get("jql").cloned().unwrap_or_default();
            let body = if jql.starts_with("project = SUP") {
                if q.get("nextPageToken").map(String::as_str) == Some("CAEaAggD") {
                    json!({"issues": [sup2.clone()], "isLast": true})
                } else {
                    json!({"issues": [sup1.clone()], "nextPageToken": "CAEaAggD", "isLast": false})
                }
            } else {
                json!({"issues": [prod7.clone()], "isLast": true})
            };
            ResponseTemplate::new(200).set_body_json(body)
        },
    )
    .await;
}

async fn put_jira(app: &TestApp, site: &str, token: &str) -> reqwest::Response {
    app.send_json(
        reqwest::Method::PUT,
        "/integrations/jira",
        &app.admin_token,
        &json!({"site_url": site, "email": EMAIL, "api_token": token,
                "feedback_jql": "project = SUP ORDER BY created DESC",
                "roadmap_jql": "project = PROD AND statusCategory != Done"}),
    )
    .await
}

#[tokio::test]
async fn jira_feedback_and_roadmap_issues_are_pulled_from_a_guarded_site() {
    let server = MockServer::start().await;
    mount_jira(&server).await;
    let app = TestApp::builder()
        .env(
            "PRODUCK__INTEGRATIONS__JIRA__ALLOWED_HOSTS",
            "[\"127.0.0.1\"]",
        )
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await;

    // The site guard: https only, and never private, loopback or metadata addresses.
    for site in [
        "http://jira.example.com",
        "https://169.254.169.254",
        "https://10.0.0.5",
        "https://localhost:8443",
        "https://user:pw@acme.atlassian.net",
    ] {
        let body = problem(put_jira(&app, site, TOKEN).await, 400, "jira_refused").await;
        assert!(!body["detail"].as_str().unwrap().is_empty(), "{site}");
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was called"
    );
    // Wrong credentials are refused by Jira and nothing is stored.
    problem(
        put_jira(&app, &server.uri(), "wrong-token-123").await,
        400,
        "jira_refused",
    )
    .await;
    let res = put_jira(&app, &server.uri(), TOKEN).await;
    assert_eq!(res.status(), 200);

    let synced = app
        .post_ok("/integrations/jira/sync", &app.admin_token)
        .await;
    let stats = &synced["stats"];
    assert_eq!(stats["feedback_issues"], 2, "{synced}");
    assert_eq!(stats["feedback_created"], 2);
    assert_eq!(stats["roadmap_issues"], 1);
    assert_eq!(stats["tickets_created"], 1);

    let items: Vec<Value> = app
        .get_body("/feedback?source=jira", &app.admin_token)
        .await;
    let sup1 = items.iter().find(|f| f["source_id"] == "SUP-1").unwrap();
    assert_eq!(
        sup1["text"],
        "Exports time out. Exports above 30k rows fail after 30 seconds.\nAna Diaz: Still failing for our finance team."
    );
    assert_eq!(sup1["account"], "Acme Corp");
    assert_eq!(sup1["created_at"], "2026-11-20T10:30:00Z");
    let answer: Value = app.get_body("/jira/tickets/PROD-7", &app.admin_token).await;
    let ticket = &answer["ticket"];
    assert_eq!(ticket["status"], "IN_PROGRESS", "{ticket}");
    assert_eq!(ticket["priority"], "HIGHEST");
    assert_eq!(
        ticket["description"],
        "Make exports asynchronous:\n- email a link when ready"
    );
    assert_eq!(ticket["epic_key"], "PROD-1");
    assert_eq!(ticket["story_points"], 5);

    // Again, as live ingestion: nothing new, the ticket untouched.
    let again: Value = app
        .post_json("/ingest/jira", &app.admin_token, &json!({"mode": "live"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"], 0, "{again}");
    let integrations: Value = app.get_body("/integrations", &app.admin_token).await;
    assert_eq!(integrations[3]["provider"], "jira");
    assert_eq!(integrations[3]["connected"], true);
    assert_eq!(integrations[3]["account_email"], EMAIL);
    assert!(!integrations.to_string().contains(TOKEN));
}

#[tokio::test]
async fn an_insight_and_its_prd_become_jira_issues_linked_both_ways() {
    let server = MockServer::start().await;
    mount_jira(&server).await;
    // Jira's create-issue endpoint: a new key per issue, and its refusal of an unknown
    // project in the shape Jira answers (errorMessages and per-field errors).
    let created = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(41));
    let site = server.uri();
    serve(&server, "POST", "/rest/api/3/issue", move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        if body["fields"]["project"]["key"] != "PROD" {
            return ResponseTemplate::new(400).set_body_json(json!({
                "errorMessages": [], "errors": {"project": "valid project is required"}
            }));
        }
        let n = created.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ResponseTemplate::new(201).set_body_json(json!({
            "id": format!("100{n}"), "key": format!("PROD-{n}"), "self": format!("{site}/rest/api/3/issue/100{n}")
        }))
    })
    .await;
    let app = TestApp::builder()
        .env(
            "PRODUCK__INTEGRATIONS__JIRA__ALLOWED_HOSTS",
            "[\"127.0.0.1\"]",
        )
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await;
    app.load_demo().await;
    app.wait_all_embedded(std::time::Duration::from_secs(60))
        .await;
    app.cluster().await;
    let res = put_jira(&app, &server.uri(), TOKEN).await;
    assert_eq!(res.status(), 200);
    let board: Vec<Value> = app.get_body("/themes?limit=1", &app.admin_token).await;
    let (id, title) = (
        board[0]["id"].as_str().unwrap(),
        board[0]["title"].as_str().unwrap(),
    );
    let push = |body: Value, token: String| {
        let app = &app;
        async move {
            app.post_json(&format!("/themes/{id}/push-to-jira"), &token, &body)
                .await
        }
    };

    // Jira's refusal is passed on, and nothing is stored.
    let body = problem(
        push(json!({"project_key": "NOPE"}), app.admin_token.clone()).await,
        400,
        "jira_refused",
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("valid project is required"),
        "{body}"
    );
    problem(
        push(json!({"project_key": "prod"}), app.admin_token.clone()).await,
        422,
        "validation_failed",
    )
    .await;
    let res = push(json!({"project_key": "PROD"}), app.admin_token.clone()).await;
    assert_eq!(res.status(), 201);
    let link: Value = res.json().await.unwrap();
    assert_eq!(link["jira_key"], "PROD-42");
    assert_eq!(link["url"], format!("{}/browse/PROD-42", server.uri()));
    assert_eq!(link["kind"], "insight");
    // What Jira received: the insight's title, a document with its evidence and a link back.
    let sent: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/rest/api/3/issue")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let fields = &sent[0]["fields"];
    assert_eq!(fields["summary"], title);
    assert_eq!(fields["issuetype"]["name"], "Story");
    assert_eq!(fields["labels"], json!(["produckai"]));
    assert_eq!(fields["description"]["type"], "doc");
    let text = fields["description"].to_string();
    assert!(
        text.contains(&format!("/app/insights/{id}")) && text.contains("\"link\""),
        "{text}"
    );
    assert!(
        text.contains("Customers") || text.contains("customers"),
        "{text}"
    );

    // The insight shows the issue; the issue is a ticket confirmed against it and scored.
    let detail = app
        .get_json(&format!("/themes/{id}"), &app.admin_token)
        .await;
    assert_eq!(detail["jira_issues"][0]["jira_key"], "PROD-42");
    let ticket = app
        .get_json("/jira/tickets/PROD-42", &app.admin_token)
        .await;
    assert!(
        ticket["voc_score"]["voc_score"].as_f64().unwrap() > 0.0,
        "{ticket}"
    );
    let matched = ticket["matched_insights"].as_array().unwrap();
    assert!(
        matched
            .iter()
            .any(|m| m["insight_id"] == id && m["is_confirmed"] == 1),
        "{ticket}"
    );

    // Once per kind; the PRD is its own issue; viewers may not push.
    problem(
        push(json!({"project_key": "PROD"}), app.admin_token.clone()).await,
        409,
        "conflict",
    )
    .await;
    let res = push(
        json!({"project_key": "PROD", "kind": "prd", "issue_type": "Epic"}),
        app.admin_token.clone(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let prd: Value = res.json().await.unwrap();
    assert_eq!(prd["jira_key"], "PROD-43");
    let viewer = app
        .member_token("viewer@example.com", shared::auth::Role::Viewer)
        .await;
    problem(
        push(json!({"project_key": "PROD"}), viewer).await,
        403,
        "forbidden",
    )
    .await;
    let audit: Value = app
        .get_body(
            "/admin/audit?action=insight.pushed_to_jira",
            &app.admin_token,
        )
        .await;
    assert_eq!(audit["total"], 2);
}
