//! One clustering run: load, cluster, label, score, write insights, swap in.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use super::{
    STABLE_ID_THRESHOLD, curated,
    draft::{InsightText, ThemeDraft},
    evidence::{evidence, score_drafts},
    fallback::fallback_insights,
    llm::improve_with_llm,
    load::{Item, load_customers, load_items},
    store::write,
    weights::scoring_config,
};
use crate::db::statement as raw;
use crate::jobs::{CancelFlag, Cancelled};
use crate::{
    DomainError,
    ai::embeddings::{cosine, from_bytes},
    cluster::{self, ClusterParams, labels},
};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ClusterSummary {
    pub status: String,
    pub items: usize,
    pub themes: usize,
    pub insights: usize,
    pub coverage: f64,
    pub unclustered: usize,
    pub attached: usize,
    pub reused_theme_ids: usize,
    /// Themes a PM curated, kept with their members (new feedback may have joined them).
    #[serde(default)]
    pub curated: usize,
    /// New clusters that looked like a curated theme (or one merged into it) and joined it.
    #[serde(default)]
    pub folded_into_curated: usize,
    pub seconds: f64,
    pub message: String,
    /// Insights written by the language model (the rest used the deterministic fallback).
    pub insights_by_llm: usize,
    /// Why the model wrote fewer insights than it could have (a spent token budget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Items HDBSCAN clustered when the workspace was larger than
    /// `clustering.max_items_clustered` (the rest joined their nearest theme); null when
    /// every item was clustered directly.
    pub sampled: Option<usize>,
}

/// The language model that may improve labels and insights, who its calls are for, and the
/// token budgets they count against.
pub struct InsightWriter<'a> {
    pub services: &'a crate::ai::AiServices,
    pub run: crate::ai::runs::RunContext,
    pub budgets: crate::ai::budget::TokenBudgets,
}

/// Runs the whole pipeline for one workspace. `progress(percent, message)` reports stages.
pub async fn run_clustering<F, Fut>(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace_id: Uuid,
    model: &str,
    params: ClusterParams,
    ai: Option<InsightWriter<'_>>,
    cancel: &CancelFlag,
    mut progress: F,
) -> Result<ClusterSummary, DomainError>
where
    F: FnMut(u8, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = std::time::Instant::now();
    progress(5, "loading embedded feedback".into()).await;
    let items = load_items(db, workspace_id, model, None).await?;
    let minimum = cluster::minimum_items(&params);
    if items.len() < minimum {
        return Ok(ClusterSummary {
            status: "not_enough_feedback".into(),
            items: items.len(),
            themes: 0,
            insights: 0,
            coverage: 0.0,
            unclustered: items.len(),
            attached: 0,
            reused_theme_ids: 0,
            curated: 0,
            folded_into_curated: 0,
            seconds: started.elapsed().as_secs_f64(),
            message: format!(
                "not enough feedback (n = {} < {minimum}); existing themes left untouched",
                items.len()
            ),
            insights_by_llm: 0,
            fallback_reason: None,
            sampled: None,
        });
    }
    let customers = load_customers(db, workspace_id).await?;
    let curated = curated::load(db, workspace_id, &items).await?;
    let kept: HashSet<usize> = curated
        .iter()
        .flat_map(|c| c.members().iter().copied())
        .collect();
    let free: Vec<usize> = (0..items.len()).filter(|n| !kept.contains(n)).collect();
    progress(20, format!("clustering {} items", free.len())).await;
    let vectors: Vec<Vec<f32>> = free.iter().map(|n| items[*n].vector.clone()).collect();
    let attach_threshold = params.attach_threshold;
    let flag = cancel.clone();
    let (result, sampled) = if free.len() < minimum {
        // Everything left is too little to cluster: it can still join a curated theme.
        let none = cluster::Clustering {
            labels: vec![None; free.len()],
            centroids: Vec::new(),
            attached: 0,
        };
        (none, None)
    } else {
        tokio::task::spawn_blocking(move || cluster::cluster_at_scale(&vectors, &params, &flag))
            .await
            .map_err(|e| DomainError::Other(anyhow::anyhow!("clustering task failed: {e}")))?
            .map_err(cancelled)?
    };
    let placement = curated::place(&items, &curated, &free, &result, attach_threshold);
    let groups = placement.centroids.len();

    progress(50, format!("labelling {groups} themes")).await;
    let banned: HashSet<String> = customers
        .values()
        .flat_map(|c| {
            c.name
                .to_lowercase()
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .chain(
            items
                .iter()
                .flat_map(|i| [i.account.as_deref(), i.speaker.as_deref()])
                .flatten()
                .flat_map(|a| {
                    a.to_lowercase()
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                }),
        )
        .collect();
    let docs: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let keywords = labels::keywords(&docs, &placement.groups, groups, &banned, 5);

    // Stable ids: greedily match new centroids to existing themes of the same model.
    let existing = db
        .query_all_raw(raw(
            "SELECT t.id, t.centroid, i.id AS insight_id FROM themes t LEFT JOIN insights i ON i.theme_id = t.id \
             WHERE t.workspace_id = $1 AND t.embedding_model = $2 AND t.curated_at IS NULL",
            vec![workspace_id.into(), model.into()],
        ))
        .await?;
    let old: Vec<(Uuid, Vec<f32>, Option<Uuid>)> = existing
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                from_bytes(&r.try_get::<Vec<u8>>("", "centroid")?),
                r.try_get("", "insight_id")?,
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (n, c) in placement.centroids.iter().enumerate().skip(curated.len()) {
        for (o, (_, oc, _)) in old.iter().enumerate() {
            let s = cosine(c, oc);
            if s >= STABLE_ID_THRESHOLD {
                pairs.push((s, n, o));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut inherit: HashMap<usize, usize> = HashMap::new();
    let mut taken: HashSet<usize> = HashSet::new();
    for (_, n, o) in pairs {
        if !inherit.contains_key(&n) && taken.insert(o) {
            inherit.insert(n, o);
        }
    }

    progress(65, "scoring themes".into()).await;
    let now = Utc::now();
    let mut drafts: Vec<ThemeDraft> = Vec::with_capacity(groups);
    for (c, centroid) in placement.centroids.iter().enumerate() {
        let mut members: Vec<(usize, f32)> = placement
            .groups
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == Some(c))
            .map(|(i, _)| (i, cosine(&items[i].vector, centroid)))
            .collect();
        let kept = curated.get(c);
        if members.is_empty() && kept.is_none() {
            continue;
        }
        members.sort_by(|a, b| b.1.total_cmp(&a.1).then(items[a.0].id.cmp(&items[b.0].id)));
        let member_items: Vec<&Item> = members.iter().map(|(i, _)| &items[*i]).collect();
        let (id, insight_id) = match (kept, inherit.get(&c)) {
            (Some(k), _) => (k.id, k.insight_id),
            (None, Some(o)) => (old[*o].0, old[*o].2.unwrap_or_else(Uuid::now_v7)),
            (None, None) => (Uuid::now_v7(), Uuid::now_v7()),
        };
        drafts.push(ThemeDraft {
            id,
            insight_id,
            label: labels::label_from(&keywords[c]),
            keywords: keywords[c].clone(),
            centroid: centroid.clone(),
            evidence: evidence(&member_items, &customers, now),
            members,
            score: 0.0,
        });
    }
    let (weights, priorities) = scoring_config(db, workspace_id).await?;
    score_drafts(&mut drafts, &weights, &priorities);

    let mut texts: Vec<InsightText> = fallback_insights(&drafts, &items, &customers);
    let mut llm_written = 0;
    let mut fallback_reason = None;
    if let Some(writer) = ai {
        progress(70, "writing insights with the language model".into()).await;
        for (d, text) in drafts.iter_mut().zip(texts.iter_mut()) {
            cancel.check().map_err(cancelled)?;
            // Checked per theme: a large board can spend the budget part way.
            if let Some(why) = writer.budgets.exhausted(db, &writer.run).await? {
                tracing::info!(workspace = %workspace_id, reason = %why, "insights left to the fallback writer");
                fallback_reason = Some(why);
                break;
            }
            if curated
                .iter()
                .any(|c| c.edited && c.insight_id == d.insight_id)
            {
                continue;
            }
            if improve_with_llm(writer.services, &writer.run, d, &items, text).await {
                llm_written += 1;
            }
        }
    }
    crate::metrics::fallback_answers("insight_writer", (drafts.len() - llm_written) as u64);
    cancel.check().map_err(cancelled)?;
    progress(85, "saving themes and insights".into()).await;
    let reused = inherit.len();
    let summary_counts = write(
        db,
        workspace_id,
        model,
        &drafts,
        &texts,
        &items,
        attach_threshold,
    )
    .await?;
    let clustered = placement.groups.iter().filter(|g| g.is_some()).count();
    let coverage = clustered as f64 / items.len() as f64;
    Ok(ClusterSummary {
        status: "completed".into(),
        items: items.len(),
        themes: drafts.len(),
        insights: summary_counts,
        coverage: (coverage * 1000.0).round() / 1000.0,
        unclustered: items.len() - clustered,
        attached: result.attached,
        reused_theme_ids: reused,
        curated: curated.len(),
        folded_into_curated: placement.folded,
        seconds: started.elapsed().as_secs_f64(),
        message: match sampled {
            None => format!(
                "{} themes from {} items ({:.0}% clustered)",
                drafts.len(),
                items.len(),
                coverage * 100.0
            ),
            Some(n) => format!(
                "{} themes from {} items ({:.0}% clustered; a sample of {n} was clustered and the rest joined the nearest theme)",
                drafts.len(),
                items.len(),
                coverage * 100.0
            ),
        },
        insights_by_llm: llm_written,
        fallback_reason,
        sampled,
    })
}

fn cancelled(e: Cancelled) -> DomainError {
    DomainError::Unavailable {
        service: "clustering",
        source: Some(e.into()),
    }
}
