//! Questions to offer a PM: their own questions whose answers they rated up, their own
//! questions asked often whose answers were never rated down, and the workspace's defaults
//! drawn from the board's top insights. A colleague's questions are never shown: they may
//! name accounts, people or plans the colleague asked about in confidence.

use std::collections::HashSet;

use schemars::JsonSchema;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

use crate::{
    DomainError,
    db::statement as raw,
    services::{
        Page,
        themes::board::{self, BoardQuery},
    },
};

pub const MAX: usize = 6;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Suggestion {
    pub text: String,
    /// feedback (rated up), frequent (asked often) or default (from the top insights).
    pub source: &'static str,
}

async fn questions(
    db: &impl ConnectionTrait,
    sql: &str,
    workspace_id: Uuid,
    owner: &str,
) -> Result<Vec<String>, DomainError> {
    let rows = db
        .query_all_raw(raw(sql, vec![workspace_id.into(), owner.into()]))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "q").map_err(Into::into))
        .collect()
}

/// Suggestions for `owner` (the caller's label: `user:<id>`, `api_key:<id>`, `local`).
pub async fn for_member(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
) -> Result<Vec<Suggestion>, DomainError> {
    // The question is the user message just before the rated answer.
    let rated_up = questions(
        db,
        "SELECT q.content AS q FROM chat_message_feedback fb JOIN chat_messages a ON a.id = fb.message_id \
         JOIN conversations c ON c.id = a.conversation_id \
         CROSS JOIN LATERAL (SELECT content FROM chat_messages u WHERE u.conversation_id = a.conversation_id \
                             AND u.role = 'user' AND (u.created_at, u.id) < (a.created_at, a.id) \
                             ORDER BY u.created_at DESC, u.id DESC LIMIT 1) q \
         WHERE c.workspace_id = $1 AND c.owner = $2 AND fb.rating = 'thumbs_up' ORDER BY fb.created_at DESC LIMIT 10",
        workspace_id,
        owner,
    )
    .await?;
    let frequent = questions(
        db,
        "SELECT min(u.content) AS q FROM chat_messages u JOIN conversations c ON c.id = u.conversation_id \
         WHERE c.workspace_id = $1 AND c.owner = $2 AND u.role = 'user' AND length(u.content) BETWEEN 8 AND 200 \
           AND NOT EXISTS (SELECT 1 FROM chat_messages a JOIN chat_message_feedback fb ON fb.message_id = a.id \
                           WHERE a.conversation_id = u.conversation_id AND fb.rating = 'thumbs_down' \
                             AND (a.created_at, a.id) > (u.created_at, u.id)) \
         GROUP BY lower(trim(u.content)) HAVING count(*) >= 2 ORDER BY count(*) DESC, min(u.content) LIMIT 10",
        workspace_id,
        owner,
    )
    .await?;
    let top = board::list(
        db,
        workspace_id,
        &BoardQuery {
            sort_by: "priority".into(),
            page: Some(Page {
                limit: 3,
                offset: 0,
            }),
            ..BoardQuery::default()
        },
    )
    .await?;
    let mut defaults: Vec<String> = top
        .iter()
        .map(|i| format!("What are customers saying about \"{}\"?", i.card.title))
        .collect();
    defaults.extend(
        [
            "What are our enterprise blockers?",
            "What are the quick wins?",
            "What should we focus on this quarter?",
        ]
        .map(str::to_owned),
    );
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    // At most half from each learned source, so defaults always have a place.
    for (source, list, cap) in [
        ("feedback", rated_up, MAX / 2),
        ("frequent", frequent, MAX / 2),
        ("default", defaults, MAX),
    ] {
        let mut taken = 0;
        for text in list {
            if out.len() < MAX && taken < cap && seen.insert(text.trim().to_lowercase()) {
                out.push(Suggestion { text, source });
                taken += 1;
            }
        }
    }
    Ok(out)
}
