//! Splitting a theme: chosen members, or the smaller half of a two-way split by similarity,
//! become a new theme whose insight the deterministic writer drafts.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;
use uuid::Uuid;

use super::{
    Change, Curated, Curator, begin, finish, mark_curated, members, relink, snapshot, target,
};
use crate::services::themes::{
    draft::ThemeDraft,
    evidence::evidence,
    fallback::fallback_insights,
    load::{Item, load_customers, load_items},
    store::{Rows, upsert},
};
use crate::{DomainError, db::statement as raw};

/// Splits the theme of `insight_id`: the chosen members (or, with none chosen, the smaller
/// half of a two-way split of its members) become a new theme with an insight written by
/// the deterministic writer; the rest stay.
pub async fn split(
    db: &DatabaseConnection,
    c: &Curator<'_>,
    insight_id: Uuid,
    chosen: Option<&[Uuid]>,
) -> Result<Curated, DomainError> {
    let ws = c.who.workspace_id;
    let txn = begin(db, ws).await?;
    let source = target(&txn, ws, insight_id).await?;
    let members = members::member_vectors(&txn, &[source.theme_id]).await?;
    let moving: Vec<Uuid> = match chosen {
        Some(ids) => {
            let inside: HashSet<Uuid> = members.iter().map(|(_, f, _)| *f).collect();
            if let Some(outsider) = ids.iter().find(|id| !inside.contains(id)) {
                return Err(DomainError::invalid(
                    "feedback_ids",
                    format!("feedback {outsider} is not a member of this insight's theme"),
                ));
            }
            ids.iter()
                .copied()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect()
        }
        None => {
            if members.len() < 4 {
                return Err(DomainError::invalid(
                    "feedback_ids",
                    "a theme needs at least 4 embedded items to be split automatically; choose the items to split off",
                ));
            }
            let vectors: Vec<&[f32]> = members.iter().map(|(_, _, v)| v.as_slice()).collect();
            members::two_way_split(&vectors)
                .into_iter()
                .map(|n| members[n].1)
                .collect()
        }
    };
    if moving.is_empty() || moving.len() >= members.len() {
        return Err(DomainError::invalid(
            "feedback_ids",
            "a split needs some but not all of the theme's items",
        ));
    }
    let before = snapshot::capture(&txn, ws, &[source.theme_id]).await?;
    let model: String = txn
        .query_one_raw(raw(
            "SELECT embedding_model FROM themes WHERE id = $1",
            [source.theme_id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("theme"))?
        .try_get("", "embedding_model")?;
    let new_theme = new_theme_for(&txn, ws, &model, &moving).await?;
    relink(&txn, &moving, new_theme.0).await?;
    members::recentre(&txn, &[source.theme_id, new_theme.0]).await?;
    mark_curated(&txn, &[source.theme_id, new_theme.0]).await?;
    let change = Change {
        action: "theme.split",
        target: ("insight", insight_id),
        insight_id,
        before,
        created_themes: vec![new_theme.0],
        summary: json!({ "feedback_ids": moving, "new_insight_id": new_theme.1, "chosen": chosen.is_some() }),
    };
    let audit_id = finish(txn, c, change).await?;
    Ok(Curated {
        audit_id,
        insight_id,
        created_insight_id: Some(new_theme.1),
    })
}

/// Writes a theme of `feedback_ids` with an insight from the deterministic writer; answers
/// (theme id, insight id). Its scores are provisional until the caller's refresh.
async fn new_theme_for(
    txn: &impl ConnectionTrait,
    ws: Uuid,
    model: &str,
    feedback_ids: &[Uuid],
) -> Result<(Uuid, Uuid), DomainError> {
    let items = load_items(txn, ws, model, Some(feedback_ids)).await?;
    let customers = load_customers(txn, ws).await?;
    let all: Vec<Option<usize>> = vec![Some(0); items.len()];
    let centroid = crate::cluster::centroids(&items, &all, 1).remove(0);
    let docs: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let keywords = crate::cluster::labels::keywords(&docs, &all, 1, &HashSet::new(), 5).remove(0);
    let refs: Vec<&Item> = items.iter().collect();
    let draft = ThemeDraft {
        id: Uuid::now_v7(),
        insight_id: Uuid::now_v7(),
        label: crate::cluster::labels::label_from(&keywords),
        keywords,
        members: items
            .iter()
            .enumerate()
            .map(|(n, i)| (n, crate::ai::embeddings::cosine(&i.vector, &centroid)))
            .collect(),
        centroid,
        evidence: evidence(&refs, &customers, Utc::now()),
        score: 0.0,
    };
    let texts = fallback_insights(std::slice::from_ref(&draft), &items, &customers);
    let ids = (draft.id, draft.insight_id);
    // Its links are written here and replaced by the caller's `relink`.
    upsert(
        txn,
        ws,
        model,
        Rows::of(std::slice::from_ref(&draft), &texts, &items),
    )
    .await?;
    Ok(ids)
}
