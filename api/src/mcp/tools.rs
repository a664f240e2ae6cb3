//! The tools an assistant may call. Each one is the HTTP route it stands for, called through
//! the same function with the same validation, so an assistant and the console see the same
//! answers; results are the API's JSON (a list wrapped in an object: structured content is
//! an object).

use chrono::{DateTime, Utc};
use rmcp::{handler::server::wrapper::Parameters, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::secrets::sha256_hex,
    services::{search::Hit, themes::board},
};
use uuid::Uuid;
use validator::Validate;

use super::{
    caller::Caller,
    reply::{Answer, Reply, ToolError},
    server::ProduckMcp,
};
use crate::{
    error::ApiError,
    extract::validation_errors,
    paging::{self, Limit, Offset},
    routes::{
        chat::{self, ChatIn, ChatOut},
        documents::{self, PrdOut},
        feedback::{self, PushIn, PushItem, PushOut},
        jira::{self, TicketItemOut, TicketPath},
        search::{self, SearchQuery},
        themes::{self, InsightPath, ThemeDetailOut, ThemeQuery},
        voc::{self, VocOut},
    },
};

/// The arguments' own rules (lengths, ranges, allowed values), reported like a 422.
fn valid<T: Validate>(args: &T) -> Result<(), ToolError> {
    args.validate()
        .map_err(|e| ToolError(ApiError::validation(validation_errors("arguments", &e))))
}

#[derive(Debug, Serialize)]
pub struct SearchOut {
    pub hits: Vec<Hit>,
}

#[derive(Debug, Serialize)]
pub struct InsightsOut {
    pub insights: Vec<board::InsightView>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetInsightIn {
    pub insight_id: Uuid,
    /// How many of the theme's other feedback items to include, most similar first.
    #[serde(default)]
    pub supporting_limit: Limit<10, 100>,
    /// Supporting feedback to skip (for the next page).
    #[serde(default)]
    pub supporting_offset: Offset,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskIn {
    /// The question, in the PM's words.
    #[validate(length(min = 1, max = 4000))]
    pub message: String,
    /// An insight the question is about ("this insight"); its evidence comes first.
    #[serde(default)]
    pub selected_insight_id: Option<Uuid>,
    /// Continue this conversation (from an earlier answer); omit to start one.
    #[serde(default)]
    pub conversation_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFeedbackIn {
    /// What the customer said, in their words.
    #[validate(length(min = 1, max = 50000))]
    pub text: String,
    /// The customer account it comes from (links it to the account's ACV and segment).
    #[validate(length(min = 1, max = 200))]
    #[serde(default)]
    pub account: Option<String>,
    /// Its id where it came from (a call, a ticket, a message); adding it again updates it.
    /// Without one the text itself is the id, so the same words are stored once.
    #[validate(length(min = 1, max = 256))]
    #[serde(default)]
    pub source_id: Option<String>,
    /// When the customer said it (default: now).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

impl AddFeedbackIn {
    fn into_push(self) -> PushIn {
        let source_id = self
            .source_id
            .unwrap_or_else(|| format!("mcp:{}", &sha256_hex(&self.text)[..32]));
        PushIn {
            source: "api".into(),
            items: vec![PushItem {
                source_id,
                text: self.text,
                account: self.account,
                created_at: self.created_at,
                meta: Some(serde_json::json!({"via": "mcp"})),
            }],
        }
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreTicketIn {
    /// Jira key, e.g. PROD-123 (any case).
    #[validate(length(min = 1, max = 100))]
    pub ticket_key: String,
    /// Minimum cosine similarity for a proposed match, 0-1 (default
    /// `jira.similarity_threshold`).
    #[validate(range(min = 0.0, max = 1.0))]
    #[serde(default)]
    pub similarity_threshold: Option<f64>,
}

#[tool_router(vis = "pub(super)")]
impl ProduckMcp {
    #[tool(
        description = "Search the workspace's customer feedback, themes and insights, best matches first. \
                       Web-search syntax: words, \"quoted phrases\", `or`, `-excluded`; at least 2 characters.",
        annotations(
            title = "Search feedback",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn search(
        &self,
        caller: Caller,
        Parameters(q): Parameters<SearchQuery>,
    ) -> Reply<SearchOut> {
        valid(&q)?;
        let hits = search::run(&self.state, caller.principal.workspace_id, &q).await?;
        Ok(Answer(SearchOut { hits }))
    }

    #[tool(
        description = "The insights (one per customer theme) ranked by priority, each with its evidence: \
                       accounts, ACV, segments, sentiment, trend, severity and effort. Filters: \
                       enterprise_blockers, high_priority, trending, rising, new_this_week; segments, \
                       severity, effort and a priority window narrow further.",
        annotations(
            title = "List insights",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn list_insights(
        &self,
        caller: Caller,
        Parameters(q): Parameters<ThemeQuery>,
    ) -> Reply<InsightsOut> {
        valid(&q)?;
        let query = q.board_query();
        let insights = board::list(&self.state.db, caller.principal.workspace_id, &query).await?;
        Ok(Answer(InsightsOut { insights }))
    }

    #[tool(
        description = "One insight with its evidence: the key customer quotes (spread across accounts), \
                       further supporting feedback most similar first, the customers and their ACV, the \
                       scores, and Jira issues created from it.",
        annotations(
            title = "Read an insight",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_insight(
        &self,
        caller: Caller,
        Parameters(q): Parameters<GetInsightIn>,
    ) -> Reply<ThemeDetailOut> {
        let page = paging::page(q.supporting_limit, q.supporting_offset);
        let ws = caller.principal.workspace_id;
        Ok(Answer(
            themes::detail(&self.state, ws, q.insight_id, page).await?,
        ))
    }

    #[tool(
        description = "A product requirements document (Markdown, thirteen sections) for an insight, from \
                       its customers, metrics and quotes cited by feedback id. Written by the model for \
                       editors when one is configured, else from the template; `generated_by` says which.",
        annotations(title = "Draft a PRD", read_only_hint = true, open_world_hint = false)
    )]
    async fn draft_prd(
        &self,
        caller: Caller,
        Parameters(q): Parameters<InsightPath>,
    ) -> Reply<PrdOut> {
        Ok(Answer(
            documents::prd_for(&self.state, &caller.principal, q.insight_id).await?,
        ))
    }

    #[tool(
        description = "A Jira ticket with its VOC score (0-100: how much customer evidence stands behind \
                       it), the insights it matches with their similarity, and whether its priority \
                       disagrees with the evidence.",
        annotations(
            title = "A ticket's VOC score",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn get_ticket(
        &self,
        caller: Caller,
        Parameters(q): Parameters<TicketPath>,
    ) -> Reply<TicketItemOut> {
        let ws = caller.principal.workspace_id;
        Ok(Answer(
            jira::ticket_view(&self.state, ws, &q.ticket_key).await?,
        ))
    }

    #[tool(
        description = "Ask the product copilot a question about the workspace's customers, themes and \
                       tickets. The answer cites its evidence ([n] markers point at `citations`) and is \
                       kept in a conversation; pass `conversation_id` to follow up. `generated_by` says \
                       whether the model or the rule-based fallback answered.",
        annotations(
            title = "Ask the copilot",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn ask_copilot(
        &self,
        caller: Caller,
        Parameters(q): Parameters<AskIn>,
    ) -> Reply<ChatOut> {
        valid(&q)?;
        let body = ChatIn {
            message: q.message,
            selected_insight_id: q.selected_insight_id,
            conversation_history: Vec::new(),
            conversation_id: q.conversation_id,
            stream: false,
        };
        let req = chat::prepare(&self.state, &caller.principal, body).await?;
        Ok(Answer(chat::answer(&self.state, req).await?))
    }

    #[tool(
        description = "Editors. Add one piece of customer feedback (a call note, an email, a chat) to the \
                       workspace under source `api`: redacted, scored for sentiment, linked to its account, \
                       then embedded and attached to a theme like every other item. Adding the same \
                       source_id again updates it.",
        annotations(
            title = "Add feedback",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn add_feedback(
        &self,
        caller: Caller,
        Parameters(q): Parameters<AddFeedbackIn>,
    ) -> Reply<PushOut> {
        valid(&q)?;
        Ok(Answer(
            feedback::push(&self.state, &caller.principal, q.into_push()).await?,
        ))
    }

    #[tool(
        description = "Editors. Match one Jira ticket against the current insights again and recompute its \
                       VOC score; answers the new score, its matches and any priority gap.",
        annotations(
            title = "Rescore a ticket",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn score_ticket(
        &self,
        caller: Caller,
        Parameters(q): Parameters<ScoreTicketIn>,
    ) -> Reply<VocOut> {
        valid(&q)?;
        Ok(Answer(
            voc::rescore(
                &self.state,
                &caller.principal,
                &q.ticket_key,
                q.similarity_threshold,
            )
            .await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use shared::{auth::Role, services::request_limits::Class};

    use super::{super::access::access, *};

    #[test]
    fn viewers_get_only_tools_that_leave_the_workspace_as_it_was() {
        for tool in ProduckMcp::tool_router().list_all() {
            let read_only = tool
                .annotations
                .as_ref()
                .and_then(|a| a.read_only_hint)
                .unwrap_or(false);
            let rule = access(&tool.name);
            if rule.role == Role::Viewer && tool.name != "ask_copilot" {
                assert!(
                    read_only,
                    "{} is open to viewers but not read-only",
                    tool.name
                );
            }
            if !read_only && tool.name != "ask_copilot" {
                assert_eq!(rule.role, Role::Editor, "{}", tool.name);
                assert_eq!(rule.class, Some(Class::Writes), "{}", tool.name);
            }
        }
        assert_eq!(access("a_tool_added_later").role, Role::Editor);
    }

    #[test]
    fn feedback_without_an_id_is_keyed_by_its_words() {
        let args = |text: &str| AddFeedbackIn {
            text: text.into(),
            account: None,
            source_id: None,
            created_at: None,
        };
        let a = args("Exports time out").into_push();
        let b = args("Exports time out").into_push();
        let c = args("Exports are slow").into_push();
        assert_eq!(a.items[0].source_id, b.items[0].source_id);
        assert_ne!(a.items[0].source_id, c.items[0].source_id);
        assert!(a.items[0].source_id.starts_with("mcp:"));
    }
}
