use crate::harness::{repo_path, test_settings};

fn error_for(overrides: &[(&str, &str)]) -> String {
    test_settings("postgres://postgres@127.0.0.1:5432/x", overrides)
        .unwrap_err()
        .to_string()
}

#[test]
fn the_shipped_configuration_loads_for_every_environment() {
    for env in ["development", "test", "production"] {
        let vars = [("PRODUCK__AUTH__JWT_SECRET".to_owned(), "p".repeat(40))];
        let s = shared::config::Settings::load_for(
            std::path::Path::new(&repo_path("config")),
            env,
            vars,
        )
        .unwrap_or_else(|e| panic!("{env}: {e}"));
        assert_eq!(s.environment, env);
    }
}

#[test]
fn bad_values_name_their_key_and_reason() {
    let e = error_for(&[("PRODUCK__SERVER__PORT", "eighty")]);
    assert!(e.contains("server.port"), "{e}");
    let e = error_for(&[("PRODUCK__JOBS__MAX_ATTEMPTS", "0")]);
    assert!(
        e.contains("jobs.max_attempts") && e.contains("between 1 and 25"),
        "{e}"
    );
    let e = error_for(&[("REDIS_URL", "http://127.0.0.1:6379")]);
    assert!(e.contains("redis.url") && e.contains("scheme"), "{e}");
    let e = error_for(&[("PRODUCK__SERVER__CORS_ORIGINS", "[\"*\"]")]);
    assert!(
        e.contains("server.cors_origins") && e.contains("wildcard"),
        "{e}"
    );
    let e = error_for(&[("PRODUCK__AUTH__JWT_SECRET", "short")]);
    assert!(e.contains("auth.jwt_secret"), "{e}");
    let e = error_for(&[("PRODUCK__SERVER__UNKNOWN_KEY", "1")]);
    assert!(e.contains("unknown_key"), "{e}");
}

#[test]
fn auth_disabled_refuses_a_non_loopback_bind() {
    let e = error_for(&[
        ("PRODUCK__AUTH__DISABLED", "true"),
        ("PRODUCK__SERVER__HOST", "0.0.0.0"),
    ]);
    assert!(e.contains("auth.disabled") && e.contains("loopback"), "{e}");
    assert!(
        test_settings(
            "postgres://x@127.0.0.1/x",
            &[("PRODUCK__AUTH__DISABLED", "true")]
        )
        .is_ok()
    );
}

#[test]
fn the_binary_stops_with_one_line_naming_the_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_produck-api"))
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env("PRODUCK_ENV", "test")
        .env("PRODUCK__WORKER__POLL_INTERVAL_MS", "0")
        .output()
        .expect("running produck-api");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("worker.poll_interval_ms"), "{stderr}");
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let s = test_settings(
        "postgres://user:hunter2@127.0.0.1/x",
        &[(
            "PRODUCK__AUTH__JWT_SECRET",
            "a-very-long-secret-value-0123456789",
        )],
    )
    .unwrap();
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("a-very-long-secret-value"),
        "{debug}"
    );
}
