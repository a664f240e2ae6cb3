use serde_json::{Value, json};
use shared::auth::Role;

use crate::harness::{TestApp, problem};

#[tokio::test]
async fn admins_add_members_who_can_then_log_in() {
    let app = TestApp::spawn().await;
    let res = app
        .post_json(
            "/users",
            &app.admin_token,
            &json!({"email": "Ed@Example.com", "password": "editor-pass-1", "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["email"], "ed@example.com");
    assert_eq!(created["role"], "editor");
    let token = app.login_token("ed@example.com", "editor-pass-1").await;
    let me: Value = app.get("/auth/me", &token).await.json().await.unwrap();
    assert_eq!(me["role"], "editor");
    // Adding the same person twice is a conflict.
    let again = app
        .post_json(
            "/users",
            &app.admin_token,
            &json!({"email": "ed@example.com", "password": "editor-pass-1", "role": "viewer"}),
        )
        .await;
    problem(again, 409, "conflict").await;
}

#[tokio::test]
async fn weaker_roles_get_403() {
    let app = TestApp::spawn().await;
    let viewer = app.member_token("v@example.com", Role::Viewer).await;
    let editor = app.member_token("e@example.com", Role::Editor).await;
    problem(app.get("/users", &viewer).await, 403, "forbidden").await;
    problem(app.get("/users", &editor).await, 403, "forbidden").await;
    problem(app.get("/api-keys", &editor).await, 403, "forbidden").await;
    let body = json!({"email": "x@example.com", "password": "whatever-1", "role": "admin"});
    problem(
        app.post_json("/users", &editor, &body).await,
        403,
        "forbidden",
    )
    .await;
    // Reading job state needs only the viewer role.
    assert_eq!(app.get("/jobs", &viewer).await.status(), 200);
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted() {
    let app = TestApp::spawn().await;
    let me: Value = app.get_body("/auth/me", &app.admin_token).await;
    let id = me["user"]["id"].as_str().unwrap();
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{id}"),
            &app.admin_token,
            &json!({"role": "viewer"}),
        )
        .await;
    problem(res, 409, "conflict").await;
}

#[tokio::test]
async fn concurrent_demotions_never_leave_a_workspace_without_an_admin() {
    let app = TestApp::spawn().await;
    let me: Value = app.get_body("/auth/me", &app.admin_token).await;
    let first = me["user"]["id"].as_str().unwrap().to_owned();
    let second = app
        .member_in(app.workspace_id, "second-admin@example.com", Role::Admin)
        .await
        .user
        .id
        .to_string();
    let set_role = |id: &str, role: Role| {
        shared::services::users::update(
            app.db(),
            app.workspace_id,
            id.parse().unwrap(),
            shared::services::users::MemberPatch {
                role: Some(role),
                active: None,
            },
        )
    };
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            set_role(&first, Role::Editor),
            set_role(&second, Role::Editor)
        );
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one demotion may win: {a:?} {b:?}"
        );
        let refused = a.err().or(b.err()).unwrap();
        assert!(
            matches!(refused, shared::DomainError::Conflict(_)),
            "{refused:?}"
        );
        set_role(&first, Role::Admin).await.unwrap();
        set_role(&second, Role::Admin).await.unwrap();
    }
}

#[tokio::test]
async fn members_of_another_workspace_are_not_found() {
    let app = TestApp::spawn().await;
    let (other_ws, other_admin) = app.other_workspace().await;
    let stranger = app
        .member_in(other_ws, "stranger@example.com", Role::Viewer)
        .await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{}", stranger.user.id),
            &app.admin_token,
            &json!({"active": false}),
        )
        .await;
    problem(res, 404, "not_found").await;
    let theirs: Value = app.get("/users", &other_admin).await.json().await.unwrap();
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"] != crate::harness::ADMIN_EMAIL)
    );
}
