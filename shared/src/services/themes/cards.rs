//! The board's read model: each insight row carries what the list shows (feedback count,
//! the customers behind it, their total ACV), so `GET /themes` is one indexed query with
//! no aggregation. Every transaction that changes links, feedback or customers refreshes
//! them before it commits, under the workspace's themes lock (`lock.rs`).

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::DomainError;
use crate::db::statement as raw;

/// The aggregate the cards store, per insight of the workspace (also the from-scratch
/// recomputation the consistency tests compare against).
pub const CARD_AGGREGATE: &str = "
    SELECT i.id,
           coalesce(p.n, 0)::int AS feedback_count,
           coalesce(c.customers, '[]'::jsonb) AS customers,
           coalesce(c.acv, 0)::float8 AS total_acv
    FROM insights i
    LEFT JOIN (SELECT ft.theme_id, count(*) AS n FROM feedback_themes ft
               JOIN themes t ON t.id = ft.theme_id WHERE t.workspace_id = $1 GROUP BY ft.theme_id) p
           ON p.theme_id = i.theme_id
    LEFT JOIN (SELECT d.theme_id,
                      jsonb_agg(jsonb_build_object('id', cu.id, 'name', cu.name, 'segment', cu.segment, 'acv', cu.acv)
                                ORDER BY cu.acv DESC, cu.name, cu.id) AS customers,
                      sum(cu.acv) AS acv
               FROM (SELECT DISTINCT ft.theme_id, f.customer_id FROM feedback_themes ft
                     JOIN themes t ON t.id = ft.theme_id JOIN feedback f ON f.id = ft.feedback_id
                     WHERE t.workspace_id = $1 AND f.customer_id IS NOT NULL) d
               JOIN customers cu ON cu.id = d.customer_id GROUP BY d.theme_id) c
           ON c.theme_id = i.theme_id
    WHERE i.workspace_id = $1";

/// Recomputes the stored card columns of the workspace's insights; rows already right are
/// not rewritten. The caller holds the workspace's themes lock (every product path comes
/// through `after_evidence_changed`, re-scoring or the clustering swap): computed beside an
/// uncommitted attach, the recomputation would miss its links and, committed after it,
/// overwrite its cards with a count that never existed.
pub async fn refresh_cards(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<(), DomainError> {
    let sql = format!(
        "UPDATE insights i SET feedback_count = x.feedback_count, customers = x.customers, total_acv = x.total_acv \
         FROM ({CARD_AGGREGATE}) x \
         WHERE i.id = x.id AND (i.feedback_count, i.customers, i.total_acv) \
               IS DISTINCT FROM (x.feedback_count, x.customers, x.total_acv)"
    );
    db.execute_raw(raw(&sql, vec![workspace_id.into()])).await?;
    Ok(())
}
