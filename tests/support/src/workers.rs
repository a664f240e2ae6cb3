//! In-process workers. Each runs on its own runtime thread: `stop` is a graceful shutdown,
//! `kill` drops the runtime mid-flight (like SIGKILL: no cleanup, leases stop renewing).

use std::sync::Arc;

use shared::config::Settings;
use worker::JobRegistry;

pub struct TestWorker {
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::sync::oneshot::Receiver<anyhow::Result<()>>>,
}

impl TestWorker {
    pub fn start(settings: Arc<Settings>, registry: JobRegistry) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("worker runtime");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let kinds = registry.kinds();
            let result = match worker::connect(settings, registry).await {
                Ok(rt) => {
                    worker::run(rt, kinds, false, async move {
                        let _ = stop_rx.await;
                    })
                    .await
                }
                Err(e) => Err(e),
            };
            let _ = done_tx.send(result);
        });
        Self {
            runtime,
            stop: Some(stop_tx),
            done: Some(done_rx),
        }
    }

    /// Graceful shutdown: in-flight jobs finish; returns the worker's exit result.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let done = self.done.take().expect("not yet stopped");
        let result = done
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("worker runtime vanished")));
        self.runtime.shutdown_background();
        result
    }

    /// Simulated crash: every task of this worker stops at its next await point.
    pub fn kill(self) {
        self.runtime.shutdown_background();
    }
}
