//! A workspace's scoring weights and segment priorities.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::statement as raw;
use crate::{
    DomainError,
    services::theme_scores::{SegmentPriorities, Weights},
};

/// Stored weights of a workspace, or the defaults.
pub async fn scoring_config(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<(Weights, SegmentPriorities), DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT weights, segment_priorities FROM workspace_settings WHERE workspace_id = $1",
            vec![workspace_id.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok((Weights::default(), SegmentPriorities::default()));
    };
    let w: Value = row.try_get("", "weights")?;
    let p: Value = row.try_get("", "segment_priorities")?;
    Ok((
        serde_json::from_value(w).unwrap_or_default(),
        serde_json::from_value(p).unwrap_or_default(),
    ))
}

pub async fn save_scoring_config(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    w: &Weights,
    p: &SegmentPriorities,
) -> Result<(), DomainError> {
    db.execute_raw(raw(
        "INSERT INTO workspace_settings (workspace_id, weights, segment_priorities) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id) DO UPDATE SET weights = EXCLUDED.weights, \
         segment_priorities = EXCLUDED.segment_priorities, updated_at = now()",
        vec![workspace_id.into(), json!(w).into(), json!(p).into()],
    ))
    .await?;
    Ok(())
}
