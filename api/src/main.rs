//! `produck-api [serve|openapi|bootstrap|migrate]`

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use shared::{
    config::{Settings, config_dir},
    services::bootstrap,
};

#[derive(Parser)]
#[command(name = "produck-api", about = "ProduckAI HTTP API", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// Run pending migrations before serving.
        #[arg(long)]
        migrate: bool,
        /// Also run the job worker in this process (single-process local installs).
        #[arg(long)]
        with_worker: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Create the default workspace and its first admin.
    Bootstrap {
        #[arg(long)]
        email: String,
        /// Name of the environment variable that holds the password (kept off the command line).
        #[arg(long)]
        password_env: String,
    },
    /// Run pending migrations and exit.
    Migrate {
        /// Then make sure the admin named by PRODUCK_ADMIN_EMAIL exists (created with
        /// PRODUCK_ADMIN_PASSWORD when absent; an existing account is left alone).
        #[arg(long)]
        admin_from_env: bool,
    },
    /// Validate the configuration, check the database, Redis and the embedding model, and
    /// print the effective configuration with secrets masked (exit 1 when a check fails).
    CheckConfig,
    /// Print the configuration reference (docs/configuration.md) generated from the settings.
    ConfigReference,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load the demo data set (every source) into the default workspace and embed it.
    SeedDemo,
    /// Re-encrypt every stored OAuth token with integrations.current_token_key (after adding
    /// a new key; old keys can be removed once this has run).
    RotateKeys,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Set a new password (from --password-env, else generated and printed once) and end
    /// every sign-in of the account.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Name of the environment variable holding the new password.
        #[arg(long)]
        password_env: Option<String>,
    },
}

fn main() {
    shared::ingest::sandbox::start(serve_main);
}

#[tokio::main]
async fn serve_main() {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve {
        migrate: false,
        with_worker: false,
    });
    if let Command::Openapi = command {
        print!("{}", api::openapi::to_pretty_json(&api::app::spec()));
        return;
    }
    if let Command::ConfigReference = command {
        match shared::config_reference::markdown(&config_dir()) {
            Ok(md) => print!("{md}"),
            Err(e) => {
                eprintln!("produck-api: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let settings = match Settings::load(&config_dir()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("produck-api: {e}");
            std::process::exit(2);
        }
    };
    shared::telemetry::init(&settings.telemetry);
    let outcome = match command {
        Command::Serve {
            migrate,
            with_worker,
        } => serve(settings, migrate, with_worker).await,
        Command::Bootstrap {
            email,
            password_env,
        } => run_bootstrap(settings, &email, &password_env).await,
        Command::Migrate { admin_from_env } => migrate(settings, admin_from_env).await,
        Command::CheckConfig => api::operator::check_config(settings).await,
        Command::User {
            command:
                UserCommand::ResetPassword {
                    email,
                    password_env,
                },
        } => api::operator::reset_password(settings, &email, password_env.as_deref()).await,
        Command::SeedDemo => seed_demo(settings).await,
        Command::RotateKeys => rotate_keys(settings).await,
        Command::Openapi | Command::ConfigReference => Ok(()),
    };
    if let Err(e) = outcome {
        tracing::error!(error = %format!("{e:#}"), "produck-api failed");
        eprintln!("produck-api: {e:#}");
        std::process::exit(1);
    }
}

async fn migrate(settings: Arc<Settings>, admin_from_env: bool) -> anyhow::Result<()> {
    let state = api::prepare(settings, true).await?;
    println!("migrations applied");
    if admin_from_env {
        api::operator::admin_from_env(&state).await?;
    }
    Ok(())
}

async fn rotate_keys(settings: Arc<Settings>) -> anyhow::Result<()> {
    let state = api::prepare(settings.clone(), false).await?;
    let n =
        shared::services::integrations::connections::rotate_keys(&state.db, &state.tokens).await?;
    println!(
        "re-encrypted {n} stored secrets with key {}",
        state.tokens.current_key_id().unwrap_or_default()
    );
    Ok(())
}

async fn serve(settings: Arc<Settings>, migrate: bool, with_worker: bool) -> anyhow::Result<()> {
    shared::ai_config::AiConfig::load(&settings.ai.config_path)?;
    let state = api::prepare(settings.clone(), migrate).await?;
    if let Some(why) = state.ai.start_refusal(&settings.environment) {
        anyhow::bail!(why);
    }
    let addr = SocketAddr::new(settings.server.host, settings.server.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(%addr, docs = %format!("http://{addr}/docs"), "API listening");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut worker_task = if with_worker {
        let registry = worker::JobRegistry::production();
        let kinds = registry.kinds();
        let runtime = worker::connect(settings.clone(), registry).await?;
        tracing::info!(worker = %runtime.name, "in-process worker started");
        let mut rx = stop_rx.clone();
        Some(tokio::spawn(worker::run(
            runtime,
            kinds,
            true,
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            },
        )))
    } else {
        None
    };
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(api::serve(listener, state, async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }));
    // A worker that dies on its own takes the process down (non-zero), like a lone worker would.
    let worker_died = async {
        match worker_task.as_mut() {
            Some(task) => Some(task.await),
            None => std::future::pending().await,
        }
    };
    let worker_failure = tokio::select! {
        () = worker::shutdown_signal() => None,
        res = worker_died => res,
    };
    let _ = stop_tx.send(true);
    server
        .await
        .context("server task")?
        .context("serving HTTP")?;
    match (worker_failure, worker_task) {
        (Some(res), _) => {
            res.context("worker task")??;
            anyhow::bail!("the in-process worker stopped")
        }
        (None, Some(task)) => task.await.context("worker task")?,
        (None, None) => Ok(()),
    }
}

async fn seed_demo(settings: Arc<Settings>) -> anyhow::Result<()> {
    let state = api::prepare(settings.clone(), true).await?;
    let ws = bootstrap::default_workspace(&state.db, &settings).await?;
    for (source, report) in shared::services::demo::load_all(&state.db, &ws).await? {
        println!(
            "{:<6} {} items ({} new, {} updated, {} unchanged)",
            source.demo_name().unwrap_or_default(),
            report.total(),
            report.created,
            report.updated,
            report.unchanged
        );
    }
    // Embed here too, so the data is ready even before a worker runs.
    let ai = shared::ai::AiServices::load(&settings)?;
    let embedder = ai.embedder().await?;
    let mut embedded = 0;
    loop {
        let n = shared::services::embedding::embed_next_batch(
            &state.db,
            ws.id,
            embedder.as_ref(),
            settings.ingest.embed_batch_size,
        )
        .await?;
        if n == 0 {
            break;
        }
        embedded += n;
    }
    println!("embedded {embedded} items with {}", embedder.model());
    Ok(())
}

async fn run_bootstrap(
    settings: Arc<Settings>,
    email: &str,
    password_env: &str,
) -> anyhow::Result<()> {
    let password = std::env::var(password_env).with_context(|| {
        format!("environment variable {password_env} (named by --password-env) is not set")
    })?;
    let state = api::prepare(settings, true).await?;
    api::operator::ensure_admin(&state, email, &password).await
}
