use serde_json::{Value, json};

use crate::harness::{TestApp, problem};

#[tokio::test]
async fn keys_are_shown_once_work_and_stop_working_when_revoked() {
    let app = TestApp::spawn().await;
    let res = app
        .post_json(
            "/api-keys",
            &app.admin_token,
            &json!({"name": "import script", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pk_"));
    assert_eq!(created["prefix"].as_str().unwrap(), &key[..12]);

    let me: Value = app.get("/auth/me", &key).await.json().await.unwrap();
    assert_eq!(me["auth"], "api_key");
    assert_eq!(me["role"], "editor");

    let listed: Value = app.get_body("/api-keys", &app.admin_token).await;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["id"])
        .unwrap()
        .clone();
    assert!(row.get("key").is_none(), "secrets are never listed");
    assert!(row["last_used_at"].is_string(), "use is recorded");

    let id = created["id"].as_str().unwrap();
    let del = app
        .delete(&format!("/api-keys/{id}"), &app.admin_token)
        .await;
    assert_eq!(del.status(), 204);
    problem(app.get("/auth/me", &key).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_key_from_another_workspace_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let (_, other_admin) = app.other_workspace().await;
    let theirs: Value = app
        .post_json("/api-keys", &other_admin, &json!({"name": "theirs"}))
        .await
        .json()
        .await
        .unwrap();
    let id = theirs["id"].as_str().unwrap();
    let res = app
        .delete(&format!("/api-keys/{id}"), &app.admin_token)
        .await;
    problem(res, 404, "not_found").await;
    assert_eq!(
        app.get("/auth/me", theirs["key"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_bootstrap_key_from_the_environment_is_an_admin_key() {
    let secret = "bootstrap-key-0123456789abcdef";
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__BOOTSTRAP_API_KEY", secret)
        .spawn()
        .await;
    let me: Value = app.get("/auth/me", secret).await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    // Starting again does not create a second key.
    shared::services::bootstrap::on_start(app.db(), &app.settings)
        .await
        .unwrap();
    let listed: Value = app.get("/api-keys", secret).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn keys_expire_and_die_with_their_creators_membership() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::spawn().await;
    let created: Value = app
        .post_json(
            "/api-keys",
            &app.admin_token,
            &json!({"name": "short lived", "expires_in_days": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(created["expires_at"].is_string(), "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/auth/me", &key).await.status(), 200);
    // A day later.
    shared::entities::api_key::ActiveModel {
        id: Set(created["id"].as_str().unwrap().parse().unwrap()),
        expires_at: Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1))),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    let body = problem(app.get("/auth/me", &key).await, 401, "unauthorized").await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    problem(
        app.post_json(
            "/api-keys",
            &app.admin_token,
            &json!({"name": "x", "expires_in_days": 0}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    // A key made by an admin who is later deactivated stops working with them.
    let other_admin = app
        .member_token("second-admin@example.com", shared::auth::Role::Admin)
        .await;
    let theirs: Value = app
        .post_json(
            "/api-keys",
            &other_admin,
            &json!({"name": "theirs", "role": "editor"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let their_key = theirs["key"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/auth/me", &their_key).await.status(), 200);
    let me: Value = app.get_body("/auth/me", &other_admin).await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{}", me["user"]["id"].as_str().unwrap()),
            &app.admin_token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    problem(app.get("/auth/me", &their_key).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn admin_lists_are_paginated() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.post_json(
            "/api-keys",
            &app.admin_token,
            &json!({"name": format!("k{i}")}),
        )
        .await;
        app.post_json(
            "/customers",
            &app.admin_token,
            &json!({"name": format!("Customer {i}")}),
        )
        .await;
    }
    for (path, total) in [("/api-keys", 3), ("/customers/all", 3), ("/users", 1)] {
        let all: Value = app.get(path, &app.admin_token).await.json().await.unwrap();
        assert_eq!(all.as_array().unwrap().len(), total, "{path}");
        let page: Value = app
            .get_body(&format!("{path}?limit=2&offset=1"), &app.admin_token)
            .await;
        assert_eq!(page.as_array().unwrap().len(), (total - 1).min(2), "{path}");
        assert_eq!(page[0], all[1], "{path}");
        problem(
            app.get(&format!("{path}?limit=0"), &app.admin_token).await,
            422,
            "validation_failed",
        )
        .await;
    }
}

/// A key minted with a key used to record no human, so nothing capped it; a key kept its
/// role after its creator was demoted.
#[tokio::test]
async fn keys_act_for_the_human_behind_the_chain_and_never_above_their_current_role() {
    let app = TestApp::spawn().await;
    let pat = app
        .member_token("pat-admin@example.com", shared::auth::Role::Admin)
        .await;
    let me: Value = app.get("/auth/me", &pat).await.json().await.unwrap();
    let pat_id = me["user"]["id"].as_str().unwrap().to_owned();
    let mint = |token: String, name: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post_json("/api-keys", &token, &json!({"name": name, "role": "admin"}))
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }
    };
    let first = mint(pat.clone(), "pat's script").await;
    let second = mint(first["key"].as_str().unwrap().to_owned(), "minted by a key").await;
    assert_eq!(second["created_by"], pat_id.as_str(), "{second}");
    assert_eq!(second["created_by_key"], first["id"]);
    let chained = second["key"].as_str().unwrap().to_owned();
    let role = |token: String| {
        let app = &app;
        async move { app.get_json("/auth/me", &token).await["role"].clone() }
    };
    assert_eq!(role(chained.clone()).await, "admin");

    // Pat is demoted to viewer: every key in the chain drops to viewer at once.
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{pat_id}"),
            &app.admin_token,
            &json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(role(chained.clone()).await, "viewer");
    problem(
        app.post_json("/cluster/run", &chained, &json!({})).await,
        403,
        "forbidden",
    )
    .await;
    problem(
        app.post_json("/api-keys", &chained, &json!({"name": "escape"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    // Deactivated: the chain stops working.
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{pat_id}"),
            &app.admin_token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    problem(app.get("/auth/me", &chained).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn rotating_the_bootstrap_key_revokes_the_old_one() {
    let old = "bootstrap-key-0123456789abcdef";
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__BOOTSTRAP_API_KEY", old)
        .spawn()
        .await;
    assert_eq!(app.get("/auth/me", old).await.status(), 200);
    let new = "bootstrap-key-rotated-9876543210";
    let mut rotated = (*app.settings).clone();
    rotated.auth.bootstrap_api_key = Some(secrecy::SecretString::from(new));
    shared::services::bootstrap::on_start(app.db(), &rotated)
        .await
        .unwrap();
    assert_eq!(app.get("/auth/me", new).await.status(), 200);
    problem(app.get("/auth/me", old).await, 401, "unauthorized").await;
    // Starting again with the new value changes nothing.
    shared::services::bootstrap::on_start(app.db(), &rotated)
        .await
        .unwrap();
    assert_eq!(app.get("/auth/me", new).await.status(), 200);
}
