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
