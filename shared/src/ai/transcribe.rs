//! Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint (the
//! `transcriber` agent's provider). Segments become transcript cues.

use async_openai::types::audio::{AudioInput, AudioResponseFormat, CreateTranscriptionRequest};
use serde::Deserialize;

use super::{
    AiError, AiServices, openai,
    runs::{Outcome, RunContext, log_call},
};
use crate::{
    ai_config::AiConfig,
    ingest::transcript::{Cue, UNKNOWN_SPEAKER},
};

/// The parts of a verbose transcription we use; providers differ in the rest.
#[derive(Debug, Deserialize)]
struct Transcription {
    text: String,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    segments: Option<Vec<Segment>>,
}

#[derive(Debug, Deserialize)]
struct Segment {
    start: f64,
    end: f64,
    text: String,
}

fn timestamp(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn cue(start: f64, end: f64, text: &str) -> Cue {
    Cue {
        speaker: UNKNOWN_SPEAKER.to_owned(),
        text: text.trim().to_owned(),
        start_time: timestamp(start),
        end_time: timestamp(end),
        start_seconds: start,
        end_seconds: end,
    }
}

/// Transcribes `audio`; the call is logged as a `transcriber` run for `ctx`.
pub async fn transcribe(
    services: &AiServices,
    ctx: &RunContext,
    filename: &str,
    audio: Vec<u8>,
) -> Result<Vec<Cue>, AiError> {
    let started = std::time::Instant::now();
    let result = call(&services.config, filename, audio).await;
    log_call(
        services,
        ctx,
        "transcriber",
        filename,
        started,
        (0, 0),
        Outcome::of(result.as_ref().err()),
    )
    .await;
    result
}

async fn call(ai: &AiConfig, filename: &str, audio: Vec<u8>) -> Result<Vec<Cue>, AiError> {
    let agent = ai
        .agents
        .get("transcriber")
        .ok_or_else(|| AiError::Permanent("agents.transcriber is not configured".into()))?;
    let Some(provider_name) = &agent.provider else {
        return Err(AiError::Permanent(
            "audio needs a transcription provider: set agents.transcriber.provider in ai_config.yaml".into(),
        ));
    };
    let client = openai::client(openai::provider(ai, provider_name)?);
    let request = CreateTranscriptionRequest {
        file: AudioInput::from_vec_u8(filename.to_owned(), audio),
        model: agent.model.clone(),
        response_format: Some(AudioResponseFormat::VerboseJson),
        ..Default::default()
    };
    let raw = client
        .audio()
        .transcription()
        .create_raw(request)
        .await
        .map_err(openai::classify)?;
    let parsed: Transcription = serde_json::from_slice(&raw).map_err(|e| {
        AiError::Permanent(format!(
            "the transcription provider answered in an unexpected shape: {e}"
        ))
    })?;
    let cues: Vec<Cue> = match parsed.segments {
        Some(segments) if !segments.is_empty() => segments
            .iter()
            .filter(|s| !s.text.trim().is_empty())
            .map(|s| cue(s.start, s.end, &s.text))
            .collect(),
        _ if !parsed.text.trim().is_empty() => {
            vec![cue(0.0, parsed.duration.unwrap_or(0.0), &parsed.text)]
        }
        _ => Vec::new(),
    };
    if cues.is_empty() {
        return Err(AiError::Permanent(
            "the recording contains no recognisable speech".into(),
        ));
    }
    Ok(cues)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_format_like_vtt() {
        assert_eq!(super::timestamp(4545.5), "01:15:45.500");
        assert_eq!(super::timestamp(2.12), "00:00:02.120");
    }
}
