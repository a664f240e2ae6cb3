//! Turning a workspace's embedded feedback into themes with metrics and one insight each.
//! A run builds the new state in memory and swaps it in one transaction; theme and insight
//! ids survive re-runs when a new cluster's centroid matches an old theme.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionSession, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    DomainError,
    ai::embeddings::{cosine, from_bytes, to_bytes},
    cluster::{self, ClusterParams, labels},
    services::scoring::{self, Evidence, Maxima, SegmentPriorities, Weights},
};

/// Cosine similarity at which a new cluster inherits an old theme's id.
pub const STABLE_ID_THRESHOLD: f32 = 0.80;

fn raw(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

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

struct Item {
    id: Uuid,
    text: String,
    vector: Vec<f32>,
    created_at: DateTime<Utc>,
    account: Option<String>,
    customer_id: Option<Uuid>,
    sentiment: f32,
    speaker: Option<String>,
}

struct Customer {
    name: String,
    acv: f64,
    segment: String,
}

async fn load_items(
    db: &impl ConnectionTrait,
    ws: Uuid,
    model: &str,
) -> Result<Vec<Item>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT id, text, embedding, created_at, account, customer_id, sentiment, speaker FROM feedback \
             WHERE workspace_id = $1 AND embedding_model = $2 AND embedding IS NOT NULL ORDER BY id",
            vec![ws.into(), model.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Item {
                id: r.try_get("", "id")?,
                text: r.try_get("", "text")?,
                vector: from_bytes(&r.try_get::<Vec<u8>>("", "embedding")?),
                created_at: r.try_get("", "created_at")?,
                account: r.try_get("", "account")?,
                customer_id: r.try_get("", "customer_id")?,
                sentiment: r.try_get("", "sentiment")?,
                speaker: r.try_get("", "speaker")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

async fn load_customers(
    db: &impl ConnectionTrait,
    ws: Uuid,
) -> Result<HashMap<Uuid, Customer>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT id, name, acv, segment FROM customers WHERE workspace_id = $1",
            vec![ws.into()],
        ))
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            r.try_get("", "id")?,
            Customer {
                name: r.try_get("", "name")?,
                acv: r.try_get("", "acv")?,
                segment: r.try_get("", "segment")?,
            },
        );
    }
    Ok(out)
}

/// Customer evidence of a set of feedback items.
fn evidence(
    members: &[&Item],
    customers: &HashMap<Uuid, Customer>,
    now: DateTime<Utc>,
) -> Evidence {
    let account_key = |i: &Item| {
        i.customer_id
            .map(|c| c.to_string())
            .or_else(|| i.account.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    let recent = |days: i64| {
        members
            .iter()
            .filter(|i| i.created_at >= now - Duration::days(days))
            .map(|i| account_key(i))
            .collect::<HashSet<_>>()
            .len() as f64
    };
    let distinct: HashSet<Uuid> = members.iter().filter_map(|i| i.customer_id).collect();
    let mut segment_counts = [0.0; 3];
    let mut acv_sum = 0.0;
    for c in distinct.iter().filter_map(|id| customers.get(id)) {
        acv_sum += c.acv;
        match c.segment.as_str() {
            "ENT" => segment_counts[0] += 1.0,
            "MM" => segment_counts[1] += 1.0,
            _ => segment_counts[2] += 1.0,
        }
    }
    let mut weekly_counts = vec![0.0; 12];
    for i in members {
        let weeks_ago = (now - i.created_at).num_days() / 7;
        if (0..12).contains(&weeks_ago) {
            weekly_counts[11 - weeks_ago as usize] += 1.0;
        }
    }
    let avg_sentiment =
        members.iter().map(|i| i.sentiment as f64).sum::<f64>() / members.len().max(1) as f64;
    Evidence {
        freq_30d: recent(30),
        freq_90d: recent(90),
        acv_sum,
        avg_sentiment,
        segment_counts,
        weekly_counts,
        similarity_to_higher: 0.0,
    }
}

fn has_word(haystack: &str, words: &[&str]) -> bool {
    let tokens: Vec<&str> = haystack.split(|c: char| !c.is_alphanumeric()).collect();
    words.iter().any(|w| {
        if w.contains(' ') {
            haystack.contains(w)
        } else {
            tokens.contains(w)
        }
    })
}

/// Severity and effort when no language model writes the insight (reference 3.4, with
/// whole-word matching).
fn fallback_severity_effort(
    label: &str,
    items: usize,
    accounts: usize,
) -> (&'static str, &'static str) {
    let l = label.to_lowercase();
    let severity = if accounts >= 5
        || items >= 10
        || has_word(&l, &["enterprise", "security", "compliance", "sso", "saml"])
    {
        "high"
    } else if accounts >= 3 || items >= 5 {
        "medium"
    } else {
        "low"
    };
    let effort = if has_word(&l, &["mobile", "responsive", "ios", "android", "ipad"]) {
        "high"
    } else if has_word(&l, &["dark mode", "theme", "copy", "label"]) {
        "low"
    } else {
        "medium"
    };
    (severity, effort)
}

fn money(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("${:.1}M", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("${:.0}k", v / 1_000.0)
    } else {
        format!("${v:.0}")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterSummary {
    pub status: &'static str,
    pub items: usize,
    pub themes: usize,
    pub insights: usize,
    pub coverage: f64,
    pub unclustered: usize,
    pub attached: usize,
    pub reused_theme_ids: usize,
    pub seconds: f64,
    pub message: String,
    /// Insights written by the language model (the rest used the deterministic fallback).
    pub insights_by_llm: usize,
}

struct ThemeDraft {
    id: Uuid,
    insight_id: Uuid,
    label: String,
    keywords: Vec<String>,
    centroid: Vec<f32>,
    members: Vec<(usize, f32)>,
    evidence: Evidence,
    score: f64,
}

/// Runs the whole pipeline for one workspace. `progress(percent, message)` reports stages.
pub async fn run_clustering<F, Fut>(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace_id: Uuid,
    model: &str,
    params: ClusterParams,
    ai: Option<&crate::ai_config::AiConfig>,
    mut progress: F,
) -> Result<ClusterSummary, DomainError>
where
    F: FnMut(u8, String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = std::time::Instant::now();
    progress(5, "loading embedded feedback".into()).await;
    let items = load_items(db, workspace_id, model).await?;
    let minimum = cluster::minimum_items(&params);
    if items.len() < minimum {
        return Ok(ClusterSummary {
            status: "not_enough_feedback",
            items: items.len(),
            themes: 0,
            insights: 0,
            coverage: 0.0,
            unclustered: items.len(),
            attached: 0,
            reused_theme_ids: 0,
            seconds: started.elapsed().as_secs_f64(),
            message: format!(
                "not enough feedback (n = {} < {minimum}); existing themes left untouched",
                items.len()
            ),
            insights_by_llm: 0,
        });
    }
    let customers = load_customers(db, workspace_id).await?;
    progress(20, format!("clustering {} items", items.len())).await;
    let vectors: Vec<Vec<f32>> = items.iter().map(|i| i.vector.clone()).collect();
    let result = tokio::task::spawn_blocking(move || cluster::cluster(&vectors, &params))
        .await
        .map_err(|e| DomainError::Other(anyhow::anyhow!("clustering task failed: {e}")))?;

    progress(50, format!("labelling {} themes", result.clusters())).await;
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
    let keywords = labels::keywords(&docs, &result.labels, result.clusters(), &banned, 5);

    // Stable ids: greedily match new centroids to existing themes of the same model.
    let existing = db
        .query_all_raw(raw(
            "SELECT t.id, t.centroid, i.id AS insight_id FROM themes t LEFT JOIN insights i ON i.theme_id = t.id \
             WHERE t.workspace_id = $1 AND t.embedding_model = $2",
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
    for (n, c) in result.centroids.iter().enumerate() {
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
    let mut drafts: Vec<ThemeDraft> = Vec::with_capacity(result.clusters());
    for (c, centroid) in result.centroids.iter().enumerate() {
        let mut members: Vec<(usize, f32)> = result
            .labels
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == Some(c))
            .map(|(i, _)| (i, cosine(&items[i].vector, centroid)))
            .collect();
        if members.is_empty() {
            continue;
        }
        members.sort_by(|a, b| b.1.total_cmp(&a.1).then(items[a.0].id.cmp(&items[b.0].id)));
        let member_items: Vec<&Item> = members.iter().map(|(i, _)| &items[*i]).collect();
        let (id, insight_id) = match inherit.get(&c) {
            Some(o) => (old[*o].0, old[*o].2.unwrap_or_else(Uuid::now_v7)),
            None => (Uuid::now_v7(), Uuid::now_v7()),
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

    let mut texts: Vec<InsightText> = drafts
        .iter()
        .map(|d| fallback_insight(d, &items, &customers))
        .collect();
    let mut llm_written = 0;
    if let Some(ai) = ai {
        progress(70, "writing insights with the language model".into()).await;
        for (d, text) in drafts.iter_mut().zip(texts.iter_mut()) {
            if improve_with_llm(ai, d, &items, text).await {
                llm_written += 1;
            }
        }
    }
    progress(85, "saving themes and insights".into()).await;
    let reused = inherit.len();
    let summary_counts = write(db, workspace_id, model, &drafts, &texts, &items).await?;
    let clustered = result.labels.iter().filter(|l| l.is_some()).count();
    Ok(ClusterSummary {
        status: "completed",
        items: items.len(),
        themes: drafts.len(),
        insights: summary_counts,
        coverage: (result.coverage() * 1000.0).round() / 1000.0,
        unclustered: items.len() - clustered,
        attached: result.attached,
        reused_theme_ids: reused,
        seconds: started.elapsed().as_secs_f64(),
        message: format!(
            "{} themes from {} items ({:.0}% clustered)",
            drafts.len(),
            items.len(),
            result.coverage() * 100.0
        ),
        insights_by_llm: llm_written,
    })
}

/// Scores with maxima over all themes, then the duplicate penalty against higher-scored themes.
fn score_drafts(drafts: &mut [ThemeDraft], w: &Weights, p: &SegmentPriorities) {
    let maxima = Maxima {
        freq_30d: drafts
            .iter()
            .map(|d| d.evidence.freq_30d)
            .fold(0.0, f64::max),
        freq_90d: drafts
            .iter()
            .map(|d| d.evidence.freq_90d)
            .fold(0.0, f64::max),
        acv_sum: drafts
            .iter()
            .map(|d| d.evidence.acv_sum)
            .fold(0.0, f64::max),
    };
    for d in drafts.iter_mut() {
        d.evidence.similarity_to_higher = 0.0;
        d.score = scoring::theme_score(&d.evidence, &maxima, w, p);
    }
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by(|a, b| {
        drafts[*b]
            .score
            .total_cmp(&drafts[*a].score)
            .then(drafts[*a].id.cmp(&drafts[*b].id))
    });
    for (rank, &i) in order.iter().enumerate() {
        let sim = order[..rank]
            .iter()
            .map(|&j| cosine(&drafts[i].centroid, &drafts[j].centroid) as f64)
            .fold(0.0, f64::max);
        drafts[i].evidence.similarity_to_higher = sim;
    }
    for d in drafts.iter_mut() {
        d.score = scoring::theme_score(&d.evidence, &maxima, w, p);
    }
}

/// The representative members, spread across customers: nearest the centroid first,
/// preferring accounts not yet quoted.
fn key_quotes(d: &ThemeDraft, items: &[Item], n: usize) -> Vec<Uuid> {
    let mut chosen = Vec::new();
    let mut accounts = HashSet::new();
    for pass in 0..2 {
        for (i, _) in &d.members {
            let item = &items[*i];
            let account = item
                .customer_id
                .map(|c| c.to_string())
                .or_else(|| item.account.clone());
            if chosen.contains(&item.id)
                || (pass == 0 && account.as_ref().is_some_and(|a| accounts.contains(a)))
            {
                continue;
            }
            if let Some(a) = account {
                accounts.insert(a);
            }
            chosen.push(item.id);
            if chosen.len() == n {
                return chosen;
            }
        }
    }
    chosen
}

/// The text of an insight, from the language model or the deterministic fallback.
#[derive(Debug, Clone)]
struct InsightText {
    title: String,
    description: String,
    impact: String,
    recommendation: String,
    severity: String,
    effort: String,
    key_quote_ids: Vec<Uuid>,
    generated_by: &'static str,
}

fn fallback_insight(
    d: &ThemeDraft,
    items: &[Item],
    customers: &HashMap<Uuid, Customer>,
) -> InsightText {
    let distinct: HashSet<Uuid> = d
        .members
        .iter()
        .filter_map(|(i, _)| items[*i].customer_id)
        .collect();
    let named: HashSet<String> = d
        .members
        .iter()
        .filter_map(|(i, _)| items[*i].account.clone())
        .collect();
    let accounts = distinct.len().max(named.len());
    let (severity, effort) = fallback_severity_effort(&d.label, d.members.len(), accounts);
    let ent = distinct
        .iter()
        .filter(|c| customers.get(c).is_some_and(|c| c.segment == "ENT"))
        .count();
    let top_terms = d
        .keywords
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    InsightText {
        title: d.label.clone(),
        description: format!(
            "{} feedback items from {accounts} account(s) are about {top_terms}.",
            d.members.len()
        ),
        impact: format!(
            "{accounts} account(s) affected, {} in annual contract value; {ent} enterprise account(s); {} in the last 30 days.",
            money(d.evidence.acv_sum),
            d.evidence.freq_30d as i64
        ),
        recommendation: format!(
            "Review the key quotes with the affected accounts and scope a fix for {}.",
            d.label.to_lowercase()
        ),
        severity: severity.to_owned(),
        effort: effort.to_owned(),
        key_quote_ids: key_quotes(d, items, 3),
        generated_by: "fallback",
    }
}

/// Asks the theme labeller and the insight writer (when configured) to improve a theme's
/// label and insight. Replies are validated; anything off keeps the fallback. True when the
/// insight text came from the model.
async fn improve_with_llm(
    ai: &crate::ai_config::AiConfig,
    d: &mut ThemeDraft,
    items: &[Item],
    text: &mut InsightText,
) -> bool {
    use crate::ai::chat;
    let samples: Vec<&Item> = d.members.iter().take(8).map(|(i, _)| &items[*i]).collect();
    let excerpts = samples
        .iter()
        .map(|i| format!("- {}", i.text))
        .collect::<Vec<_>>()
        .join("\n");
    if chat::configured(ai, "theme_labeller").is_some() {
        match chat::complete(
            ai,
            "theme_labeller",
            &format!("Keywords: {}\nExcerpts:\n{excerpts}", d.keywords.join(", ")),
        )
        .await
        {
            Ok(reply) => {
                let label = reply
                    .trim()
                    .trim_matches(|c| c == '"' || c == '.')
                    .trim()
                    .to_owned();
                if !label.is_empty() && label.chars().count() <= 80 && !label.contains('\n') {
                    if text.title == d.label {
                        text.title = label.clone();
                    }
                    d.label = label;
                } else {
                    tracing::warn!(theme = %d.id, "theme labeller reply rejected; keeping keyword label");
                }
            }
            Err(e) => {
                tracing::warn!(theme = %d.id, error = %e, "theme labeller failed; keeping keyword label")
            }
        }
    }
    if chat::configured(ai, "insight_writer").is_none() {
        return false;
    }
    let context = json!({
        "theme": d.label,
        "keywords": d.keywords,
        "feedback": samples.iter().map(|i| json!({"id": i.id, "text": i.text, "account": i.account})).collect::<Vec<_>>(),
        "accounts_30d": d.evidence.freq_30d,
        "acv_sum": d.evidence.acv_sum,
    });
    let reply = match chat::complete(ai, "insight_writer", &context.to_string()).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(theme = %d.id, error = %e, "insight writer failed; using the fallback");
            return false;
        }
    };
    let allowed: HashSet<Uuid> = samples.iter().map(|i| i.id).collect();
    match validate_insight(&reply, &allowed) {
        Some(llm) => {
            *text = llm;
            true
        }
        None => {
            tracing::warn!(theme = %d.id, "insight writer reply failed validation; using the fallback");
            false
        }
    }
}

/// Accepts a model reply only when every field is present and within its vocabulary, and
/// every key quote is one of the feedback ids the model was shown.
fn validate_insight(reply: &str, allowed: &HashSet<Uuid>) -> Option<InsightText> {
    let v = crate::ai::chat::extract_json(reply)?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 2000)
            .map(str::to_owned)
    };
    let severity = field("severity")
        .filter(|s| ["low", "medium", "high", "critical"].contains(&s.as_str()))?;
    let effort = field("effort").filter(|s| ["low", "medium", "high"].contains(&s.as_str()))?;
    let ids: Vec<Uuid> = v["key_quote_ids"]
        .as_array()?
        .iter()
        .map(|x| x.as_str().and_then(|s| s.parse().ok()))
        .collect::<Option<_>>()?;
    if ids.is_empty() || ids.iter().any(|id| !allowed.contains(id)) {
        return None;
    }
    Some(InsightText {
        title: field("title")?,
        description: field("description")?,
        impact: field("impact")?,
        recommendation: field("recommendation")?,
        severity,
        effort,
        key_quote_ids: ids,
        generated_by: "llm",
    })
}

async fn write(
    db: &(impl ConnectionTrait + TransactionTrait),
    ws: Uuid,
    model: &str,
    drafts: &[ThemeDraft],
    texts: &[InsightText],
    items: &[Item],
) -> Result<usize, DomainError> {
    use base64::Engine;
    let b64 = |v: &[f32]| base64::engine::general_purpose::STANDARD.encode(to_bytes(v));
    let mut themes = Vec::new();
    let mut links = Vec::new();
    let mut metrics = Vec::new();
    let mut insights = Vec::new();
    for (d, t) in drafts.iter().zip(texts) {
        themes.push(json!({"id": d.id, "label": d.label, "keywords": d.keywords, "centroid": b64(&d.centroid), "size": d.members.len()}));
        for (i, sim) in &d.members {
            links.push(json!({"feedback_id": items[*i].id, "theme_id": d.id, "confidence": sim}));
        }
        let e = &d.evidence;
        metrics.push(json!({
            "theme_id": d.id, "freq_30d": e.freq_30d as i64, "freq_90d": e.freq_90d as i64, "acv_sum": e.acv_sum,
            "sentiment": e.avg_sentiment, "trend": scoring::trend_momentum(&e.weekly_counts),
            "dup_penalty": scoring::dup_penalty(e.similarity_to_higher), "score": d.score,
            "segment_counts": {"ENT": e.segment_counts[0], "MM": e.segment_counts[1], "SMB": e.segment_counts[2]},
            "weekly_counts": e.weekly_counts,
        }));
        insights.push(json!({
            "id": d.insight_id, "theme_id": d.id, "title": t.title, "description": t.description,
            "impact": t.impact, "recommendation": t.recommendation, "severity": t.severity, "effort": t.effort,
            "priority_score": scoring::priority_score(d.score, &t.severity),
            "key_quote_ids": t.key_quote_ids, "generated_by": t.generated_by,
        }));
    }
    let ids: Vec<Uuid> = drafts.iter().map(|d| d.id).collect();
    let txn = db.begin().await?;
    let exec = |sql: &'static str, values: Vec<sea_orm::Value>| raw(sql, values);
    txn.execute_raw(exec(
        "DELETE FROM insights WHERE workspace_id = $1 AND category = 'customer_feedback' \
         AND (theme_id IS NULL OR NOT (theme_id = ANY (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)))",
        vec![ws.into(), json!(ids).into()],
    ))
    .await?;
    txn.execute_raw(exec(
        "DELETE FROM themes WHERE workspace_id = $1 AND NOT (id = ANY (SELECT (jsonb_array_elements_text($2::jsonb))::uuid))",
        vec![ws.into(), json!(ids).into()],
    ))
    .await?;
    txn.execute_raw(exec("DELETE FROM feedback_themes WHERE theme_id IN (SELECT id FROM themes WHERE workspace_id = $1)", vec![ws.into()]))
        .await?;
    txn.execute_raw(exec(
        "INSERT INTO themes (id, workspace_id, label, keywords, centroid, embedding_model, size) \
         SELECT x.id, $1, x.label, x.keywords, decode(x.centroid, 'base64'), $3, x.size \
         FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, label text, keywords jsonb, centroid text, size int) \
         ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, keywords = EXCLUDED.keywords, centroid = EXCLUDED.centroid, \
         embedding_model = EXCLUDED.embedding_model, size = EXCLUDED.size, updated_at = now()",
        vec![ws.into(), Value::Array(themes).into(), model.into()],
    ))
    .await?;
    txn.execute_raw(exec(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence) \
         SELECT feedback_id, theme_id, confidence FROM jsonb_to_recordset($1::jsonb) AS x(feedback_id uuid, theme_id uuid, confidence real)",
        vec![Value::Array(links).into()],
    ))
    .await?;
    txn.execute_raw(exec(
        "INSERT INTO theme_metrics (theme_id, freq_30d, freq_90d, acv_sum, sentiment, trend, dup_penalty, score, segment_counts, weekly_counts) \
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(theme_id uuid, freq_30d int, freq_90d int, acv_sum float8, sentiment real, \
             trend real, dup_penalty real, score real, segment_counts jsonb, weekly_counts jsonb) \
         ON CONFLICT (theme_id) DO UPDATE SET freq_30d = EXCLUDED.freq_30d, freq_90d = EXCLUDED.freq_90d, acv_sum = EXCLUDED.acv_sum, \
         sentiment = EXCLUDED.sentiment, trend = EXCLUDED.trend, dup_penalty = EXCLUDED.dup_penalty, score = EXCLUDED.score, \
         segment_counts = EXCLUDED.segment_counts, weekly_counts = EXCLUDED.weekly_counts, computed_at = now()",
        vec![Value::Array(metrics).into()],
    ))
    .await?;
    let count = insights.len();
    txn.execute_raw(exec(
        "INSERT INTO insights (id, workspace_id, theme_id, title, description, impact, recommendation, severity, effort, \
             priority_score, key_quote_ids, generated_by) \
         SELECT x.id, $1, x.theme_id, x.title, x.description, x.impact, x.recommendation, x.severity, x.effort, \
             x.priority_score, x.key_quote_ids, x.generated_by \
         FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, theme_id uuid, title text, description text, impact text, \
             recommendation text, severity text, effort text, priority_score int, key_quote_ids jsonb, generated_by text) \
         ON CONFLICT (theme_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, \
         impact = EXCLUDED.impact, recommendation = EXCLUDED.recommendation, severity = EXCLUDED.severity, \
         effort = EXCLUDED.effort, priority_score = EXCLUDED.priority_score, key_quote_ids = EXCLUDED.key_quote_ids, \
         generated_by = EXCLUDED.generated_by, updated_at = now()",
        vec![ws.into(), Value::Array(insights).into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(count)
}

/// Recomputes every theme's metrics and score from its current feedback links and the
/// workspace's current weights, and the insights' priorities; no re-clustering. Used after
/// weights change and after new feedback is attached between runs.
pub async fn refresh_metrics(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace_id: Uuid,
) -> Result<usize, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT t.id AS theme_id, t.centroid, i.severity, ft.confidence, f.id, f.text, f.created_at, f.account, \
                    f.customer_id, f.sentiment, f.speaker \
             FROM themes t LEFT JOIN insights i ON i.theme_id = t.id \
             JOIN feedback_themes ft ON ft.theme_id = t.id JOIN feedback f ON f.id = ft.feedback_id \
             WHERE t.workspace_id = $1 ORDER BY t.id, ft.confidence DESC",
            vec![workspace_id.into()],
        ))
        .await?;
    let customers = load_customers(db, workspace_id).await?;
    let mut items: Vec<Item> = Vec::with_capacity(rows.len());
    let mut drafts: Vec<ThemeDraft> = Vec::new();
    let mut severities: HashMap<Uuid, String> = HashMap::new();
    for r in &rows {
        let theme_id: Uuid = r.try_get("", "theme_id")?;
        if drafts.last().is_none_or(|d| d.id != theme_id) {
            severities.insert(
                theme_id,
                r.try_get::<Option<String>>("", "severity")?
                    .unwrap_or_else(|| "medium".into()),
            );
            drafts.push(ThemeDraft {
                id: theme_id,
                insight_id: theme_id,
                label: String::new(),
                keywords: Vec::new(),
                centroid: from_bytes(&r.try_get::<Vec<u8>>("", "centroid")?),
                members: Vec::new(),
                evidence: Evidence::default(),
                score: 0.0,
            });
        }
        items.push(Item {
            id: r.try_get("", "id")?,
            text: r.try_get("", "text")?,
            vector: Vec::new(),
            created_at: r.try_get("", "created_at")?,
            account: r.try_get("", "account")?,
            customer_id: r.try_get("", "customer_id")?,
            sentiment: r.try_get("", "sentiment")?,
            speaker: r.try_get("", "speaker")?,
        });
        let confidence: f32 = r.try_get("", "confidence")?;
        if let Some(d) = drafts.last_mut() {
            d.members.push((items.len() - 1, confidence));
        }
    }
    let now = Utc::now();
    for d in &mut drafts {
        let members: Vec<&Item> = d.members.iter().map(|(i, _)| &items[*i]).collect();
        d.evidence = evidence(&members, &customers, now);
    }
    let (weights, priorities) = scoring_config(db, workspace_id).await?;
    score_drafts(&mut drafts, &weights, &priorities);
    let updates: Vec<Value> = drafts
        .iter()
        .map(|d| {
            let e = &d.evidence;
            let severity = severities.get(&d.id).map(String::as_str).unwrap_or("medium");
            json!({
                "id": d.id, "size": d.members.len(), "freq_30d": e.freq_30d as i64, "freq_90d": e.freq_90d as i64,
                "acv_sum": e.acv_sum, "sentiment": e.avg_sentiment, "trend": scoring::trend_momentum(&e.weekly_counts),
                "dup_penalty": scoring::dup_penalty(e.similarity_to_higher), "score": d.score,
                "segment_counts": {"ENT": e.segment_counts[0], "MM": e.segment_counts[1], "SMB": e.segment_counts[2]},
                "weekly_counts": e.weekly_counts, "priority": scoring::priority_score(d.score, severity),
            })
        })
        .collect();
    let txn = db.begin().await?;
    txn.execute_raw(raw(
        "UPDATE theme_metrics m SET freq_30d = x.freq_30d, freq_90d = x.freq_90d, acv_sum = x.acv_sum, \
             sentiment = x.sentiment, trend = x.trend, dup_penalty = x.dup_penalty, score = x.score, \
             segment_counts = x.segment_counts, weekly_counts = x.weekly_counts, computed_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, size int, freq_30d int, freq_90d int, acv_sum float8, \
             sentiment real, trend real, dup_penalty real, score real, segment_counts jsonb, weekly_counts jsonb, priority int) \
         WHERE m.theme_id = x.id",
        vec![Value::Array(updates.clone()).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "UPDATE insights i SET priority_score = x.priority, updated_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, priority int) WHERE i.theme_id = x.id",
        vec![Value::Array(updates.clone()).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "UPDATE themes t SET size = x.size, updated_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, size int) WHERE t.id = x.id",
        vec![Value::Array(updates).into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(drafts.len())
}

/// Between clustering runs: links newly embedded feedback to its nearest theme when the
/// similarity clears `threshold`, then refreshes the metrics. Returns how many were attached.
pub async fn attach_new(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace_id: Uuid,
    model: &str,
    threshold: f32,
) -> Result<usize, DomainError> {
    let themes = db
        .query_all_raw(raw(
            "SELECT id, centroid FROM themes WHERE workspace_id = $1 AND embedding_model = $2",
            vec![workspace_id.into(), model.into()],
        ))
        .await?;
    if themes.is_empty() {
        return Ok(0);
    }
    let centroids: Vec<(Uuid, Vec<f32>)> = themes
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                from_bytes(&r.try_get::<Vec<u8>>("", "centroid")?),
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let fresh = db
        .query_all_raw(raw(
            "SELECT f.id, f.embedding FROM feedback f WHERE f.workspace_id = $1 AND f.embedding_model = $2 \
             AND NOT EXISTS (SELECT 1 FROM feedback_themes ft WHERE ft.feedback_id = f.id) LIMIT 10000",
            vec![workspace_id.into(), model.into()],
        ))
        .await?;
    let mut links = Vec::new();
    for r in &fresh {
        let id: Uuid = r.try_get("", "id")?;
        let v = from_bytes(&r.try_get::<Vec<u8>>("", "embedding")?);
        let best = centroids
            .iter()
            .map(|(t, c)| (*t, cosine(&v, c)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((theme, sim)) = best.filter(|(_, s)| *s >= threshold) {
            links.push(json!({"feedback_id": id, "theme_id": theme, "confidence": sim}));
        }
    }
    if links.is_empty() {
        return Ok(0);
    }
    let attached = links.len();
    db.execute_raw(raw(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence) \
         SELECT feedback_id, theme_id, confidence FROM jsonb_to_recordset($1::jsonb) AS x(feedback_id uuid, theme_id uuid, confidence real) \
         ON CONFLICT DO NOTHING",
        vec![Value::Array(links).into()],
    ))
    .await?;
    refresh_metrics(db, workspace_id).await?;
    Ok(attached)
}
