//! What a curation changes, captured before it changes it, so its audit entry can put it
//! back: the themes' rows, metrics, aliases and member links, their insights (cards, pin,
//! hiding and text included) and the Jira matches of those insights. Rows are kept as
//! PostgreSQL renders them (`to_jsonb`) and read back with `jsonb_populate_recordset`, so
//! every column round-trips without this file naming them.

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::DomainError;
use crate::db::statement as raw;

/// Each table with the key column that picks a snapshot's rows, restored in this order
/// (parents first).
const TABLES: [(&str, &str); 6] = [
    ("themes", "id"),
    ("theme_metrics", "theme_id"),
    ("theme_aliases", "theme_id"),
    ("insights", "theme_id"),
    ("feedback_themes", "theme_id"),
    ("jira_insight_matches", "insight_id"),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Snapshot {
    pub(super) theme_ids: Vec<Uuid>,
    pub(super) insight_ids: Vec<Uuid>,
    /// Rows per table, as `to_jsonb` rendered them.
    tables: serde_json::Map<String, Value>,
}

impl Snapshot {
    /// The feedback linked to the captured themes.
    fn feedback_ids(&self) -> Vec<Value> {
        self.tables
            .get("feedback_themes")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.get("feedback_id").cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The current state of `theme_ids` (themes of the workspace) and their insights.
pub(super) async fn capture(
    db: &impl ConnectionTrait,
    ws: Uuid,
    theme_ids: &[Uuid],
) -> Result<Snapshot, DomainError> {
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let insight_ids: Vec<Uuid> = Id::find_by_statement(raw(
        "SELECT id FROM insights WHERE workspace_id = $1 \
         AND theme_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) ORDER BY id",
        [ws.into(), json!(theme_ids).into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let mut tables = serde_json::Map::new();
    for (table, key) in TABLES {
        let ids = if key == "insight_id" {
            json!(insight_ids)
        } else {
            json!(theme_ids)
        };
        let sql = format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]'::jsonb) AS rows FROM {table} x \
             WHERE x.{key} IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)"
        );
        let row = db
            .query_one_raw(raw(&sql, [ids.into()]))
            .await?
            .ok_or(DomainError::not_found("snapshot"))?;
        tables.insert(table.to_owned(), row.try_get::<Value>("", "rows")?);
    }
    Ok(Snapshot {
        theme_ids: theme_ids.to_vec(),
        insight_ids,
        tables,
    })
}

/// Puts `snapshot` back: whatever the themes and insights it names (and `also`, themes the
/// change created) became is removed, its feedback leaves any other theme it joined since,
/// and its rows return as they were. Feedback or tickets deleted since stay deleted.
pub(super) async fn restore(
    txn: &impl ConnectionTrait,
    ws: Uuid,
    snapshot: &Snapshot,
    also: &[Uuid],
) -> Result<(), DomainError> {
    let themes: Vec<Uuid> = snapshot.theme_ids.iter().chain(also).copied().collect();
    txn.execute_raw(raw(
        "DELETE FROM insights WHERE workspace_id = $1 AND (id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) \
         OR theme_id IN (SELECT (jsonb_array_elements_text($3::jsonb))::uuid))",
        [ws.into(), json!(snapshot.insight_ids).into(), json!(themes).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "DELETE FROM themes WHERE workspace_id = $1 AND id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)",
        [ws.into(), json!(themes).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "DELETE FROM feedback_themes WHERE feedback_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        [Value::Array(snapshot.feedback_ids()).into()],
    ))
    .await?;
    for (table, _) in TABLES {
        let rows = snapshot.tables.get(table).cloned().unwrap_or(json!([]));
        let columns = writable_columns(txn, table).await?;
        // Rows whose feedback or ticket was deleted since are left out.
        let still_there = match table {
            "feedback_themes" => {
                " WHERE x.feedback_id IN (SELECT id FROM feedback WHERE workspace_id = $2)"
            }
            "jira_insight_matches" => {
                " WHERE x.ticket_id IN (SELECT id FROM jira_tickets WHERE workspace_id = $2)"
            }
            _ => " WHERE $2::uuid IS NOT NULL",
        };
        let sql = format!(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_recordset(NULL::{table}, $1::jsonb) x{still_there}"
        );
        txn.execute_raw(raw(&sql, [rows.into(), ws.into()])).await?;
    }
    Ok(())
}

/// The table's columns a row may be written with (generated ones are computed).
async fn writable_columns(db: &impl ConnectionTrait, table: &str) -> Result<String, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS columns \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'",
            [table.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("table"))?;
    Ok(row.try_get("", "columns")?)
}
