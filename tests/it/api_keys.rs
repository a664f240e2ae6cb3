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

    let listed: Value = app
        .get("/api-keys", &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
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
        .http
        .delete(app.url(&format!("/api-keys/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
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
        .http
        .delete(app.url(&format!("/api-keys/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
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
    let me: Value = app
        .get("/auth/me", &other_admin)
        .await
        .json()
        .await
        .unwrap();
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
            .get(&format!("{path}?limit=2&offset=1"), &app.admin_token)
            .await
            .json()
            .await
            .unwrap();
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
