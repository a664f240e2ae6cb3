//! `produck-worker [--queues a,b] [--no-schedule]`

use std::sync::Arc;

use clap::Parser;
use shared::config::{Settings, config_dir};
use worker::{JobRegistry, connect, run, select_kinds, shutdown_signal};

#[derive(Parser)]
#[command(
    name = "produck-worker",
    about = "Runs ProduckAI background jobs",
    version
)]
struct Cli {
    /// Consume only these queues (comma-separated job kinds).
    #[arg(long, value_delimiter = ',')]
    queues: Option<Vec<String>>,
    /// Do not fire cron schedules from this process.
    #[arg(long)]
    no_schedule: bool,
}

fn main() {
    shared::ingest::sandbox::start(serve_main);
}

#[tokio::main]
async fn serve_main() {
    let cli = Cli::parse();
    let settings = match Settings::load(&config_dir()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("produck-worker: {e}");
            std::process::exit(2);
        }
    };
    shared::telemetry::init(&settings.telemetry);
    if let Err(e) = start(cli, settings).await {
        tracing::error!(error = %format!("{e:#}"), "worker exited with an error");
        eprintln!("produck-worker: {e:#}");
        std::process::exit(1);
    }
}

async fn start(cli: Cli, settings: Arc<Settings>) -> anyhow::Result<()> {
    shared::ai_config::AiConfig::load(&settings.ai.config_path)?;
    if let Some(why) = shared::ai::AiServices::load(&settings)?.start_refusal(&settings.environment)
    {
        anyhow::bail!(why);
    }
    let registry = JobRegistry::production();
    let kinds = select_kinds(&registry, cli.queues.as_deref())?;
    let runtime = connect(settings.clone(), registry).await?;
    if let Some(addr) = settings.worker.metrics_addr {
        let bound = worker::listener::spawn(runtime.clone(), addr).await?;
        tracing::info!(%bound, "serving /metrics and /healthz");
    }
    tracing::info!(worker = %runtime.name, queues = ?kinds, "worker started");
    run(runtime, kinds, !cli.no_schedule, shutdown_signal()).await
}
