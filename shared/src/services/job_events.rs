//! Live job changes: one PostgreSQL `LISTEN job_runs` connection per process fans the
//! trigger's notifications out to every subscriber (progress streams). A notification only
//! says "this job changed"; subscribers re-read the row, so nothing depends on payloads
//! arriving, and they also re-read on a slow timer in case the listener was reconnecting.

use std::sync::{Arc, OnceLock};

use sea_orm::{DatabaseConnection, sqlx::postgres::PgListener};
use serde::Deserialize;
use tokio::sync::broadcast;
use uuid::Uuid;

const CHANNEL: &str = "job_runs";

/// What a notification names: which job changed, and where.
#[derive(Debug, Clone, Deserialize)]
pub struct JobChange {
    pub id: Uuid,
    pub workspace_id: Option<Uuid>,
    pub kind: String,
}

/// Shared by every request of one process; the listener starts on the first subscription.
#[derive(Clone)]
pub struct JobEvents {
    db: DatabaseConnection,
    sender: Arc<OnceLock<broadcast::Sender<JobChange>>>,
}

impl JobEvents {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            sender: Arc::new(OnceLock::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<JobChange> {
        self.sender
            .get_or_init(|| {
                let (tx, _) = broadcast::channel(1024);
                tokio::spawn(listen(self.db.clone(), tx.clone()));
                tx
            })
            .subscribe()
    }
}

/// Forwards notifications until the process ends, reconnecting after a lost connection.
async fn listen(db: DatabaseConnection, tx: broadcast::Sender<JobChange>) {
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "job events: cannot connect the listener; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "job events: LISTEN failed; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Ok(change) = serde_json::from_str::<JobChange>(n.payload()) {
                        // No subscriber right now is fine.
                        let _ = tx.send(change);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "job events: listener lost; reconnecting");
                    break;
                }
            }
        }
    }
}
