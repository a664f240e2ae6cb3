//! A member's own account: changing the password ends every other sign-in; workspaces can be
//! created, listed and switched (a token names one workspace; a switch issues another); an
//! operator resets a password from the command line.

use reqwest::header;
use serde_json::{Value, json};
use shared::auth::Role;

use crate::{
    console::console_sign_in,
    harness::{ADMIN_EMAIL, ADMIN_PASSWORD, JsonOf, TestApp, problem, repo_path},
};

/// A change made by the console: the session cookie plus its CSRF token.
async fn console_post(
    app: &TestApp,
    path: &str,
    session: &(String, String),
    body: Value,
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header(header::COOKIE, &session.0)
        .header("x-csrf-token", &session.1)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Runs `produck-api user reset-password --email <email>` against the test database.
fn reset_password(app: &TestApp, email: &str) -> std::process::Output {
    use secrecy::ExposeSecret;
    std::process::Command::new(env!("CARGO_BIN_EXE_produck-api"))
        .args(["user", "reset-password", "--email", email])
        .current_dir(repo_path(""))
        .env("PRODUCK_ENV", "test")
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env("DATABASE_URL", app.settings.database.url.expose_secret())
        .output()
        .unwrap()
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_and_ends_other_sign_ins() {
    let app = TestApp::spawn().await;
    app.member_in(app.workspace_id, "pm@example.com", Role::Editor)
        .await;
    let login: Value = app
        .login("pm@example.com", "member-password-1")
        .await
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let (other_cookie, _, _) = console_sign_in(&app, "pm@example.com", "member-password-1").await;
    let (cookie, csrf, _) = console_sign_in(&app, "pm@example.com", "member-password-1").await;

    let wrong = app
        .post_json(
            "/auth/password",
            &token,
            &json!({"current_password": "guess-guess", "new_password": "a-better-password"}),
        )
        .await;
    let body = problem(wrong, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["loc"][1], "current_password", "{body}");
    let short = app
        .post_json(
            "/auth/password",
            &token,
            &json!({"current_password": "member-password-1", "new_password": "short"}),
        )
        .await;
    problem(short, 422, "validation_failed").await;

    // Changed from the console session: that session stays, every other sign-in ends.
    let session = (cookie.clone(), csrf);
    let changed = console_post(
        &app,
        "/auth/password",
        &session,
        json!({"current_password": "member-password-1", "new_password": "a-better-password"}),
    )
    .await;
    assert_eq!(changed.status(), 204);
    let me = |cookie: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url("/auth/me"))
                .header(header::COOKIE, cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        me(cookie.clone()).await,
        200,
        "the session that changed it stays"
    );
    assert_eq!(me(other_cookie).await, 401, "other console sessions end");
    let refreshed = app
        .post_anonymous("/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status(), 401, "refresh tokens are revoked");
    assert_eq!(
        app.login("pm@example.com", "member-password-1")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login("pm@example.com", "a-better-password")
            .await
            .status(),
        200
    );

    // An API key has no password.
    let key: Value = app
        .post_json(
            "/api-keys",
            &app.admin_token,
            &json!({"name": "ci", "role": "admin"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"]
        .as_str()
        .unwrap_or_else(|| panic!("{key}"))
        .to_owned();
    let refused = app
        .post_json(
            "/auth/password",
            &key,
            &json!({"current_password": "x", "new_password": "a-better-password"}),
        )
        .await;
    problem(refused, 403, "forbidden").await;
    // The audit trail names the change.
    let audit = app
        .get_json("/admin/audit?limit=20", &app.admin_token)
        .await;
    assert!(
        audit.to_string().contains("member.password_changed"),
        "{audit}"
    );
}

#[tokio::test]
async fn admins_create_workspaces_and_members_switch_between_theirs() {
    let app = TestApp::spawn().await;
    let pushed = app
        .post_json(
            "/feedback",
            &app.admin_token,
            &json!({"source": "api", "items": [{"source_id": "f-1", "text": "Exports to CSV time out", "account": "Acme"}]}),
        )
        .await;
    assert!(pushed.status().is_success(), "{}", pushed.status());

    let created = app
        .post_json(
            "/workspaces",
            &app.admin_token,
            &json!({"name": "Second Product"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let second: Value = created.json().await.unwrap();
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert_eq!(second["slug"], "second-product");
    let taken = app
        .post_json(
            "/workspaces",
            &app.admin_token,
            &json!({"name": "second product!"}),
        )
        .await;
    problem(taken, 409, "conflict").await;
    let editor = app.member_token("editor@example.com", Role::Editor).await;
    let forbidden = app
        .post_json("/workspaces", &editor, &json!({"name": "Mine"}))
        .await;
    problem(forbidden, 403, "forbidden").await;

    let mine: Value = app.get_json("/auth/workspaces", &app.admin_token).await;
    let names: Vec<(&str, bool)> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["name"].as_str().unwrap(), w["current"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        names,
        [("Default", true), ("Second Product", false)],
        "{mine}"
    );

    // A token names one workspace; switching issues one for the other.
    let switched = app
        .post_json(
            "/auth/switch",
            &app.admin_token,
            &json!({"workspace_id": second_id}),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let switched: Value = switched.json().await.unwrap();
    assert_eq!(switched["workspace"]["id"], second_id.as_str());
    let second_token = switched["access_token"].as_str().unwrap().to_owned();
    let me = app.get_json("/auth/me", &second_token).await;
    let audit = app.get_json("/admin/audit?limit=20", &second_token).await;
    assert!(
        audit.to_string().contains("workspace.created"),
        "audited in the new workspace: {audit}"
    );
    assert_eq!(me["workspace"]["name"], "Second Product");
    assert_eq!(me["role"], "admin");
    let feedback = app.get_json("/feedback", &second_token).await;
    assert_eq!(
        feedback.to_string().matches("Exports to CSV").count(),
        0,
        "scoped: {feedback}"
    );
    let first_feedback = app.get_json("/feedback", &app.admin_token).await;
    assert!(
        first_feedback.to_string().contains("Exports to CSV"),
        "{first_feedback}"
    );

    // Not a member there: 404, never a token.
    let refused = app
        .post_json("/auth/switch", &editor, &json!({"workspace_id": second_id}))
        .await;
    problem(refused, 404, "not_found").await;

    // The console's session moves with its cookie and CSRF token unchanged.
    let (cookie, csrf, _) = console_sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let session = (cookie.clone(), csrf.clone());
    let moved = console_post(
        &app,
        "/auth/session/switch",
        &session,
        json!({"workspace_id": second_id}),
    )
    .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["csrf_token"], csrf.as_str());
    let me: Value = app
        .http
        .get(app.url("/auth/me"))
        .header(header::COOKIE, &cookie)
        .json_of()
        .await;
    assert_eq!(me["workspace"]["id"], second_id.as_str(), "{me}");
    let no_cookie = app
        .post_json(
            "/auth/session/switch",
            &app.admin_token,
            &json!({"workspace_id": second_id}),
        )
        .await;
    problem(no_cookie, 422, "validation_failed").await;
}

#[tokio::test]
async fn an_operator_resets_a_password_from_the_command_line() {
    let app = TestApp::spawn().await;
    app.member_in(app.workspace_id, "locked-out@example.com", Role::Viewer)
        .await;
    let token = app
        .login_token("locked-out@example.com", "member-password-1")
        .await;
    let refresh: Value = app
        .login("locked-out@example.com", "member-password-1")
        .await
        .json()
        .await
        .unwrap();
    let out = reset_password(&app, "Locked-Out@example.com");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("new password for locked-out@example.com: "))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_owned();
    assert!(password.len() >= 12, "{password}");
    assert_eq!(
        app.login("locked-out@example.com", "member-password-1")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login("locked-out@example.com", &password)
            .await
            .status(),
        200
    );
    let old_refresh = app
        .post_anonymous(
            "/auth/refresh",
            &json!({"refresh_token": refresh["refresh_token"]}),
        )
        .await;
    assert_eq!(old_refresh.status(), 401);
    drop(token);

    let audit = app
        .get_json("/admin/audit?limit=20", &app.admin_token)
        .await;
    assert!(
        audit.to_string().contains("member.password_reset"),
        "{audit}"
    );
    let unknown = reset_password(&app, "nobody@example.com");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
}
