//! Undoing a curation from its audit entry: the themes it touched return to the rows it
//! replaced, and the themes it created go.

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    ACTIONS, Change, Curated, Curator, begin, finish,
    snapshot::{self, Snapshot},
};
use crate::{DomainError, db::statement as raw, entities::audit_log};

/// Undoes the curation recorded as `audit_id`: the themes it touched return to what they
/// were, themes it created go. Undoing is itself audited (and can be undone in turn).
pub async fn undo(
    db: &DatabaseConnection,
    c: &Curator<'_>,
    audit_id: Uuid,
) -> Result<Curated, DomainError> {
    let ws = c.who.workspace_id;
    let txn = begin(db, ws).await?;
    let entry = audit_log::Entity::find_by_id(audit_id)
        .one(&txn)
        .await?
        .filter(|e| e.workspace_id == ws)
        .ok_or(DomainError::not_found("audit entry"))?;
    if !ACTIONS.contains(&entry.action.as_str()) {
        return Err(DomainError::Conflict(format!(
            "{} is not a theme curation; only {} can be undone",
            entry.action,
            ACTIONS.join(", ")
        )));
    }
    let undone = txn
        .query_one_raw(raw(
            "SELECT count(*) FILTER (WHERE action = 'theme.undone' AND target_id = $2) AS undone, \
                    count(*) FILTER (WHERE created_at > $3 AND action <> 'theme.undone' \
                        AND action IN (SELECT jsonb_array_elements_text($4::jsonb)) \
                        AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(details->'before'->'theme_ids', '[]'::jsonb) \
                                        || coalesce(details->'created_themes', '[]'::jsonb)) t \
                                    WHERE t IN (SELECT jsonb_array_elements_text($5::jsonb)))) AS newer \
             FROM audit_log WHERE workspace_id = $1",
            vec![
                ws.into(),
                audit_id.to_string().into(),
                entry.created_at.into(),
                json!(ACTIONS).into(),
                json!(touched(&entry.details)).into(),
            ],
        ))
        .await?
        .ok_or(DomainError::not_found("audit entry"))?;
    if undone.try_get::<i64>("", "undone")? > 0 {
        return Err(DomainError::Conflict(format!(
            "audit entry {audit_id} was already undone"
        )));
    }
    if undone.try_get::<i64>("", "newer")? > 0 {
        return Err(DomainError::Conflict(
            "a later curation changed the same themes; undo that one first".into(),
        ));
    }
    let before: Snapshot =
        serde_json::from_value(entry.details["before"].clone()).map_err(|e| {
            DomainError::Conflict(format!(
                "audit entry {audit_id} holds no state to restore: {e}"
            ))
        })?;
    let created: Vec<Uuid> =
        serde_json::from_value(entry.details["created_themes"].clone()).unwrap_or_default();
    let now_there: Vec<Uuid> =
        existing_themes(&txn, ws, before.theme_ids.iter().chain(&created)).await?;
    let current = snapshot::capture(&txn, ws, &now_there).await?;
    snapshot::restore(&txn, ws, &before, &created).await?;
    let recreated: Vec<Uuid> = before
        .theme_ids
        .iter()
        .filter(|t| !now_there.contains(t))
        .copied()
        .collect();
    let insight_id = entry
        .target_id
        .as_deref()
        .and_then(|t| t.parse().ok())
        .filter(|i| before.insight_ids.contains(i))
        .or_else(|| before.insight_ids.first().copied())
        .unwrap_or(audit_id);
    let change = Change {
        action: "theme.undone",
        // The entry targets the entry it undid, so "already undone" is one lookup.
        target: ("audit_entry", audit_id),
        insight_id,
        before: current,
        created_themes: recreated,
        summary: json!({ "undid": audit_id, "action": entry.action }),
    };
    let id = finish(txn, c, change).await?;
    Ok(Curated {
        audit_id: id,
        insight_id,
        created_insight_id: None,
    })
}

fn touched(details: &Value) -> Vec<Value> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut out = list(&details["before"]["theme_ids"]);
    out.extend(list(&details["created_themes"]));
    out
}

async fn existing_themes<'a>(
    db: &impl ConnectionTrait,
    ws: Uuid,
    ids: impl Iterator<Item = &'a Uuid>,
) -> Result<Vec<Uuid>, DomainError> {
    let ids: Vec<Uuid> = ids.copied().collect();
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
    }
    Ok(Row::find_by_statement(raw(
        "SELECT id FROM themes WHERE workspace_id = $1 AND id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) ORDER BY id",
        [ws.into(), json!(ids).into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect())
}
