//! What happened, as webhook events: the board before and after a change is compared, so
//! an event fires once for what changed (a new insight, a priority crossing the threshold, a
//! ticket whose priority newly disagrees with its evidence), not on every re-run.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    DomainError,
    config::Settings,
    db::statement as raw,
    jobs::JobQueue,
    services::jira::{Priority, voc::priority_gap},
};

/// Each customer insight's title and priority.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct Standing {
    pub id: Uuid,
    pub title: String,
    pub priority_score: i32,
}

pub async fn insight_standings(
    db: &impl ConnectionTrait,
    ws: Uuid,
) -> Result<BTreeMap<Uuid, Standing>, DomainError> {
    Ok(Standing::find_by_statement(raw(
        "SELECT id, title, priority_score FROM insights WHERE workspace_id = $1 AND category = 'customer_feedback'",
        [ws.into()],
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|s| (s.id, s))
    .collect())
}

/// `insight.created` for insights that were not there before, and
/// `insight.priority_changed` for those whose priority crossed `threshold` either way.
pub fn insight_events(
    before: &BTreeMap<Uuid, Standing>,
    after: &BTreeMap<Uuid, Standing>,
    threshold: i32,
) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for (id, now) in after {
        match before.get(id) {
            None => out.push((
                "insight.created",
                json!({ "insight_id": id, "title": now.title, "priority_score": now.priority_score }),
            )),
            Some(was) if (was.priority_score >= threshold) != (now.priority_score >= threshold) => out.push((
                "insight.priority_changed",
                json!({
                    "insight_id": id, "title": now.title,
                    "previous_priority": was.priority_score, "priority_score": now.priority_score,
                    "threshold": threshold,
                    "direction": if now.priority_score >= threshold { "above" } else { "below" },
                }),
            )),
            Some(_) => {}
        }
    }
    out
}

/// Each scored ticket whose priority is two or more levels from its evidence's
/// recommendation, by key.
pub async fn ticket_gaps(
    db: &impl ConnectionTrait,
    ws: Uuid,
) -> Result<BTreeMap<String, Value>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        jira_key: String,
        title: String,
        priority: String,
        recommended_priority: String,
        voc_score: f64,
    }
    let rows = Row::find_by_statement(raw(
        "SELECT t.jira_key, t.title, t.priority, s.recommended_priority, s.voc_score \
         FROM jira_tickets t JOIN jira_voc_scores s ON s.ticket_id = t.id WHERE t.workspace_id = $1",
        [ws.into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let gap = priority_gap(Priority::parse(&r.priority).ok()?, &r.recommended_priority)?;
            Some((
                r.jira_key.clone(),
                json!({ "ticket_key": r.jira_key, "title": r.title, "voc_score": r.voc_score, "gap": gap }),
            ))
        })
        .collect())
}

/// `ticket.priority_gap` for tickets whose gap is new or changed.
pub fn gap_events(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
) -> Vec<(&'static str, Value)> {
    after
        .iter()
        .filter(|(key, gap)| before.get(*key).map(|g| &g["gap"]) != Some(&gap["gap"]))
        .map(|(_, gap)| ("ticket.priority_gap", gap.clone()))
        .collect()
}

/// Emits each event; a failure is logged, never the caller's (the change it reports is done).
pub async fn emit_all(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    settings: &Settings,
    ws: Uuid,
    events: Vec<(&'static str, Value)>,
) -> usize {
    let mut queued = 0;
    for (event, data) in events {
        match super::emit(db, queue, settings, ws, event, data).await {
            Ok(n) => queued += n,
            Err(e) => {
                tracing::warn!(workspace = %ws, %event, error = %e, "webhook event not queued")
            }
        }
    }
    queued
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(id: u128, priority: i32) -> (Uuid, Standing) {
        let id = Uuid::from_u128(id);
        (
            id,
            Standing {
                id,
                title: format!("insight {id}"),
                priority_score: priority,
            },
        )
    }

    #[test]
    fn new_insights_and_threshold_crossings_fire_once() {
        let before: BTreeMap<_, _> = [standing(1, 65), standing(2, 80), standing(3, 40)].into();
        let after: BTreeMap<_, _> = [
            standing(1, 72),
            standing(2, 75),
            standing(3, 69),
            standing(4, 50),
        ]
        .into();
        let events = insight_events(&before, &after, 70);
        let kinds: Vec<(&str, String)> = events
            .iter()
            .map(|(k, d)| (*k, d["insight_id"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("insight.priority_changed", Uuid::from_u128(1).to_string()),
                ("insight.created", Uuid::from_u128(4).to_string()),
            ]
        );
        assert_eq!(events[0].1["direction"], "above");
        assert!(insight_events(&after, &after, 70).is_empty());
    }
}
