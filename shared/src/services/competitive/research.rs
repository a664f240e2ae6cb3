//! Running a research session: the model's cards when the `competitive_analyst` agent is
//! configured, the documented rules otherwise (manual research only), each card measured
//! against our customers' insights.

use chrono::NaiveDate;

use super::{
    AGENT, Research, ResearchMode, analyst, evidence::EvidenceIndex, rules, sessions::Outcome,
};
use crate::ai::{AiError, AiServices, chat, embeddings::Embedder, runs::RunContext};

/// What a research run reads.
pub struct Inputs<'a> {
    pub ai: &'a AiServices,
    pub run: &'a RunContext,
    pub research: &'a Research,
    pub index: &'a EvidenceIndex,
    pub embedder: &'a dyn Embedder,
    pub today: NaiveDate,
}

/// The cards for `research`. Manual research always ends with cards (the rules answer
/// when the model fails); auto research fails when the model does.
pub async fn run(inputs: &Inputs<'_>) -> Result<Outcome, AiError> {
    let Inputs {
        ai,
        research,
        index,
        embedder,
        today,
        ..
    } = *inputs;
    let fallback_reason = if chat::configured(&ai.config, AGENT).is_none() {
        if research.mode == ResearchMode::Auto {
            return Err(AiError::Permanent(format!(
                "auto research needs a language model: configure a provider for the {AGENT} agent in ai_config.yaml"
            )));
        }
        None
    } else {
        match model_cards(inputs).await {
            Ok(outcome) => return Ok(outcome),
            Err(e) if research.mode == ResearchMode::Auto => return Err(e),
            Err(e) => Some(e.to_string()),
        }
    };
    let texts: Vec<String> = rules::moves(research)
        .into_iter()
        .map(|(c, m)| rules::move_text(c, m))
        .collect();
    let evidence = index.for_texts(embedder, &texts).await?;
    crate::metrics::fallback_answers(AGENT, 1);
    Ok(Outcome {
        cards: rules::manual_cards(research, evidence, today),
        dropped: 0,
        generated_by: "fallback",
        fallback_reason,
    })
}

async fn model_cards(inputs: &Inputs<'_>) -> Result<Outcome, AiError> {
    let Inputs {
        ai,
        run,
        research,
        index,
        embedder,
        today,
    } = *inputs;
    let reply = chat::complete(ai, run, AGENT, &analyst::task(research, today)).await?;
    let (cards, dropped) = analyst::parse(&reply, research.mode)
        .map_err(|e| AiError::Permanent(format!("the {AGENT} answer could not be used: {e}")))?;
    for d in &dropped {
        tracing::warn!(card = d.index, reason = %d.reason, "competitive card dropped");
    }
    if cards.is_empty() && research.mode == ResearchMode::Manual {
        return Err(AiError::Permanent(format!(
            "none of the {} cards the {AGENT} returned passed validation",
            dropped.len()
        )));
    }
    let texts: Vec<String> = cards.iter().map(analyst::card_text).collect();
    let evidence = index.for_texts(embedder, &texts).await?;
    Ok(Outcome {
        cards: cards
            .into_iter()
            .zip(evidence)
            .map(|(c, e)| analyst::with_evidence(c, e, research.mode))
            .collect(),
        dropped: dropped.len(),
        generated_by: "llm",
        fallback_reason: None,
    })
}
