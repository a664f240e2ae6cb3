//! Curation: a PM's edits, merges, moves, splits, hiding and pinning hold through a new
//! clustering run over more feedback, and every one of them undoes to the state before it.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::{Value, json};
use shared::auth::Role;
use uuid::Uuid;

use crate::harness::{TestApp, problem};

/// Every insight of the board (hidden ones too), best first.
async fn board(app: &TestApp) -> Vec<Value> {
    app.get_body("/themes?limit=100&include_hidden=true", &app.admin_token)
        .await
}

/// The feedback in each insight's theme.
async fn members(app: &TestApp) -> BTreeMap<Uuid, BTreeSet<Uuid>> {
    #[derive(FromQueryResult)]
    struct Row {
        insight_id: Uuid,
        feedback_id: Uuid,
    }
    let rows = Row::find_by_statement(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT i.id AS insight_id, ft.feedback_id FROM insights i JOIN feedback_themes ft ON ft.theme_id = i.theme_id \
         WHERE i.workspace_id = $1",
        [app.workspace_id.into()],
    ))
    .all(app.db())
    .await
    .unwrap();
    let mut out: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
    for r in rows {
        out.entry(r.insight_id).or_default().insert(r.feedback_id);
    }
    out
}

/// What a PM can see of the board, and who is in which theme: the board as served (each
/// card without its `updated_at`, which every re-score moves) and the memberships.
async fn state(app: &TestApp) -> Value {
    let mut cards = board(app).await;
    for c in &mut cards {
        c.as_object_mut().unwrap().remove("updated_at");
    }
    cards.sort_by_key(|c| c["id"].as_str().unwrap().to_owned());
    json!({ "board": cards, "members": members(app).await })
}

fn id(v: &Value) -> Uuid {
    v.as_str().unwrap().parse().unwrap()
}

async fn curate(app: &TestApp, path: &str, body: Value) -> Value {
    app.post_json_ok(path, &app.admin_token, &body).await
}

async fn patch(app: &TestApp, insight: Uuid, body: Value) -> Value {
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/themes/{insight}"),
            &app.admin_token,
            &body,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Feedback texts about the demo's topics and about one topic it does not have.
fn new_feedback(count: usize) -> String {
    let known = [
        "We need SAML single sign-on through Okta before the security team signs off",
        "Dark mode please, the white screen is painful during night shifts",
        "The CSV export drops columns and breaks our finance reporting",
        "SSO with Azure AD is a hard requirement for our enterprise rollout",
    ];
    let fresh = [
        "Invoices should be translated into German and French for our European subsidiaries",
        "Please localise the invoice PDFs, our accountants in Paris cannot read English invoices",
        "We need invoices in Spanish and Italian for the tax authorities",
        "Multi-language invoices are required by our finance teams abroad",
    ];
    let mut csv = String::from("feedback,customer,acv\n");
    for n in 0..count {
        let text = if n % 2 == 0 {
            format!("{} (report {n})", fresh[n / 2 % fresh.len()])
        } else {
            format!("{} (note {n})", known[n / 2 % known.len()])
        };
        csv.push_str(&format!("\"{text}\",Account {n},{}\n", 20_000 + n * 1_000));
    }
    csv
}

#[tokio::test]
async fn curation_holds_through_a_rerun_over_twenty_percent_more_feedback() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let mut list = board(&app).await;
    assert!(list.len() >= 6, "{} themes", list.len());
    list.sort_by_key(|c| std::cmp::Reverse(c["feedback_count"].as_i64().unwrap()));
    let [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(|n| id(&list[n]["id"]));
    let before = members(&app).await;

    // Rename and pin a.
    let edited = patch(
        &app,
        a,
        json!({"title": "Enterprise rollouts wait on this", "recommendation": "Ship it this quarter.", "pinned": true}),
    )
    .await;
    assert_eq!(
        edited["insight"]["title"],
        "Enterprise rollouts wait on this"
    );
    assert_eq!(edited["insight"]["edited_by"], "admin@example.com");
    assert_eq!(edited["insight"]["curated"], true);
    // Merge c into b.
    let merged = curate(
        &app,
        &format!("/themes/{b}/merge"),
        json!({"insight_ids": [c]}),
    )
    .await;
    let merged_count = (&before[&b] | &before[&c]).len() as i64;
    assert_eq!(merged["insight"]["feedback_count"], merged_count);
    // Move one of d's items to e, then hide e.
    let moved = *before[&d].iter().next().unwrap();
    curate(
        &app,
        &format!("/themes/{e}/move"),
        json!({"feedback_ids": [moved]}),
    )
    .await;
    patch(&app, e, json!({"hidden": true})).await;
    // Split f: its first half (by id) becomes a new theme.
    let chosen: Vec<Uuid> = before[&f]
        .iter()
        .take(before[&f].len() / 2)
        .copied()
        .collect();
    assert!(!chosen.is_empty(), "f has {} items", before[&f].len());
    let split = curate(
        &app,
        &format!("/themes/{f}/split"),
        json!({"feedback_ids": chosen}),
    )
    .await;
    let f2 = id(&split["created_insight"]["id"]);
    assert_eq!(
        split["created_insight"]["feedback_count"],
        chosen.len() as i64
    );
    assert_eq!(split["created_insight"]["generated_by"], "fallback");

    // The board follows at once: c gone, e hidden, a first.
    let served: Vec<Value> = app.get_body("/themes?limit=100", &app.admin_token).await;
    assert_eq!(
        id(&served[0]["id"]),
        a,
        "the pinned insight heads the board"
    );
    assert!(
        served
            .iter()
            .all(|s| id(&s["id"]) != c && id(&s["id"]) != e)
    );

    // 20 % more feedback, embedded, then a new run.
    let total = before.values().map(BTreeSet::len).sum::<usize>();
    let added = total.div_ceil(5).max(10);
    app.upload_ok("more.csv", &new_feedback(added)).await;
    app.wait_all_embedded(Duration::from_secs(60)).await;
    let status = app.cluster().await;
    assert_eq!(status["status"], "completed", "{status}");

    let after = members(&app).await;
    let list = board(&app).await;
    let card = |insight: Uuid| {
        list.iter()
            .find(|c| id(&c["id"]) == insight)
            .unwrap_or_else(|| panic!("insight {insight} is gone after the run"))
            .clone()
    };
    // The edited text and the pin held.
    let a_now = card(a);
    assert_eq!(a_now["title"], "Enterprise rollouts wait on this");
    assert_eq!(a_now["recommendation"], "Ship it this quarter.");
    assert_eq!(a_now["edited_by"], "admin@example.com");
    assert_eq!(a_now["pinned"], true);
    assert!(after[&a].is_superset(&before[&a]), "a lost members");
    // The merge held.
    assert!(
        list.iter().all(|x| id(&x["id"]) != c),
        "the merged theme came back"
    );
    assert!(
        after[&b].is_superset(&(&before[&b] | &before[&c])),
        "the merge came apart"
    );
    // The moved item stayed, and e stayed hidden.
    assert!(after[&e].contains(&moved));
    assert!(!after.get(&d).is_some_and(|m| m.contains(&moved)));
    assert_eq!(card(e)["hidden"], true);
    let default_board: Vec<Value> = app.get_body("/themes?limit=100", &app.admin_token).await;
    assert!(default_board.iter().all(|x| id(&x["id"]) != e));
    assert_eq!(id(&default_board[0]["id"]), a);
    // The split stayed split.
    let chosen: BTreeSet<Uuid> = chosen.into_iter().collect();
    assert!(after[&f2].is_superset(&chosen));
    assert!(after[&f].is_superset(&(&before[&f] - &chosen)));
    assert!(after[&f].is_disjoint(&chosen));
    // New feedback was placed, and the topic the demo lacked became a theme of its own.
    let known: BTreeSet<Uuid> = before.values().flatten().copied().collect();
    let placed: BTreeSet<Uuid> = after.values().flatten().copied().collect();
    let new_placed = placed.difference(&known).count();
    assert!(
        new_placed * 10 >= added * 7,
        "only {new_placed} of {added} new items placed: {status}"
    );
    let curated: BTreeSet<Uuid> = [a, b, d, e, f, f2].into();
    let fresh = feedback_matching(&app, "%(report %").await;
    let (home, held) = after
        .iter()
        .map(|(insight, m)| (*insight, m.intersection(&fresh).count()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    assert!(
        held * 2 >= fresh.len(),
        "the new topic is scattered: {held} of {} together",
        fresh.len()
    );
    assert!(
        !curated.contains(&home),
        "the new topic was folded into a curated theme"
    );
    assert!(status["curated_themes"].as_u64().unwrap() >= 5, "{status}");
}

#[tokio::test]
async fn every_curation_undoes_to_the_exact_state_before_it() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let mut list = board(&app).await;
    list.sort_by_key(|c| std::cmp::Reverse(c["feedback_count"].as_i64().unwrap()));
    let [a, b, c] = [0, 1, 2].map(|n| id(&list[n]["id"]));
    let before = members(&app).await;
    let item_of_c = *before[&c].iter().next().unwrap();
    let two_of_a: Vec<Uuid> = before[&a].iter().take(2).copied().collect();
    let changes: Vec<(&str, String, Value)> = vec![
        (
            "PATCH",
            format!("/themes/{a}"),
            json!({"title": "Renamed", "hidden": true, "pinned": true}),
        ),
        (
            "POST",
            format!("/themes/{a}/merge"),
            json!({"insight_ids": [b, c]}),
        ),
        (
            "POST",
            format!("/themes/{b}/move"),
            json!({"feedback_ids": [item_of_c]}),
        ),
        (
            "POST",
            format!("/themes/{a}/split"),
            json!({"feedback_ids": two_of_a}),
        ),
        ("POST", format!("/themes/{a}/split"), json!({})),
    ];
    for (method, path, body) in changes {
        let s0 = state(&app).await;
        let res = app
            .send_json(method.parse().unwrap(), &path, &app.admin_token, &body)
            .await;
        assert_eq!(res.status(), 200, "{method} {path} {body}");
        let done: Value = res.json().await.unwrap();
        assert_ne!(state(&app).await, s0, "{path} changed nothing");
        let undo = format!(
            "/themes/curation/{}/undo",
            done["audit_id"].as_str().unwrap()
        );
        let undone = curate(&app, &undo, json!({})).await;
        assert_eq!(state(&app).await, s0, "undoing {method} {path} {body}");
        problem(app.post(&undo, &app.admin_token).await, 409, "conflict").await;
        // The undo is audited and can itself be undone: the change comes back.
        let redo = format!(
            "/themes/curation/{}/undo",
            undone["audit_id"].as_str().unwrap()
        );
        curate(&app, &redo, json!({})).await;
        assert_ne!(state(&app).await, s0, "redoing {path}");
        curate(
            &app,
            &format!("/themes/curation/{}/undo", last_audit_id(&app).await),
            json!({}),
        )
        .await;
        assert_eq!(state(&app).await, s0, "undoing the redo of {path}");
    }
}

async fn feedback_matching(app: &TestApp, pattern: &str) -> BTreeSet<Uuid> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
    }
    Row::find_by_statement(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT id FROM feedback WHERE workspace_id = $1 AND text LIKE $2",
        [app.workspace_id.into(), pattern.into()],
    ))
    .all(app.db())
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.id)
    .collect()
}

async fn last_audit_id(app: &TestApp) -> Uuid {
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM audit_log WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
            [app.workspace_id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}

#[tokio::test]
async fn curation_is_for_editors_in_their_workspace_with_clear_errors() {
    let app = TestApp::demo().await;
    app.cluster().await;
    let list = board(&app).await;
    let (a, b) = (id(&list[0]["id"]), id(&list[1]["id"]));
    let viewer = app.member_token("viewer@example.com", Role::Viewer).await;
    let res = app
        .send_json(
            reqwest::Method::POST,
            &format!("/themes/{a}/merge"),
            &viewer,
            &json!({"insight_ids": [b]}),
        )
        .await;
    problem(res, 403, "forbidden").await;
    let editor = app.member_token("editor@example.com", Role::Editor).await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/themes/{a}"),
            &editor,
            &json!({"pinned": true}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Another workspace's insight is not found; nor is an unknown one.
    let (_, other) = app.other_workspace().await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/themes/{a}"),
            &other,
            &json!({"title": "x"}),
        )
        .await;
    problem(res, 404, "not_found").await;
    let res = app
        .send_json(
            reqwest::Method::POST,
            &format!("/themes/{a}/merge"),
            &app.admin_token,
            &json!({"insight_ids": [a]}),
        )
        .await;
    problem(res, 422, "validation_failed").await;
    let res = app
        .send_json(
            reqwest::Method::POST,
            &format!("/themes/{a}/move"),
            &app.admin_token,
            &json!({"feedback_ids": [Uuid::now_v7()]}),
        )
        .await;
    problem(res, 422, "validation_failed").await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/themes/{a}"),
            &app.admin_token,
            &json!({"title": "   "}),
        )
        .await;
    problem(res, 422, "validation_failed").await;
    // A split that takes everything, or an item from elsewhere, is refused.
    let all: Vec<Uuid> = members(&app).await[&a].iter().copied().collect();
    let res = app
        .send_json(
            reqwest::Method::POST,
            &format!("/themes/{a}/split"),
            &app.admin_token,
            &json!({"feedback_ids": all}),
        )
        .await;
    problem(res, 422, "validation_failed").await;
    // Only curations undo; an unknown entry is not found.
    let res = app
        .post_json(
            "/api-keys",
            &app.admin_token,
            &json!({"name": "ci", "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post(
            &format!("/themes/curation/{}/undo", last_audit_id(&app).await),
            &app.admin_token,
        )
        .await;
    problem(res, 409, "conflict").await;
    let res = app
        .post(
            &format!("/themes/curation/{}/undo", Uuid::now_v7()),
            &app.admin_token,
        )
        .await;
    problem(res, 404, "not_found").await;
}
