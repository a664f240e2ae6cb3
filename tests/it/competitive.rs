//! Competitive intelligence through the HTTP API: manual research offline against the demo
//! workspace's customer insights, validation, auto research with and without a model (the
//! model faked with wiremock in the OpenAI chat-completions shape), and the P-score always
//! recomputed by the server.

use chrono::{Duration as Days, Utc};
use serde_json::{Value, json};
use shared::auth::Role;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::harness::{TestApp, assert_mentions, completion, problem, serve_completions};

fn days_ago(n: i64) -> String {
    (Utc::now() - Days::days(n)).format("%Y-%m-%d").to_string()
}

/// A manual research run of `manual_body`, which must answer 200; the session.
async fn manual_research(app: &TestApp) -> Value {
    app.post_json_ok(
        "/competitive/process-manual",
        &app.admin_token,
        &manual_body(),
    )
    .await
}

fn manual_body() -> Value {
    json!({
        "company_name": "ProduckAI",
        "market_scope": "Product Management Software",
        "target_personas": ["Product Managers", "IT admins"],
        "geo_segments": ["NA", "EU"],
        "competitor_data": [
            {"name": "Rival One", "description": "Enterprise work management suite",
             "moves": [
                {"move": "Launched SAML single sign-on with Okta for enterprise accounts",
                 "date": days_ago(10), "source_url": "https://rival.example/blog/saml-sso"},
                {"move": "Redesigned its logo", "date": "2019-05-01"}
             ]},
            {"name": "Rival Two",
             "moves": [{"move": "Released a dark mode for its app", "date": days_ago(120),
                        "source_url": "https://two.example/news/dark-mode"}]}
        ],
        "time_window_months": "12"
    })
}

/// The rubric, recomputed from a card's stored sub-scores.
fn p_score(card: &Value) -> i64 {
    let f = |k: &str| card[k].as_f64().unwrap();
    (30.0 * f("severity_weight")
        + 25.0 * f("urgency_score")
        + 20.0 * f("reach_score")
        + 15.0 * f("confidence_score")
        + 10.0 * f("effort_inverse"))
    .round() as i64
}

async fn json_ok(app: &TestApp, path: &str) -> Value {
    let res = app.get(path, &app.admin_token).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn manual_research_without_a_model_writes_scored_cards_backed_by_customer_feedback() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let session = manual_research(&app).await;
    assert_eq!(session["status"], "completed", "{session}");
    assert_eq!(session["generated_by"], "fallback");
    assert_eq!(session["mode"], "manual");
    assert_eq!(session["cards_dropped"], 0);
    assert_eq!(
        session["competitors_researched"],
        json!(["Rival One", "Rival Two"])
    );
    assert_eq!(
        session["target_personas"],
        json!(["Product Managers", "IT admins"])
    );
    assert_eq!(session["time_window_months"], "12");
    assert!(session["completed_at"].is_string() && session["error_message"].is_null());
    let ids = session["insights_generated"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 3, "one card per move");

    let cards: Vec<Value> = json_ok(&app, "/competitive/insights")
        .await
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(cards.len(), 3);
    assert!(
        cards
            .windows(2)
            .all(|w| w[0]["priority_score"].as_i64() >= w[1]["priority_score"].as_i64())
    );
    for c in &cards {
        assert_eq!(c["priority_score"].as_i64().unwrap(), p_score(c), "{c}");
        assert_eq!(c["scores"]["urgency_score"], c["urgency_score"]);
        assert_eq!(c["generated_by"], "fallback");
        let d = c["description"].as_str().unwrap();
        assert!(
            d.starts_with("Move: ") && d.contains("Expectation: ") && d.contains("Our gap: "),
            "{d}"
        );
    }
    let by_title = |needle: &str| {
        cards
            .iter()
            .find(|c| c["title"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no card about {needle}: {cards:?}"))
            .clone()
    };
    let sso = by_title("SAML");
    assert_eq!(sso["competitor_name"], "Rival One");
    assert_eq!(sso["severity"], "high", "security moves are high severity");
    assert_eq!(sso["urgency_score"], 1.0, "ten days old");
    let evidence = &sso["customer_evidence"];
    assert!(
        evidence["insight_id"].is_string(),
        "our customers ask for SSO: {sso}"
    );
    assert!(evidence["accounts"].as_i64().unwrap() >= 1);
    assert_eq!(sso["est_method"], "customer_feedback_match");
    assert!(sso["impacted_acv_usd"].as_str().unwrap().starts_with('$'));
    assert_mentions(&sso["description"], "already ask for this");
    assert_eq!(
        sso["citations"][0]["url"],
        "https://rival.example/blog/saml-sso"
    );
    assert_eq!(sso["citations"][0]["source"], "provided");
    assert_eq!(sso["citations"][0]["publisher"], "rival.example");
    assert_mentions(&sso["citations"][0]["snippet"], "SAML");
    assert_eq!(
        sso["competitor_moves"][0]["source_url"],
        "https://rival.example/blog/saml-sso"
    );

    let logo = by_title("logo");
    assert_eq!(logo["citations"], json!([]), "no URL, nothing to cite");
    assert!(logo["customer_evidence"].is_null(), "{logo}");
    assert_eq!(logo["impacted_acv_usd"], Value::Null);
    assert_eq!(logo["est_method"], "not_available_manual_input");
    assert_eq!(logo["urgency_score"], 0.25, "older than the window");
    assert!(logo["priority_score"].as_i64() < sso["priority_score"].as_i64());

    let two: Vec<Value> = serde_json::from_value(
        json_ok(&app, "/competitive/insights?competitor_name=rival%20two").await,
    )
    .unwrap();
    assert_eq!(two.len(), 1);
    assert_eq!(two[0]["competitor_name"], "Rival Two");
    let page: Vec<Value> =
        serde_json::from_value(json_ok(&app, "/competitive/insights?limit=1&offset=1").await)
            .unwrap();
    assert_eq!(page[0]["id"], cards[1]["id"]);
    let one = json_ok(
        &app,
        &format!("/competitive/insights/{}", sso["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(one, sso);
    let sessions = json_ok(&app, "/competitive/sessions").await;
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(
        json_ok(
            &app,
            &format!("/competitive/sessions/{}", session["id"].as_str().unwrap())
        )
        .await["insights_generated"],
        session["insights_generated"]
    );

    // Found by search, accepted by the PRD generator, untouched by clustering.
    let hits: Vec<Value> =
        serde_json::from_value(json_ok(&app, "/search?q=logo%20redesigned").await).unwrap();
    assert!(hits.iter().any(|h| h["id"] == logo["id"]), "{hits:?}");
    let prd = json_ok(
        &app,
        &format!("/themes/{}/generate-prd", sso["id"].as_str().unwrap()),
    )
    .await;
    assert!(prd["prd_markdown"].as_str().unwrap().contains("SAML"));
    app.cluster().await;
    let after: Vec<Value> =
        serde_json::from_value(json_ok(&app, "/competitive/insights").await).unwrap();
    assert_eq!(
        after.len(),
        3,
        "clustering never touches competitive insights"
    );
    let board: Vec<Value> = serde_json::from_value(json_ok(&app, "/themes").await).unwrap();
    assert!(
        board.iter().all(|i| !ids.contains(&i["id"])),
        "competitive cards are not customer themes"
    );
}

#[tokio::test]
async fn research_requests_are_validated_authorised_and_scoped() {
    let app = TestApp::with_worker().await;
    let post = |body: Value| {
        let app = &app;
        async move {
            app.post_json("/competitive/process-manual", &app.admin_token, &body)
                .await
        }
    };
    let mut no_moves = manual_body();
    no_moves["competitor_data"] = json!([{"name": "Rival", "moves": []}]);
    let body = problem(post(no_moves).await, 422, "validation_failed").await;
    assert!(
        body.to_string().contains("one card is written per move"),
        "{body}"
    );
    let mut bad_url = manual_body();
    bad_url["competitor_data"][0]["moves"][0]["source_url"] = json!("rival.example/blog");
    problem(post(bad_url).await, 422, "validation_failed").await;
    let mut bad_date = manual_body();
    bad_date["competitor_data"][0]["moves"][0]["date"] = json!("last week");
    problem(post(bad_date).await, 422, "validation_failed").await;
    let mut bad_window = manual_body();
    bad_window["time_window_months"] = json!("forever");
    problem(post(bad_window).await, 422, "validation_failed").await;
    let mut unknown = manual_body();
    unknown["budget"] = json!(5);
    problem(post(unknown).await, 422, "validation_failed").await;
    problem(
        app.get("/competitive/insights?limit=0", &app.admin_token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        app.get_body::<Value>("/competitive/sessions", &app.admin_token)
            .await,
        json!([]),
        "nothing stored for refused requests"
    );

    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;
    problem(
        app.post_json("/competitive/process-manual", &viewer, &manual_body())
            .await,
        403,
        "forbidden",
    )
    .await;

    let ok = post(manual_body()).await;
    assert_eq!(ok.status(), 200);
    let session: Value = ok.json().await.unwrap();
    let card = session["insights_generated"][0]
        .as_str()
        .unwrap()
        .to_owned();
    // A viewer reads; another workspace sees nothing.
    assert_eq!(
        app.get("/competitive/insights", &viewer).await.status(),
        200
    );
    let (_, other) = app.other_workspace().await;
    problem(
        app.get(
            &format!("/competitive/sessions/{}", session["id"].as_str().unwrap()),
            &other,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    problem(
        app.get(&format!("/competitive/insights/{card}"), &other)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_body::<Value>("/competitive/insights", &other).await,
        json!([])
    );
    problem(
        app.get(
            &format!("/competitive/insights/{}", uuid::Uuid::now_v7()),
            &app.admin_token,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn auto_research_needs_a_model_and_stores_nothing_without_one() {
    let app = TestApp::with_worker().await;
    let res = app
        .post_json(
            "/competitive/process-auto",
            &app.admin_token,
            &json!({"company_name": "ProduckAI", "market_scope": "PM software", "competitor_names": ["Rival"]}),
        )
        .await;
    let body = problem(res, 400, "not_configured").await;
    assert_mentions(&body["detail"], "competitive_analyst");
    assert_eq!(
        app.get_body::<Value>("/competitive/sessions", &app.admin_token)
            .await,
        json!([])
    );
}

fn model_card(title: &str) -> Value {
    json!({
        "title": title,
        "summary": "Rival added AI-generated release notes for every plan.",
        "impact": "PMs comparing tools will expect automated release notes.",
        "recommendation": "Prototype release-note drafting in our PRD generator.",
        "competitor_name": "Rival",
        "competitor_moves": [{"move": "Shipped AI release notes", "date": "2025-01-10", "source_url": null}],
        "severity": "High", "effort": "medium",
        "urgency_score": 0.8, "reach_score": 0.5, "confidence_score": "0.6",
        "evidence_count": "2 sources",
        "priority_score": 99,
        "citations": [
            {"title": "Rival changelog", "url": "https://rival.example/changelog", "publisher": "rival.example",
             "published_date": "2025-01-10", "snippet": "AI release notes are here"},
            {"title": "Analyst note", "url": null, "publisher": null, "published_date": null, "snippet": "From memory"}
        ]
    })
}

#[tokio::test]
async fn auto_research_keeps_valid_model_cards_drops_malformed_ones_and_recomputes_the_p_score() {
    let server = MockServer::start().await;
    let mut malformed = model_card("Broken card");
    malformed["severity"] = json!("apocalyptic");
    let reply = format!(
        "Here are the cards:\n```json\n{}\n```",
        json!([model_card("AI release notes"), malformed])
    );
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(&reply)))
        .expect(1)
        .mount(&server)
        .await;
    let app = TestApp::with_fake_llm(&server.uri(), &["competitive_analyst"], &[]).await;
    let session = app.post_json_ok("/competitive/process-auto",
            &app.admin_token,
            &json!({"company_name": "ProduckAI", "market_scope": "PM software", "competitor_names": ["Rival"],
                    "time_window_months": 6}),).await;
    assert_eq!(session["status"], "completed", "{session}");
    assert_eq!(session["generated_by"], "llm");
    assert_eq!(session["cards_dropped"], 1);
    assert_eq!(
        session["target_personas"],
        json!(["Product Managers", "Product Leaders", "Engineering"])
    );
    assert_eq!(session["time_window_months"], "6");
    assert_eq!(session["insights_generated"].as_array().unwrap().len(), 1);

    let cards: Vec<Value> =
        serde_json::from_value(json_ok(&app, "/competitive/insights").await).unwrap();
    assert_eq!(cards.len(), 1, "the malformed card is not stored");
    let c = &cards[0];
    assert_eq!(c["title"], "AI release notes");
    assert_eq!(c["generated_by"], "llm");
    // 30*1 + 25*0.8 + 20*0.5 + 15*0.6 + 10*0.5 = 74, not the model's 99.
    assert_eq!(c["priority_score"], 74);
    assert_eq!(c["priority_score"].as_i64().unwrap(), p_score(c));
    assert_eq!(c["severity"], "high");
    assert_eq!(c["est_method"], "not_available_web_only");
    assert_eq!(
        c["impacted_acv_usd"],
        Value::Null,
        "a model's ACV is never taken"
    );
    assert_eq!(c["citations"][0]["source"], "web");
    assert_eq!(c["citations"][1]["source"], "model_knowledge");
    assert_eq!(c["citations"][1]["url"], Value::Null);

    // The prompt told the model it cannot search the web, and the call is in the run log.
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    let task = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        task.contains("no web search") && task.contains("Rival"),
        "{task}"
    );
    let runs: Value = json_ok(&app, "/admin/runs?agent=competitive_analyst").await;
    assert_eq!(runs["total"], 1, "{runs}");
}

#[tokio::test]
async fn manual_research_falls_back_to_the_rules_when_the_model_fails() {
    let server = MockServer::start().await;
    serve_completions(
        &server,
        ResponseTemplate::new(200).set_body_json(completion("I would rather not.")),
    )
    .await;
    let app = TestApp::with_fake_llm(&server.uri(), &["competitive_analyst"], &[]).await;
    let session = manual_research(&app).await;
    assert_eq!(session["status"], "completed");
    assert_eq!(session["generated_by"], "fallback");
    assert_mentions(&session["fallback_reason"], "no JSON array");
    assert_eq!(session["insights_generated"].as_array().unwrap().len(), 3);
}
