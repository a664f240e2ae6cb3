use serde_json::{Value, json};

use crate::harness::{TestApp, problem};

async fn audit(app: &TestApp, query: &str, token: &str) -> Value {
    let res = app.get(&format!("/admin/audit{query}"), token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn admin_actions_are_recorded_with_who_what_when_and_where() {
    let app = TestApp::spawn().await;
    let me: Value = app.get_body("/auth/me", &app.admin_token).await;
    let admin = format!("user:{}", me["user"]["id"].as_str().unwrap());

    let member: Value = app
        .post_json(
            "/users",
            &app.admin_token,
            &json!({"email": "ann@example.com", "password": "long-enough-1", "role": "viewer"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let member_id = member["id"].as_str().unwrap();
    let res = app
        .http
        .patch(app.url(&format!("/users/{member_id}")))
        .bearer_auth(&app.admin_token)
        .header("x-request-id", "promote-ann-1")
        .json(&json!({"role": "editor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let key: Value = app
        .post_json("/api-keys", &app.admin_token, &json!({"name": "ci import"}))
        .await
        .json()
        .await
        .unwrap();
    let key_id = key["id"].as_str().unwrap();
    let revoked = app
        .delete(&format!("/api-keys/{key_id}"), &app.admin_token)
        .await;
    assert_eq!(revoked.status(), 204);
    let weights = app
        .post_json(
            "/admin/weights",
            &app.admin_token,
            &json!({"weights": {"sentiment": 0.3}}),
        )
        .await;
    assert_eq!(weights.status(), 200);

    let trail = audit(&app, "", &app.admin_token).await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "scoring.weights_changed",
            "api_key.revoked",
            "api_key.created",
            "member.updated",
            "member.added"
        ],
        "newest first"
    );
    assert_eq!(trail["total"], 5);
    let promoted = &trail["items"][3];
    assert_eq!(promoted["actor"], admin.as_str());
    assert_eq!(promoted["target_type"], "user");
    assert_eq!(promoted["target_id"], member_id);
    assert_eq!(promoted["details"]["role"], "editor");
    assert_eq!(promoted["details"]["changed"]["role"], "editor");
    assert_eq!(promoted["request_id"], "promote-ann-1");
    assert_eq!(promoted["ip"], "127.0.0.1");
    assert!(promoted["created_at"].is_string());
    assert_eq!(trail["items"][0]["details"]["weights"]["sentiment"], 0.3);
    assert!(
        !trail.to_string().contains(key["key"].as_str().unwrap()),
        "no secret is ever written to the trail"
    );

    let keys_only = audit(&app, "?action=api_key.", &app.admin_token).await;
    assert_eq!(keys_only["total"], 2);
    assert_eq!(keys_only["items"][0]["target_id"], key_id);
    let page = audit(&app, "?limit=2&offset=1", &app.admin_token).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["action"], "api_key.revoked");
}

#[tokio::test]
async fn a_refused_change_leaves_no_entry_and_the_trail_is_private_to_admins_of_the_workspace() {
    let app = TestApp::spawn().await;
    let me: Value = app.get_body("/auth/me", &app.admin_token).await;
    let my_id = me["user"]["id"].as_str().unwrap().to_owned();
    // Demoting the only admin is refused (409), and so is its entry.
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{my_id}"),
            &app.admin_token,
            &json!({"role": "viewer"}),
        )
        .await;
    problem(res, 409, "conflict").await;
    assert_eq!(audit(&app, "", &app.admin_token).await["total"], 0);

    let created = app
        .post_json("/api-keys", &app.admin_token, &json!({"name": "mine"}))
        .await;
    assert_eq!(created.status(), 201);
    let (_, other_admin) = app.other_workspace().await;
    assert_eq!(audit(&app, "", &other_admin).await["total"], 0);

    let editor = app
        .member_token("ed@example.com", shared::auth::Role::Editor)
        .await;
    problem(app.get("/admin/audit", &editor).await, 403, "forbidden").await;
    problem(
        app.get("/admin/audit?limit=0", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
}
