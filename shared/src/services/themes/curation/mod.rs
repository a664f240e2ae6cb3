//! A PM's corrections to the themes: edit an insight's text, hide or pin it, merge themes,
//! move feedback between them, split one. Each change runs in one transaction under the
//! themes lock with the board's cards, scores and the matched tickets' VOC recomputed, and
//! its audit entry holds what it replaced, so `undo` with the entry's id puts it back. A
//! touched theme becomes curated: clustering runs keep it (see `curated`).

mod members;
mod snapshot;
mod split;
mod undo;

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, FromQueryResult, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{lock::lock_workspace_themes, refresh::refresh_in};
use crate::db::statement as raw;
use crate::{
    DomainError,
    services::{
        audit::{self, Event, Origin},
        jira::ticket_scores::score_from_matches,
        principal::Principal,
    },
};
use snapshot::Snapshot;

/// Audit actions of curation; each entry can be undone once.
pub const ACTIONS: [&str; 5] = [
    "theme.edited",
    "theme.merged",
    "theme.items_moved",
    "theme.split",
    "theme.undone",
];

/// Who curates, from where, and the similarity threshold re-scored tickets fall back to.
pub struct Curator<'a> {
    pub who: &'a Principal,
    pub from: &'a Origin,
    pub voc_threshold: f32,
}

/// What a curation did: its audit entry (the id to undo it with), the insight it left in
/// place, and the insight it created (a split's new one).
#[derive(Debug, Clone)]
pub struct Curated {
    pub audit_id: Uuid,
    pub insight_id: Uuid,
    pub created_insight_id: Option<Uuid>,
}

/// Changes to an insight; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct InsightEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub impact: Option<String>,
    pub recommendation: Option<String>,
    pub hidden: Option<bool>,
    pub pinned: Option<bool>,
}

impl InsightEdit {
    fn changes_text(&self) -> bool {
        self.title.is_some()
            || self.description.is_some()
            || self.impact.is_some()
            || self.recommendation.is_some()
    }
}

/// A customer-feedback insight of the workspace and its theme.
#[derive(FromQueryResult, Clone, Copy)]
struct Target {
    insight_id: Uuid,
    theme_id: Uuid,
}

async fn target(
    db: &impl ConnectionTrait,
    ws: Uuid,
    insight_id: Uuid,
) -> Result<Target, DomainError> {
    Target::find_by_statement(raw(
        "SELECT i.id AS insight_id, i.theme_id FROM insights i \
         WHERE i.id = $1 AND i.workspace_id = $2 AND i.category = 'customer_feedback' AND i.theme_id IS NOT NULL",
        [insight_id.into(), ws.into()],
    ))
    .one(db)
    .await?
    .ok_or(DomainError::not_found("insight"))
}

/// Opens the change's transaction with the themes lock held.
async fn begin(db: &DatabaseConnection, ws: Uuid) -> Result<DatabaseTransaction, DomainError> {
    let txn = db.begin().await?;
    lock_workspace_themes(&txn, ws).await?;
    Ok(txn)
}

/// Tickets matched to any of `insight_ids`.
async fn matched_tickets(
    db: &impl ConnectionTrait,
    insight_ids: &[Uuid],
) -> Result<Vec<Uuid>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        ticket_id: Uuid,
    }
    Ok(Row::find_by_statement(raw(
        "SELECT DISTINCT ticket_id FROM jira_insight_matches \
         WHERE insight_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid) ORDER BY ticket_id",
        [json!(insight_ids).into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.ticket_id)
    .collect())
}

async fn mark_curated(txn: &impl ConnectionTrait, theme_ids: &[Uuid]) -> Result<(), DomainError> {
    txn.execute_raw(raw(
        "UPDATE themes SET curated_at = coalesce(curated_at, now()) \
         WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        [json!(theme_ids).into()],
    ))
    .await?;
    Ok(())
}

/// The audit entry's record of a change.
struct Change {
    action: &'static str,
    target: (&'static str, Uuid),
    /// The insight the change left in place (its tickets are re-scored).
    insight_id: Uuid,
    before: Snapshot,
    /// Themes the change created (undo removes them).
    created_themes: Vec<Uuid>,
    summary: Value,
}

/// Ends every curation: scores, cards and priorities follow the new membership, the
/// tickets matched before or after are re-scored, and the entry is written with the change.
async fn finish(
    txn: DatabaseTransaction,
    c: &Curator<'_>,
    change: Change,
) -> Result<Uuid, DomainError> {
    let ws = c.who.workspace_id;
    refresh_in(&txn, ws).await?;
    let mut insights: Vec<Uuid> = change.before.insight_ids.clone();
    insights.extend(insight_ids_of(&txn, &change.created_themes).await?);
    insights.push(change.insight_id);
    let tickets = matched_tickets(&txn, &insights).await?;
    if !tickets.is_empty() {
        score_from_matches(&txn, ws, &tickets, c.voc_threshold).await?;
    }
    let event = Event::new(change.action, change.target.0, change.target.1).details(json!({
        "summary": change.summary,
        "created_themes": change.created_themes,
        "before": change.before,
    }));
    audit::commit(txn, c.who, c.from, event).await
}

async fn insight_ids_of(
    db: &impl ConnectionTrait,
    theme_ids: &[Uuid],
) -> Result<Vec<Uuid>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
    }
    Ok(Row::find_by_statement(raw(
        "SELECT id FROM insights WHERE theme_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        [json!(theme_ids).into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect())
}

/// Edits an insight's text, hides or pins it.
pub async fn edit(
    db: &DatabaseConnection,
    c: &Curator<'_>,
    insight_id: Uuid,
    edit: InsightEdit,
) -> Result<Curated, DomainError> {
    let ws = c.who.workspace_id;
    let txn = begin(db, ws).await?;
    let t = target(&txn, ws, insight_id).await?;
    let before = snapshot::capture(&txn, ws, &[t.theme_id]).await?;
    let editor = edit.changes_text().then(|| c.who.display_name());
    txn.execute_raw(raw(
        "UPDATE insights SET title = coalesce($2, title), description = coalesce($3, description), \
         impact = coalesce($4, impact), recommendation = coalesce($5, recommendation), \
         edited_by = coalesce($6, edited_by), edited_at = CASE WHEN $6::text IS NULL THEN edited_at ELSE now() END, \
         hidden_at = CASE WHEN $7::bool IS NULL THEN hidden_at WHEN $7 THEN coalesce(hidden_at, now()) END, \
         pinned_at = CASE WHEN $8::bool IS NULL THEN pinned_at WHEN $8 THEN coalesce(pinned_at, now()) END, \
         updated_at = now() WHERE id = $1",
        vec![
            insight_id.into(),
            edit.title.clone().into(),
            edit.description.clone().into(),
            edit.impact.clone().into(),
            edit.recommendation.clone().into(),
            editor.into(),
            edit.hidden.into(),
            edit.pinned.into(),
        ],
    ))
    .await?;
    mark_curated(&txn, &[t.theme_id]).await?;
    let changed: Vec<&str> = [
        ("title", edit.title.is_some()),
        ("description", edit.description.is_some()),
        ("impact", edit.impact.is_some()),
        ("recommendation", edit.recommendation.is_some()),
        ("hidden", edit.hidden.is_some()),
        ("pinned", edit.pinned.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, set)| set.then_some(f))
    .collect();
    let change = Change {
        action: "theme.edited",
        target: ("insight", insight_id),
        insight_id,
        before,
        created_themes: Vec::new(),
        summary: json!({ "fields": changed, "hidden": edit.hidden, "pinned": edit.pinned }),
    };
    let audit_id = finish(txn, c, change).await?;
    Ok(Curated {
        audit_id,
        insight_id,
        created_insight_id: None,
    })
}

/// Merges the themes of `sources` into the theme of `insight_id`: their feedback, Jira
/// matches and likeness (aliases for later runs) join it; their insights go.
pub async fn merge(
    db: &DatabaseConnection,
    c: &Curator<'_>,
    insight_id: Uuid,
    sources: &[Uuid],
) -> Result<Curated, DomainError> {
    let ws = c.who.workspace_id;
    let unique: HashSet<Uuid> = sources.iter().copied().collect();
    if unique.contains(&insight_id) {
        return Err(DomainError::invalid(
            "insight_ids",
            "an insight cannot be merged into itself",
        ));
    }
    let txn = begin(db, ws).await?;
    let into = target(&txn, ws, insight_id).await?;
    let mut from = Vec::with_capacity(unique.len());
    for s in sources.iter().filter(|s| unique.contains(s)) {
        if !from.iter().any(|t: &Target| t.insight_id == *s) {
            from.push(target(&txn, ws, *s).await?);
        }
    }
    let from_themes: Vec<Uuid> = from.iter().map(|t| t.theme_id).collect();
    let from_insights: Vec<Uuid> = from.iter().map(|t| t.insight_id).collect();
    let all: Vec<Uuid> = std::iter::once(into.theme_id)
        .chain(from_themes.iter().copied())
        .collect();
    let before = snapshot::capture(&txn, ws, &all).await?;
    let themes = json!(from_themes);
    txn.execute_raw(raw(
        "INSERT INTO theme_aliases (theme_id, centroid) \
         SELECT $1, centroid FROM themes WHERE id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) \
         UNION ALL SELECT $1, centroid FROM theme_aliases WHERE theme_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)",
        [into.theme_id.into(), themes.clone().into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence) \
         SELECT feedback_id, $1, max(confidence) FROM feedback_themes \
         WHERE theme_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) GROUP BY feedback_id \
         ON CONFLICT DO NOTHING",
        [into.theme_id.into(), themes.clone().into()],
    ))
    .await?;
    // A ticket matched to several of the merged insights keeps its strongest match, and a
    // PM's decision wins over a proposal.
    txn.execute_raw(raw(
        "INSERT INTO jira_insight_matches (ticket_id, insight_id, similarity, confidence, is_confirmed, created_at) \
         SELECT DISTINCT ON (ticket_id) ticket_id, $1, similarity, confidence, is_confirmed, created_at \
         FROM jira_insight_matches WHERE insight_id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid) \
         ORDER BY ticket_id, is_confirmed DESC NULLS LAST, similarity DESC \
         ON CONFLICT (ticket_id, insight_id) DO UPDATE SET \
         similarity = greatest(jira_insight_matches.similarity, EXCLUDED.similarity), \
         is_confirmed = coalesce(jira_insight_matches.is_confirmed, EXCLUDED.is_confirmed), updated_at = now()",
        [into.insight_id.into(), json!(from_insights).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "DELETE FROM insights WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        [json!(from_insights).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "DELETE FROM themes WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        [themes.into()],
    ))
    .await?;
    members::recentre(&txn, &[into.theme_id]).await?;
    mark_curated(&txn, &[into.theme_id]).await?;
    let change = Change {
        action: "theme.merged",
        target: ("insight", insight_id),
        insight_id,
        before,
        created_themes: Vec::new(),
        summary: json!({ "merged_insight_ids": from_insights }),
    };
    let audit_id = finish(txn, c, change).await?;
    Ok(Curated {
        audit_id,
        insight_id,
        created_insight_id: None,
    })
}

/// Feedback of the workspace among `ids` with the themes it is in now; unknown ids are an
/// error naming the first.
async fn feedback_and_themes(
    db: &impl ConnectionTrait,
    ws: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        theme_id: Option<Uuid>,
    }
    let rows = Row::find_by_statement(raw(
        "SELECT f.id, ft.theme_id FROM feedback f LEFT JOIN feedback_themes ft ON ft.feedback_id = f.id \
         WHERE f.workspace_id = $1 AND f.id IN (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)",
        [ws.into(), json!(ids).into()],
    ))
    .all(db)
    .await?;
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in rows {
        out.entry(r.id).or_default().extend(r.theme_id);
    }
    if let Some(missing) = ids.iter().find(|id| !out.contains_key(id)) {
        return Err(DomainError::invalid(
            "feedback_ids",
            format!("feedback {missing} is not in this workspace"),
        ));
    }
    Ok(out)
}

/// Moves feedback items into the theme of `insight_id`, out of whatever theme held them;
/// a theme left empty goes with its insight.
pub async fn move_items(
    db: &DatabaseConnection,
    c: &Curator<'_>,
    insight_id: Uuid,
    feedback_ids: &[Uuid],
) -> Result<Curated, DomainError> {
    let ws = c.who.workspace_id;
    let txn = begin(db, ws).await?;
    let into = target(&txn, ws, insight_id).await?;
    let held = feedback_and_themes(&txn, ws, feedback_ids).await?;
    let mut themes: Vec<Uuid> = vec![into.theme_id];
    for t in held.values().flatten() {
        if !themes.contains(t) {
            themes.push(*t);
        }
    }
    let before = snapshot::capture(&txn, ws, &themes).await?;
    relink(&txn, feedback_ids, into.theme_id).await?;
    members::recentre(&txn, &themes).await?;
    drop_emptied(&txn, &themes[1..]).await?;
    mark_curated(&txn, &[into.theme_id]).await?;
    let change = Change {
        action: "theme.items_moved",
        target: ("insight", insight_id),
        insight_id,
        before,
        created_themes: Vec::new(),
        summary: json!({ "feedback_ids": feedback_ids, "from_theme_ids": &themes[1..] }),
    };
    let audit_id = finish(txn, c, change).await?;
    Ok(Curated {
        audit_id,
        insight_id,
        created_insight_id: None,
    })
}

/// Links `feedback_ids` to `theme_id` only.
async fn relink(
    txn: &impl ConnectionTrait,
    feedback_ids: &[Uuid],
    theme_id: Uuid,
) -> Result<(), DomainError> {
    let ids = json!(feedback_ids);
    txn.execute_raw(raw(
        "DELETE FROM feedback_themes WHERE feedback_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        [ids.clone().into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence) \
         SELECT (jsonb_array_elements_text($1::jsonb))::uuid, $2, 0",
        [ids.into(), theme_id.into()],
    ))
    .await?;
    Ok(())
}

/// Removes those of `theme_ids` that have no member left, and their insights.
async fn drop_emptied(txn: &impl ConnectionTrait, theme_ids: &[Uuid]) -> Result<(), DomainError> {
    let empty = "SELECT id FROM themes t WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid) \
                 AND NOT EXISTS (SELECT 1 FROM feedback_themes ft WHERE ft.theme_id = t.id)";
    txn.execute_raw(raw(
        &format!("DELETE FROM insights WHERE theme_id IN ({empty})"),
        [json!(theme_ids).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        &format!("DELETE FROM themes WHERE id IN ({empty})"),
        [json!(theme_ids).into()],
    ))
    .await?;
    Ok(())
}

pub use split::split;
pub use undo::undo;
