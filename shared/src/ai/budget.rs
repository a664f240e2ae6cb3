//! The daily LLM token budgets, one per workspace and one per member, shared by every agent
//! (the copilot, the PRD and insight writers, the labeller), counted from the AI run log.
//! Past either, a feature takes its deterministic path and says why; nothing is refused.

use sea_orm::ConnectionTrait;

use super::runs::RunContext;
use crate::{DomainError, config::Settings, db::statement as raw};

/// Tokens per UTC day; 0 means no budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBudgets {
    pub workspace: u64,
    pub member: u64,
}

impl TokenBudgets {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            // `chat.daily_token_budget` is the older name of the workspace budget.
            workspace: settings
                .chat
                .daily_token_budget
                .unwrap_or(settings.ai.daily_token_budget),
            member: settings.ai.member_daily_token_budget,
        }
    }

    /// Why no model may be called for `run` today, or None while both budgets last.
    pub async fn exhausted(
        &self,
        db: &impl ConnectionTrait,
        run: &RunContext,
    ) -> Result<Option<String>, DomainError> {
        let Some(workspace_id) = run.workspace_id else {
            return Ok(None);
        };
        if self.workspace == 0 && self.member == 0 {
            return Ok(None);
        }
        let (workspace, member) = spent_today(db, workspace_id, run.owner.as_deref()).await?;
        if self.workspace > 0 && workspace >= self.workspace {
            return Ok(Some(format!(
                "the workspace's daily LLM token budget ({}) is spent; it renews at midnight UTC",
                self.workspace
            )));
        }
        if self.member > 0 && run.owner.is_some() && member >= self.member {
            return Ok(Some(format!(
                "your daily LLM token budget ({}) is spent; it renews at midnight UTC",
                self.member
            )));
        }
        Ok(None)
    }
}

/// Tokens spent today (UTC) by the workspace, and by `owner` within it.
pub async fn spent_today(
    db: &impl ConnectionTrait,
    workspace_id: uuid::Uuid,
    owner: Option<&str>,
) -> Result<(u64, u64), DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0)::int8 AS workspace, \
                    coalesce(sum(prompt_tokens + completion_tokens) FILTER (WHERE owner = $2), 0)::int8 AS member \
             FROM ai_runs WHERE workspace_id = $1 \
             AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
            vec![workspace_id.into(), owner.map(str::to_owned).into()],
        ))
        .await?;
    let spent = |column: &str| -> Result<u64, DomainError> {
        Ok(row
            .as_ref()
            .map(|r| r.try_get::<i64>("", column))
            .transpose()?
            .unwrap_or(0)
            .max(0) as u64)
    };
    Ok((spent("workspace")?, spent("member")?))
}
