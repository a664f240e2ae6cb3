use std::{collections::BTreeSet, time::Duration};

use serde_json::{Value, json};
use shared::auth::Role;
use worker::JobRegistry;

use crate::harness::{TestApp, assert_mentions, completion, problem, serve_completions};

/// A new account asking for what the demo's SSO theme is about.
const NEW_SSO_FEEDBACK: &str = "feedback,customer,acv\nWe cannot roll out without SAML single sign-on through Okta,Umbrella Corp,500000\n";

async fn themes(app: &TestApp, query: &str) -> Vec<Value> {
    serde_json::from_value(
        app.get_json(&format!("/themes{query}"), &app.admin_token)
            .await,
    )
    .expect("a list")
}

#[tokio::test]
async fn demo_feedback_becomes_labelled_themes_with_stable_ids() {
    let app = TestApp::demo().await;
    let idle: Value = app.get_body("/cluster/status", &app.admin_token).await;
    assert_eq!(idle["status"], "idle");
    let status = app.cluster().await;
    assert_eq!(status["status"], "completed");
    assert!(status["coverage"].as_f64().unwrap() >= 0.8, "{status}");
    let list = themes(&app, "?limit=100").await;
    assert!(list.len() >= 6, "{} themes", list.len());
    assert_eq!(status["themes_created"], list.len());
    let labels: Vec<String> = list
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_lowercase())
        .collect();
    for topic in ["saml", "dark", "csv"] {
        assert!(
            labels.iter().any(|l| l.contains(topic)),
            "no theme about {topic}: {labels:?}"
        );
    }
    // Labels never name customers.
    assert!(
        labels
            .iter()
            .all(|l| !l.contains("acme") && !l.contains("northwind")),
        "{labels:?}"
    );
    let sso = list
        .iter()
        .find(|t| t["title"].as_str().unwrap().to_lowercase().contains("saml"))
        .unwrap();
    assert!(
        sso["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["segment"] == "ENT")
    );
    assert!(sso["total_acv"].as_f64().unwrap() > 200_000.0);
    assert_eq!(sso["generated_by"], "fallback");
    let score = sso["metrics"]["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    // Priorities are sorted, ties by id.
    let priorities: Vec<i64> = list
        .iter()
        .map(|t| t["priority_score"].as_i64().unwrap())
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "{priorities:?}"
    );

    // Detail: key quotes from different customers, then supporting feedback.
    let detail: Value = app
        .get(
            &format!("/themes/{}", sso["id"].as_str().unwrap()),
            &app.admin_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let quotes = detail["key_quotes"].as_array().unwrap();
    assert!(!quotes.is_empty() && quotes.len() <= 3);
    let accounts: BTreeSet<&str> = quotes
        .iter()
        .filter_map(|q| q["account"].as_str())
        .collect();
    assert_eq!(
        accounts.len(),
        quotes.len(),
        "key quotes spread across customers"
    );
    assert_eq!(
        quotes.len() + detail["supporting_feedback"].as_array().unwrap().len(),
        sso["feedback_count"].as_u64().unwrap() as usize
    );

    // A second run keeps theme and insight ids.
    let before: BTreeSet<String> = list
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    app.cluster().await;
    let after: BTreeSet<String> = themes(&app, "?limit=100")
        .await
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    let kept = before.intersection(&after).count();
    assert!(
        kept * 10 >= before.len() * 8,
        "only {kept} of {} insight ids survived",
        before.len()
    );
}

#[tokio::test]
async fn concurrent_runs_start_one_job() {
    let app = TestApp::demo().await;
    let post = || {
        app.http
            .post(app.url("/cluster/run"))
            .bearer_auth(&app.admin_token)
            .send()
    };
    let (a, b) = tokio::join!(post(), post());
    let (a, b): (Value, Value) = (
        a.unwrap().json().await.unwrap(),
        b.unwrap().json().await.unwrap(),
    );
    let statuses: BTreeSet<&str> = [a["status"].as_str().unwrap(), b["status"].as_str().unwrap()]
        .into_iter()
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["accepted", "already_running"]),
        "{a} {b}"
    );
    assert_eq!(a["task_id"], b["task_id"]);
}

#[tokio::test]
async fn too_little_feedback_leaves_themes_untouched() {
    let app = TestApp::with_worker().await;
    let run: Value = app.post_body("/cluster/run", &app.admin_token).await;
    let job = app
        .wait_job(
            run["task_id"].as_str().unwrap().parse().unwrap(),
            Duration::from_secs(30),
        )
        .await;
    let result = job.result.unwrap();
    assert_eq!(result["status"], "not_enough_feedback");
    assert_mentions(&result["message"], "not enough feedback");
    assert!(themes(&app, "").await.is_empty());
}

#[tokio::test]
async fn weights_are_validated_persisted_and_rescore() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let config: Value = app.get_body("/admin/config", &app.admin_token).await;
    assert_eq!(config["weights"]["freq_30d"], 0.35);
    assert_mentions(&config["priority_formula"], "theme_score");
    let before: Vec<(String, f64)> = themes(&app, "?limit=100")
        .await
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["metrics"]["score"].as_f64().unwrap(),
            )
        })
        .collect();

    problem(
        app.post_json(
            "/admin/weights",
            &app.admin_token,
            &json!({"weights": {"freq_30d": 1.5}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.post_json(
            "/admin/weights",
            &app.admin_token,
            &json!({"weights": {"popularity": 0.5}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let editor = app.member_token("ed@example.com", Role::Editor).await;
    problem(
        app.post_json(
            "/admin/weights",
            &editor,
            &json!({"weights": {"trend": 0.5}}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;

    let res: Value = app
        .post_json(
            "/admin/weights",
            &app.admin_token,
            &json!({"weights": {"freq_30d": 0.0, "acv_sum": 1.0, "segment": 0.0}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["weights"]["acv_sum"], 1.0);
    let job = app
        .wait_job(
            res["task_id"].as_str().unwrap().parse().unwrap(),
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(job.status, "completed");
    let config: Value = app.get_body("/admin/config", &app.admin_token).await;
    assert_eq!(config["weights"]["acv_sum"], 1.0);
    assert_eq!(
        config["weights"]["trend"], 0.1,
        "absent keys keep their value"
    );
    let after = themes(&app, "?limit=100").await;
    let changed = before
        .iter()
        .filter(|(id, s)| {
            after.iter().any(|t| {
                t["id"] == id.as_str() && (t["metrics"]["score"].as_f64().unwrap() - s).abs() > 1e-6
            })
        })
        .count();
    assert!(changed > 0, "re-scoring changed no score");
    assert_eq!(after.len(), before.len(), "re-scoring does not re-cluster");
}

#[tokio::test]
async fn theme_queries_are_validated_filtered_and_scoped() {
    let app = TestApp::demo().await;
    app.cluster().await;
    for bad in [
        "?sort_by=popularity",
        "?filter=hot",
        "?limit=101",
        "?limit=0",
        "?severity=urgent",
        "?segments=ent",
        "?effort=huge",
        "?priority_min=101",
    ] {
        problem(
            app.get(&format!("/themes{bad}"), &app.admin_token).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let all = themes(&app, "?limit=100").await;
    let high = themes(&app, "?severity=high&severity=critical&limit=100").await;
    assert!(
        high.iter()
            .all(|t| ["high", "critical"].contains(&t["severity"].as_str().unwrap()))
    );
    let ent = themes(&app, "?segments=ENT&limit=100").await;
    assert!(ent.iter().all(|t| {
        t["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["segment"] == "ENT")
    }));
    let smb_or_mm = themes(&app, "?segments=SMB,MM&limit=100").await;
    assert!(!smb_or_mm.is_empty());
    for (sort, key) in [("score", "score"), ("trend", "trend")] {
        let sorted = themes(&app, &format!("?sort_by={sort}&limit=100")).await;
        let values: Vec<f64> = sorted
            .iter()
            .map(|t| t["metrics"][key].as_f64().unwrap())
            .collect();
        assert!(
            values.windows(2).all(|w| w[0] >= w[1]),
            "{sort}: {values:?}"
        );
    }
    let by_created = themes(&app, "?sort_by=created_at&limit=100").await;
    let created: Vec<&str> = by_created
        .iter()
        .map(|t| t["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(
        themes(&app, "?sort_by=score&limit=100").await,
        themes(&app, "?sort_by=score&limit=100").await,
        "deterministic"
    );
    let bounded = themes(&app, "?priority_min=70&priority_max=90&limit=100").await;
    assert!(
        bounded
            .iter()
            .all(|t| (70..=90).contains(&t["priority_score"].as_i64().unwrap()))
    );
    let low_effort = themes(&app, "?effort=low&limit=100").await;
    assert!(low_effort.iter().all(|t| t["effort"] == "low"));
    let blockers = themes(&app, "?filter=enterprise_blockers&limit=100").await;
    assert!(blockers.iter().all(|t| t["severity"] == "critical"
        || (t["severity"] == "high" && t["metrics"]["acv_sum"].as_f64().unwrap() >= 50_000.0)));
    assert_eq!(counts_of(&app, "enterprise_blockers").await, blockers.len());
    let page1 = themes(&app, "?limit=2&offset=0&sort_by=score").await;
    let page2 = themes(&app, "?limit=2&offset=2&sort_by=score").await;
    assert!(
        page1
            .iter()
            .all(|a| page2.iter().all(|b| a["id"] != b["id"]))
    );
    let counts: Value = app
        .get_body("/themes/filter-counts", &app.admin_token)
        .await;
    let hp = themes(&app, "?filter=high_priority&limit=100").await;
    assert_eq!(counts["high_priority"], hp.len());
    assert!(hp.len() <= all.len());
    let (_, other) = app.other_workspace().await;
    assert!(
        app.get("/themes", &other)
            .await
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .is_empty()
    );
    problem(
        app.get(
            &format!("/themes/{}", all[0]["id"].as_str().unwrap()),
            &other,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

async fn counts_of(app: &TestApp, filter: &str) -> usize {
    let counts: Value = app
        .get_body("/themes/filter-counts", &app.admin_token)
        .await;
    counts[filter].as_u64().unwrap() as usize
}

#[tokio::test]
async fn search_and_customer_views_cover_feedback_and_insights() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let hits: Vec<Value> = app
        .get_body("/search?q=saml%20sso&limit=10", &app.admin_token)
        .await;
    assert!(!hits.is_empty());
    let kinds: BTreeSet<&str> = hits.iter().map(|h| h["type"].as_str().unwrap()).collect();
    assert!(
        kinds.contains("feedback") && (kinds.contains("insight") || kinds.contains("theme")),
        "{kinds:?}"
    );
    assert!(
        hits.windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64())
    );
    assert!(
        hits.iter()
            .any(|h| h["snippet"].as_str().unwrap().contains("**")),
        "snippets highlight the match"
    );
    problem(
        app.get("/search?q=a", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
    problem(
        app.get("/search", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
    let none: Vec<Value> = app
        .get_body("/search?q=zebra%20xylophone", &app.admin_token)
        .await;
    assert!(none.is_empty());
    let (_, other) = app.other_workspace().await;
    assert!(
        app.get("/search?q=saml", &other)
            .await
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .is_empty()
    );

    let customers: Value = app.get_body("/customers", &app.admin_token).await;
    assert!(customers["total_customers"].as_u64().unwrap() >= 6);
    let first = &customers["customers"][0];
    assert!(first["insight_count"].as_i64().unwrap() >= 1);
    let name = first["name"].as_str().unwrap();
    let insights: Value = app
        .get(
            &format!(
                "/customers/{}/insights",
                name.to_uppercase().replace(' ', "%20")
            ),
            &app.admin_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(insights["customer"], name);
    assert_eq!(insights["count"], first["insight_count"]);
    let unknown: Value = app
        .get_body("/customers/Nobody%20Inc/insights", &app.admin_token)
        .await;
    assert_eq!(unknown["count"], 0);
}

#[tokio::test]
async fn the_language_model_writes_labels_and_insights_and_bad_replies_fall_back() {
    use wiremock::{MockServer, Request, ResponseTemplate};
    let server = MockServer::start().await;
    serve_completions(&server, |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let system = body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let user = body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if system.contains("Name the customer problem") {
            let first = user
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("Keywords: ")
                .split(',')
                .next()
                .unwrap_or("x")
                .trim()
                .to_owned();
            return ResponseTemplate::new(200).set_body_json(completion(&format!("LLM {first}")));
        }
        let ctx: Value = serde_json::from_str(&user).unwrap();
        if ctx["keywords"].to_string().contains("dark mode") {
            // A malformed reply: prose instead of JSON.
            return ResponseTemplate::new(200)
                .set_body_json(completion("Sorry, I can't summarise this."));
        }
        let first_id = ctx["feedback"][0]["id"].as_str().unwrap().to_owned();
        let insight = json!({
            "title": format!("{} (model)", ctx["theme"].as_str().unwrap()),
            "description": "Customers describe the problem consistently.",
            "impact": "Blocks expansion at several accounts.",
            "recommendation": "Ship the fix next quarter.",
            "severity": "critical", "effort": "low", "key_quote_ids": [first_id]
        });
        ResponseTemplate::new(200).set_body_json(completion(&format!("```json\n{insight}\n```")))
    })
    .await;
    let app =
        TestApp::with_fake_llm(&server.uri(), &["insight_writer", "theme_labeller"], &[]).await;
    app.load_demo().await;
    app.wait_all_embedded(Duration::from_secs(60)).await;
    app.cluster().await;
    let list = themes(&app, "?limit=100").await;
    assert!(
        list.iter()
            .all(|t| t["title"].as_str().unwrap().starts_with("LLM ")),
        "labels from the labeller"
    );
    let by_llm: Vec<&Value> = list.iter().filter(|t| t["generated_by"] == "llm").collect();
    let fallback: Vec<&Value> = list
        .iter()
        .filter(|t| t["generated_by"] == "fallback")
        .collect();
    assert!(!by_llm.is_empty() && !fallback.is_empty(), "{list:?}");
    assert!(
        by_llm
            .iter()
            .all(|t| t["severity"] == "critical"
                && t["title"].as_str().unwrap().ends_with("(model)"))
    );
    assert!(
        fallback
            .iter()
            .all(|t| t["keywords"].to_string().contains("dark mode"))
    );
    assert!(
        fallback
            .iter()
            .all(|t| t["title"].as_str().unwrap().starts_with("LLM ")),
        "the label still came from the labeller"
    );
    let status: Value = app.get_body("/cluster/status", &app.admin_token).await;
    assert_eq!(status["status"], "completed");
    // The clustering job's model calls are in the run log, charged to the member who asked
    // for the run (their daily token budget applies).
    let me = app.get_json("/auth/me", &app.admin_token).await;
    let requester = format!("user:{}", me["user"]["id"].as_str().unwrap());
    for agent in ["theme_labeller", "insight_writer"] {
        let runs: Value = app
            .get_body(&format!("/admin/runs?agent={agent}"), &app.admin_token)
            .await;
        assert!(runs["total"].as_i64().unwrap() > 0, "{agent}: {runs}");
        assert_eq!(runs["items"][0]["owner"], requester.as_str());
    }
}

#[tokio::test]
async fn new_feedback_joins_its_theme_between_runs() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let find_sso = |list: &[Value]| {
        list.iter()
            .find(|t| t["keywords"].to_string().contains("saml"))
            .cloned()
            .unwrap()
    };
    let before = find_sso(&themes(&app, "?limit=100").await);
    app.upload_ok("new.csv", NEW_SSO_FEEDBACK).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = find_sso(&themes(&app, "?limit=100").await);
        if now["feedback_count"].as_i64() > before["feedback_count"].as_i64() {
            assert!(
                now["customers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["name"] == "Umbrella Corp"),
                "{now}"
            );
            assert!(now["total_acv"].as_f64().unwrap() > before["total_acv"].as_f64().unwrap());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "new feedback was not attached"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_run_right_after_an_ingest_embeds_first_and_clusters_everything() {
    use shared::services::jobs::contract::{Cluster, DemoLoad};
    // No embed worker: only the cluster run itself can embed the new feedback.
    let registry = JobRegistry::empty()
        .handle::<DemoLoad, _, _>(worker::handlers::demo_load::run)
        .handle::<Cluster, _, _>(worker::handlers::cluster::run);
    let app = TestApp::builder().workers(1, registry).spawn().await;
    app.load_demo().await;
    let pending =
        shared::services::embedding::pending(app.db(), app.workspace_id, "all-MiniLM-L6-v2")
            .await
            .unwrap();
    assert!(
        pending > 0,
        "the demo must still be unembedded for this test to mean anything"
    );
    let status = app.cluster().await;
    let id: uuid::Uuid = status["task_id"].as_str().unwrap().parse().unwrap();
    let job = shared::services::jobs::get(app.db(), app.workspace_id, id)
        .await
        .unwrap();
    let result = job.result.unwrap_or_default();
    assert_eq!(result["embedded_before_clustering"], pending, "{result}");
    assert!(result["themes"].as_u64().unwrap_or(0) > 0, "{result}");
    assert_eq!(
        result["items"], pending,
        "every item was clustered: {result}"
    );
    assert!(!themes(&app, "").await.is_empty());
}

#[tokio::test]
async fn offline_insights_read_like_an_analyst_wrote_them() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let list = themes(&app, "?limit=100").await;
    let mut titles = BTreeSet::new();
    for t in &list {
        assert_eq!(t["generated_by"], "fallback");
        let title = t["title"].as_str().unwrap();
        assert!(
            titles.insert(title.to_lowercase()),
            "two insights are titled {title:?}"
        );
        assert!(title.chars().count() <= 60, "{title}");
        assert!(
            !title.contains(", ") || title.split(' ').count() > 4,
            "keyword list: {title}"
        );
        let detail: Value = app
            .get(
                &format!("/themes/{}?supporting_limit=100", t["id"].as_str().unwrap()),
                &app.admin_token,
            )
            .await
            .json()
            .await
            .unwrap();
        let members: Vec<String> = ["key_quotes", "supporting_feedback"]
            .iter()
            .flat_map(|k| detail[*k].as_array().unwrap().clone())
            .map(|q| q["text"].as_str().unwrap().to_lowercase())
            .collect();
        let phrase = title.to_lowercase();
        assert!(
            members.iter().any(|m| m.contains(&phrase)),
            "{title:?} is not a phrase from any member of its theme"
        );
        for field in ["title", "description", "impact", "recommendation"] {
            let text = t[field].as_str().unwrap();
            assert!(
                !text.contains("##") && !text.contains("**"),
                "{field}: {text}"
            );
        }
        for q in detail["key_quotes"].as_array().unwrap() {
            let text = q["text"].as_str().unwrap();
            assert!(
                !text.trim_start().starts_with('#'),
                "quote starts with a heading: {text}"
            );
        }
        let description = t["description"].as_str().unwrap();
        assert!(
            description.contains('"'),
            "a description quotes customers: {description}"
        );
        let impact = t["impact"].as_str().unwrap();
        assert!(impact.contains("annual contract value"), "{impact}");
        for name in ["acme", "northwind", "globex", "helios"] {
            assert!(!title.to_lowercase().contains(name), "{title}");
        }
    }
}

#[tokio::test]
async fn clustering_attaching_and_rescoring_never_trip_over_each_other() {
    use sea_orm::ConnectionTrait;
    use shared::{jobs::CancelFlag, services::themes as svc};
    let app = TestApp::builder()
        .env("PRODUCK__DATABASE__MAX_CONNECTIONS", "20")
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    app.load_demo().await;
    app.wait_all_embedded(Duration::from_secs(60)).await;
    app.cluster().await;
    let (db, ws, model) = (app.db(), app.workspace_id, "all-MiniLM-L6-v2");
    let threshold = app.settings.clustering.attach_threshold;
    let cancel = CancelFlag::new();
    let busy = std::sync::atomic::AtomicBool::new(true);
    let accounts = shared::services::customers::list(
        db,
        ws,
        shared::services::Page {
            limit: 100,
            offset: 0,
        },
    )
    .await
    .unwrap();
    // Re-scoring, attaching and account edits hammer the workspace while it is re-clustered
    // again and again.
    let hammer = async {
        let mut passes = 0;
        while busy.load(std::sync::atomic::Ordering::Relaxed) {
            db.execute_unprepared(
                "DELETE FROM feedback_themes WHERE feedback_id IN (SELECT id FROM feedback ORDER BY random() LIMIT 5)",
            )
            .await
            .unwrap();
            let account = &accounts[passes % accounts.len()];
            let edit = shared::services::customers::CustomerPatch {
                acv: Some(10_000.0 * (passes + 1) as f64),
                ..Default::default()
            };
            let (r, a, e) = tokio::join!(
                svc::refresh_metrics(db, ws),
                svc::attach_new(db, ws, model, threshold),
                shared::services::customers::update(db, ws, account.id, edit)
            );
            r.expect("re-scoring failed");
            a.expect("attaching failed");
            e.expect("the account edit failed");
            passes += 1;
        }
        passes
    };
    let runs = async {
        for _ in 0..6 {
            let (a, b) = tokio::join!(
                svc::run_clustering(
                    db,
                    ws,
                    model,
                    app.settings.clustering.params(),
                    None,
                    &cancel,
                    |_, _| async {}
                ),
                svc::refresh_metrics(db, ws)
            );
            assert_eq!(a.expect("clustering failed").status, "completed");
            b.expect("re-scoring failed");
        }
        busy.store(false, std::sync::atomic::Ordering::Relaxed);
    };
    let (passes, ()) = tokio::join!(hammer, runs);
    assert!(passes > 5, "the hammer ran {passes} passes");
    // Whatever interleaving happened, the stored state is consistent.
    let orphans = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM themes t WHERE t.size <> (SELECT count(*) FROM feedback_themes ft WHERE ft.theme_id = t.id)",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(orphans, 0, "theme sizes match their links");
    // Every pass ended with a refresh under the lock, after its own raw deletes.
    assert_cards_fresh(&app, "the hammering").await;
}

#[tokio::test]
async fn an_account_edit_waits_for_a_theme_writer_instead_of_overwriting_its_cards() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use shared::services::{customers, themes as svc};
    let app = TestApp::demo().await;
    app.cluster().await;
    let (db, ws) = (app.db(), app.workspace_id);
    // A theme writer mid-transaction: one feedback item leaves its theme, the cards are
    // refreshed under the workspace's lock, and the commit is still to come.
    let writer = db.begin().await.unwrap();
    let unlinked = writer
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "DELETE FROM feedback_themes WHERE feedback_id = (SELECT ft.feedback_id FROM feedback_themes ft \
             JOIN insights i ON i.theme_id = ft.theme_id WHERE i.workspace_id = $1 ORDER BY ft.feedback_id LIMIT 1)",
            [ws.into()],
        ))
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(unlinked, 1);
    svc::after_evidence_changed(&writer, ws).await.unwrap();
    // An account edit meanwhile: computed now, its cards would miss the unlinked item and
    // overwrite the writer's once it commits.
    let account = customers::list(
        db,
        ws,
        shared::services::Page {
            limit: 1,
            offset: 0,
        },
    )
    .await
    .unwrap()
    .remove(0);
    let edit = {
        let db = db.clone();
        tokio::spawn(async move {
            let patch = customers::CustomerPatch {
                acv: Some(31_337.0),
                ..Default::default()
            };
            customers::update(&db, ws, account.id, patch).await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    writer.commit().await.unwrap();
    edit.await.unwrap().expect("the account edit");
    assert_cards_fresh(&app, "an account edit racing a theme writer").await;
}

/// The stored board cards equal a from-scratch recomputation. The worker may attach or
/// re-score at any moment, so each comparison reads its two sides from one snapshot.
async fn assert_cards_fresh(app: &TestApp, after: &str) {
    use sea_orm::ConnectionTrait;
    // One statement, one snapshot: stored cards and the recomputation side by side. The
    // stored score evidence (the ACV sum it weighed) must agree with the card's total too.
    let sql = format!(
        "SELECT 'stored' AS side, i.id, i.feedback_count, i.customers, i.total_acv, coalesce(m.acv_sum, 0)::float8 AS scored_acv \
         FROM insights i LEFT JOIN theme_metrics m ON m.theme_id = i.theme_id WHERE i.workspace_id = $1 \
         UNION ALL SELECT 'fresh', id, feedback_count, customers, total_acv, total_acv FROM ({}) x",
        shared::services::themes::cards::CARD_AGGREGATE
    );
    let rows = app
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            [app.workspace_id.into()],
        ))
        .await
        .unwrap();
    let mut stored = Vec::new();
    let mut fresh = Vec::new();
    for r in &rows {
        let card = (
            r.try_get::<uuid::Uuid>("", "id").unwrap(),
            r.try_get::<i32>("", "feedback_count").unwrap(),
            r.try_get::<Value>("", "customers").unwrap(),
            (r.try_get::<f64>("", "total_acv").unwrap() * 100.0).round() as i64,
            (r.try_get::<f64>("", "scored_acv").unwrap() * 100.0).round() as i64,
        );
        match r.try_get::<String>("", "side").unwrap().as_str() {
            "stored" => stored.push(card),
            _ => fresh.push(card),
        }
    }
    stored.sort_by_key(|c| c.0);
    fresh.sort_by_key(|c| c.0);
    assert!(!stored.is_empty(), "no insights after {after}");
    assert_eq!(stored, fresh, "stale board cards after {after}");
    // What the API serves (a rendering reused while the board version holds) equals the
    // board read afresh. A served page bracketed by two equal direct reads saw no change
    // in between, so it must equal them; when the worker changed the board meanwhile, the
    // bracket is taken again.
    let query = shared::services::themes::board::BoardQuery {
        sort_by: "priority".into(),
        page: Some(shared::services::Page {
            limit: 100,
            offset: 0,
        }),
        ..Default::default()
    };
    let direct = || async {
        let list = shared::services::themes::board::list(app.db(), app.workspace_id, &query)
            .await
            .unwrap();
        // Through text, as served: f32 metrics print in their shortest form.
        serde_json::from_str::<Value>(&serde_json::to_string(&list).unwrap()).unwrap()
    };
    for attempt in 0.. {
        let before = direct().await;
        let served = Value::Array(themes(app, "?limit=100").await);
        let after_read = direct().await;
        if before == after_read {
            assert_eq!(served, before, "the served board is stale after {after}");
            return;
        }
        assert!(attempt < 50, "the board never held still after {after}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_board_answers_304_until_it_changes() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let first = app.get("/themes", &app.admin_token).await;
    assert_eq!(first.status(), 200);
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    let conditional = |tag: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url("/themes"))
                .bearer_auth(&app.admin_token)
                .header("if-none-match", tag)
                .send()
                .await
                .unwrap()
        }
    };
    let same = conditional(tag.clone()).await;
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["etag"].to_str().unwrap(), tag);
    assert_eq!(
        conditional(format!("W/{tag}, \"other\"")).await.status(),
        304
    );
    assert_eq!(conditional("\"other\"".into()).await.status(), 200);

    // A change to one insight's card (its customer's ACV) moves the tag.
    let customer = body[0]["customers"][0]["id"].as_str().unwrap();
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{customer}"),
            &app.admin_token,
            &json!({"acv": 4242.0}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed = conditional(tag.clone()).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
    let body: Value = changed.json().await.unwrap();
    assert!(
        body.as_array().unwrap().iter().any(|t| t["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == customer && c["acv"] == 4242.0)),
        "{body}"
    );
}

#[tokio::test]
async fn board_cards_stay_equal_to_a_recomputation_after_every_kind_of_change() {
    let app = TestApp::demo().await;
    app.cluster().await;
    assert_cards_fresh(&app, "clustering").await;

    // Attaching new feedback (with a new customer) between runs.
    app.upload_ok("new.csv", NEW_SSO_FEEDBACK).await;
    app.wait_all_embedded(Duration::from_secs(30)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !themes(&app, "?limit=100").await.iter().any(|t| {
        t["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Umbrella Corp")
    }) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new feedback was never attached"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_cards_fresh(&app, "attaching").await;

    // Re-scoring with new weights.
    let res = app
        .post_json(
            "/admin/weights",
            &app.admin_token,
            &json!({"weights": {"acv_sum": 0.9}}),
        )
        .await;
    assert!(res.status().is_success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let jobs: Value = app.get_body("/jobs?kind=rescore", &app.admin_token).await;
        if jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["status"] == "completed")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "rescore did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_cards_fresh(&app, "re-scoring").await;

    // A customer edit changes names and ACV on the cards.
    let customers: Value = app.get_body("/customers/all", &app.admin_token).await;
    let id = customers[0]["id"].as_str().unwrap();
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/customers/{id}"),
            &app.admin_token,
            &json!({"name": "Renamed Account", "acv": 123456.0}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_cards_fresh(&app, "a customer edit").await;
    assert!(themes(&app, "?limit=100").await.iter().any(|t| {
        t["customers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Renamed Account")
    }));

    // Deleting a themed feedback item.
    let list = themes(&app, "?limit=100").await;
    let detail: Value = app
        .get(
            &format!("/themes/{}", list[0]["id"].as_str().unwrap()),
            &app.admin_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let victim = detail["key_quotes"][0]["id"].as_str().unwrap();
    let res = app
        .delete(&format!("/feedback/{victim}"), &app.admin_token)
        .await;
    assert!(res.status().is_success());
    assert_cards_fresh(&app, "a feedback deletion").await;
    let after = themes(&app, "?limit=100").await;
    let same = after.iter().find(|t| t["id"] == list[0]["id"]).unwrap();
    assert_eq!(
        same["feedback_count"].as_i64().unwrap(),
        list[0]["feedback_count"].as_i64().unwrap() - 1
    );

    // An ingest that brings a new ACV for a known customer.
    app.upload_ok(
        "acv.csv",
        "feedback,customer,acv\nExports are still slow for us,Renamed Account,999000\n",
    )
    .await;
    assert_cards_fresh(&app, "an ingest changing an ACV").await;
}

#[tokio::test]
async fn an_exact_phrase_ranks_first_even_among_thousands_of_matches() {
    use shared::services::{feedback, workspaces};
    let app = TestApp::spawn().await;
    let ws = workspaces::get(app.db(), app.workspace_id).await.unwrap();
    let mut items: Vec<feedback::NewFeedback> = (0..2600)
        .map(|i| feedback::NewFeedback {
            source: "api",
            source_id: format!("noise-{i}"),
            text: format!("The card I used for order {i} was eventually declined by the bank after a long wait"),
            meta: json!({}),
            ..Default::default()
        })
        .collect();
    items.push(feedback::NewFeedback {
        source: "api",
        source_id: "phrase".into(),
        text: "Card declined at checkout with no explanation".into(),
        meta: json!({}),
        ..Default::default()
    });
    feedback::ingest(app.db(), &ws, items).await.unwrap();
    let hits: Vec<Value> = app
        .get_body("/search?q=card%20declined&limit=5", &app.admin_token)
        .await;
    assert_eq!(hits.len(), 5);
    let first = hits[0]["snippet"].as_str().unwrap();
    assert!(
        first.contains("**Card** **declined** at checkout"),
        "{hits:?}"
    );
    assert!(
        hits.iter()
            .all(|h| h["snippet"].as_str().unwrap().contains("**"))
    );
}
