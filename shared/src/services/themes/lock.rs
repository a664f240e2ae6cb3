//! One lock per workspace for everything that rewrites its themes or their board cards:
//! the clustering swap, attaching new feedback, re-scoring, card refreshes (customer edits,
//! ingests changing an account) and feedback deletions take it, so they never interleave.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DomainError;
use crate::db::statement as raw;

/// Distinguishes this lock from other advisory locks a future feature may take.
const THEMES_LOCK_CLASS: i32 = 0x7468_656d; // "them"

/// Takes the workspace's themes lock for the rest of `txn`; waits for a holder to commit.
pub(crate) async fn lock_workspace_themes(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<(), DomainError> {
    txn.execute_raw(raw(
        "SELECT pg_advisory_xact_lock($1, hashtext($2::text))",
        vec![THEMES_LOCK_CLASS.into(), workspace_id.to_string().into()],
    ))
    .await?;
    Ok(())
}
