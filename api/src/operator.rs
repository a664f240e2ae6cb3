//! Operator commands of `produck-api` that are not serving: checking the configuration,
//! printing its reference, resetting a password, and the first admin from the environment.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use shared::{
    config::{Settings, config_dir},
    services::{
        account,
        bootstrap::{self, AdminOutcome},
    },
};

/// The environment variables that name the first admin (compose's `migrate` service).
pub const ADMIN_EMAIL_VAR: &str = "PRODUCK_ADMIN_EMAIL";
pub const ADMIN_PASSWORD_VAR: &str = "PRODUCK_ADMIN_PASSWORD";

/// Makes sure the admin named by the environment exists (created with its password when
/// absent, left alone when present).
pub async fn admin_from_env(state: &crate::state::AppState) -> anyhow::Result<()> {
    let email = std::env::var(ADMIN_EMAIL_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let password = std::env::var(ADMIN_PASSWORD_VAR)
        .ok()
        .filter(|v| !v.is_empty());
    let (Some(email), Some(password)) = (email, password) else {
        anyhow::bail!(
            "--admin-from-env needs {ADMIN_EMAIL_VAR} and {ADMIN_PASSWORD_VAR} (set them in .env)"
        );
    };
    ensure_admin(state, &email, &password).await
}

/// The default workspace has an admin with this email: created with `password` when absent
/// (`bootstrap` and `migrate --admin-from-env`), an existing account left as it is.
pub async fn ensure_admin(
    state: &crate::state::AppState,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let (ws, outcome) =
        bootstrap::create_admin(&state.db, &state.settings, email, password).await?;
    match outcome {
        AdminOutcome::Created(m) => println!(
            "created admin {} in workspace {:?}; sign in at {}/app/",
            m.user.email,
            ws.name,
            state.settings.integrations.public_url.trim_end_matches('/')
        ),
        AdminOutcome::AlreadyMember => {
            println!(
                "admin {email} exists in workspace {:?}; left as it is",
                ws.name
            )
        }
    }
    Ok(())
}

/// `produck-api user reset-password`: a new password for the account (from `password_env`,
/// or generated and printed once), and every sign-in of the account ended.
pub async fn reset_password(
    settings: Arc<Settings>,
    email: &str,
    password_env: Option<&str>,
) -> anyhow::Result<()> {
    let (password, generated) = match password_env {
        Some(var) => (
            std::env::var(var).with_context(|| format!("environment variable {var} is not set"))?,
            false,
        ),
        None => (shared::auth::secrets::random_token(12), true),
    };
    let db = shared::db::connect(&settings.database)
        .await
        .context("connecting to PostgreSQL")?;
    let user = account::reset_password(&db, email, &password).await?;
    if generated {
        println!("new password for {}: {password}", user.email);
        println!("(shown once; every sign-in of this account has ended)");
    } else {
        println!(
            "password of {} changed; every sign-in of this account has ended",
            user.email
        );
    }
    Ok(())
}

/// `produck-api check-config`: what a start would check, without serving. Prints each check
/// and the effective configuration (secrets masked); fails when any check fails.
pub async fn check_config(settings: Arc<Settings>) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    let mut report = |name: &str, result: Result<String, String>| match result {
        Ok(detail) => println!("ok    {name}: {detail}"),
        Err(why) => {
            println!("FAIL  {name}: {why}");
            failures.push(name.to_owned());
        }
    };
    report(
        "configuration",
        Ok(format!(
            "valid for PRODUCK_ENV={} from {}",
            settings.environment,
            config_dir().display()
        )),
    );

    match shared::ai::AiServices::load(&settings) {
        Ok(ai) => {
            let status = ai.embedder_status();
            let detail = format!(
                "{} ({}){}",
                status.provider,
                status.model,
                if status.fallback {
                    ", lexical fallback: model files missing"
                } else {
                    ""
                }
            );
            report(
                "embedder",
                match ai.start_refusal(&settings.environment) {
                    Some(why) => Err(why),
                    None => Ok(detail),
                },
            );
            let agents: Vec<String> = ai
                .config
                .agents
                .iter()
                .map(|(name, a)| format!("{name}={}", a.provider.as_deref().unwrap_or("fallback")))
                .collect();
            report("ai agents", Ok(agents.join(", ")));
        }
        Err(e) => report("ai_config", Err(e.to_string())),
    }

    match shared::db::connect(&settings.database).await {
        Ok(db) => {
            use migration::MigratorTrait;
            match migration::Migrator::get_pending_migrations(&db).await {
                Ok(pending) if pending.is_empty() => {
                    report("database", Ok("reachable, every migration applied".into()))
                }
                Ok(pending) => report(
                    "database",
                    Ok(format!(
                        "reachable, {} migrations pending (produck-api migrate applies them)",
                        pending.len()
                    )),
                ),
                Err(e) => report("database", Err(format!("reading migrations: {e}"))),
            }
        }
        Err(e) => report("database", Err(format!("{e:#}"))),
    }

    let redis = match shared::redis_conn::connect_lazy(&settings.redis) {
        Ok(mut conn) => {
            if shared::redis_conn::ping(&mut conn, Duration::from_secs(3)).await {
                Ok("reachable".to_owned())
            } else {
                Err("no answer within 3 s".to_owned())
            }
        }
        Err(e) => Err(e.to_string()),
    };
    report("redis", redis);

    let env = settings.environment.clone();
    let effective: serde_json::Value =
        shared::config::layered(&config_dir(), &env, std::env::vars())
            .extract_lossy()
            .context("reading the layered configuration")?;
    println!(
        "\neffective configuration (secrets masked):\n{}",
        serde_json::to_string_pretty(&shared::config_reference::mask_secrets(effective))?
    );
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} check(s) failed: {}",
            failures.len(),
            failures.join(", ")
        )
    }
}
