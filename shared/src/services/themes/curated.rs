//! What a clustering run keeps of a PM's curation. A curated theme keeps its members (the
//! run does not cluster them again), so merged themes stay merged, moved items stay where
//! they were put and a split stays split. New feedback still finds it: a new cluster that
//! looks like a curated theme, or like a theme merged into one (its alias), folds into it,
//! and an item no cluster took joins the nearest curated theme it is close enough to.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use super::{STABLE_ID_THRESHOLD, load::Item};
use crate::db::statement as raw;
use crate::{
    DomainError,
    ai::embeddings::{cosine, from_bytes},
    cluster::{self, Clustering},
};

/// A curated theme as the run found it.
pub(super) struct Curated {
    pub(super) id: Uuid,
    pub(super) insight_id: Uuid,
    /// A PM wrote its insight's text: the run keeps it and spends no model call on it.
    pub(super) edited: bool,
    /// Indexes into the run's items.
    members: Vec<usize>,
    stored_centroid: Vec<f32>,
    aliases: Vec<Vec<f32>>,
}

impl Curated {
    pub(super) fn members(&self) -> &[usize] {
        &self.members
    }
}

pub(super) async fn load(
    db: &impl ConnectionTrait,
    ws: Uuid,
    items: &[Item],
) -> Result<Vec<Curated>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        centroid: Vec<u8>,
        insight_id: Option<Uuid>,
        edited: Option<bool>,
    }
    let rows = Row::find_by_statement(raw(
        "SELECT t.id, t.centroid, i.id AS insight_id, i.edited_at IS NOT NULL AS edited FROM themes t LEFT JOIN insights i ON i.theme_id = t.id \
         WHERE t.workspace_id = $1 AND t.curated_at IS NOT NULL ORDER BY t.id",
        [ws.into()],
    ))
    .all(db)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<Curated> = rows
        .into_iter()
        .map(|r| Curated {
            id: r.id,
            insight_id: r.insight_id.unwrap_or_else(Uuid::now_v7),
            edited: r.edited.unwrap_or(false),
            members: Vec::new(),
            stored_centroid: from_bytes(&r.centroid),
            aliases: Vec::new(),
        })
        .collect();
    let slot: HashMap<Uuid, usize> = out.iter().enumerate().map(|(q, c)| (c.id, q)).collect();
    let index: HashMap<Uuid, usize> = items.iter().enumerate().map(|(n, i)| (i.id, n)).collect();

    #[derive(FromQueryResult)]
    struct Member {
        theme_id: Uuid,
        feedback_id: Uuid,
    }
    let members = Member::find_by_statement(raw(
        "SELECT ft.theme_id, ft.feedback_id FROM feedback_themes ft JOIN themes t ON t.id = ft.theme_id \
         WHERE t.workspace_id = $1 AND t.curated_at IS NOT NULL ORDER BY ft.feedback_id",
        [ws.into()],
    ))
    .all(db)
    .await?;
    for m in members {
        if let (Some(&q), Some(&n)) = (slot.get(&m.theme_id), index.get(&m.feedback_id)) {
            out[q].members.push(n);
        }
    }
    #[derive(FromQueryResult)]
    struct Alias {
        theme_id: Uuid,
        centroid: Vec<u8>,
    }
    let aliases = Alias::find_by_statement(raw(
        "SELECT a.theme_id, a.centroid FROM theme_aliases a JOIN themes t ON t.id = a.theme_id \
         WHERE t.workspace_id = $1",
        [ws.into()],
    ))
    .all(db)
    .await?;
    for a in aliases {
        if let Some(&q) = slot.get(&a.theme_id) {
            out[q].aliases.push(from_bytes(&a.centroid));
        }
    }
    Ok(out)
}

/// Every item's group after a run: groups `0..curated.len()` are the curated themes in
/// order, the rest the new clusters that did not fold into one.
pub(super) struct Placement {
    pub(super) groups: Vec<Option<usize>>,
    pub(super) centroids: Vec<Vec<f32>>,
    pub(super) folded: usize,
}

/// Places the run's items: curated members stay put; `free` (the items clustered, in the
/// order `result` labels them) go to their new cluster, or to the curated theme their
/// cluster looks like, or (left unclustered) to the nearest curated theme within
/// `attach_threshold`.
pub(super) fn place(
    items: &[Item],
    curated: &[Curated],
    free: &[usize],
    result: &Clustering,
    attach_threshold: f32,
) -> Placement {
    let k = curated.len();
    let mut groups: Vec<Option<usize>> = vec![None; items.len()];
    for (q, c) in curated.iter().enumerate() {
        for &n in &c.members {
            groups[n] = Some(q);
        }
    }
    let own = cluster::centroids(items, &groups, k);
    // What a curated theme looks like: its members' centroid (its stored one while it has
    // none) and the centroids of the themes merged into it.
    let anchors: Vec<(usize, &[f32])> = curated
        .iter()
        .enumerate()
        .flat_map(|(q, c)| {
            let centroid: &[f32] = if c.members.is_empty() {
                &c.stored_centroid
            } else {
                &own[q]
            };
            std::iter::once((q, centroid)).chain(c.aliases.iter().map(move |a| (q, a.as_slice())))
        })
        .collect();
    let nearest_curated = |v: &[f32], threshold: f32| {
        anchors
            .iter()
            .map(|(q, a)| (*q, cosine(v, a)))
            .filter(|(_, s)| *s >= threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(q, _)| q)
    };
    let mut folded = 0;
    let mut next = k;
    let target: Vec<usize> = result
        .centroids
        .iter()
        .map(|c| match nearest_curated(c, STABLE_ID_THRESHOLD) {
            Some(q) => {
                folded += 1;
                q
            }
            None => {
                next += 1;
                next - 1
            }
        })
        .collect();
    for (j, &n) in free.iter().enumerate() {
        groups[n] = match result.labels.get(j).copied().flatten() {
            Some(c) => Some(target[c]),
            None => nearest_curated(&items[n].vector, attach_threshold),
        };
    }
    let mut centroids = cluster::centroids(items, &groups, next);
    for (q, c) in curated.iter().enumerate() {
        if centroids[q].iter().all(|x| *x == 0.0) {
            centroids[q] = c.stored_centroid.clone();
        }
    }
    Placement {
        groups,
        centroids,
        folded,
    }
}
