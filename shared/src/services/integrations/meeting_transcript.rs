//! A recorded meeting's transcript as feedback: 90-second chunks with speakers and times,
//! and the account a meeting (or a document) is with, read from its title.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::services::source::Source;
use crate::{ingest::transcript, services::feedback::NewFeedback};

/// The account a meeting is with, from topics such as "Acme Corp - Discovery call",
/// "Globex | QBR" or "Initech: renewal".
pub fn account_from_topic(topic: &str) -> Option<String> {
    let head = [" - ", " – ", " — ", " | ", ": ", " <> ", " x "]
        .iter()
        .filter_map(|sep| topic.find(sep))
        .min()
        .map_or(topic, |i| &topic[..i])
        .trim();
    (!head.is_empty() && head.chars().count() <= 80 && head != topic.trim())
        .then(|| head.to_owned())
}

/// A meeting's transcript as feedback items: 90-second chunks with speakers and times.
pub struct Transcript<'a> {
    pub meeting_id: &'a str,
    pub topic: &'a str,
    pub account: Option<String>,
    pub started: DateTime<Utc>,
    pub doc_url: Option<String>,
    pub vtt: &'a str,
}

impl Transcript<'_> {
    pub fn items(&self) -> Result<Vec<NewFeedback>, String> {
        let cues = transcript::parse(self.vtt)?;
        let chunks = transcript::chunk_cues(&cues);
        let total = chunks.len();
        let at = |s: f64| self.started + Duration::milliseconds((s * 1000.0) as i64);
        Ok(chunks
            .iter()
            .enumerate()
            .map(|(i, c)| NewFeedback {
                source: Source::Zoom.feedback_name(),
                source_id: format!("{}_chunk_{i}", self.meeting_id),
                text: c.text(),
                account: self.account.clone(),
                created_at: Some(self.started),
                meta: json!({
                    "document_id": self.meeting_id, "title": self.topic, "zoom_meeting_id": self.meeting_id,
                    "chunk_idx": i, "total_chunks": total, "speakers": c.speakers(),
                    "start_sec": c.start_seconds(), "end_sec": c.end_seconds(),
                }),
                doc_url: self.doc_url.clone(),
                speaker: Some(c.main_speaker()),
                started_at: Some(at(c.start_seconds())),
                ended_at: Some(at(c.end_seconds())),
                ..Default::default()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::account_from_topic;

    #[test]
    fn the_account_comes_from_the_head_of_the_topic() {
        assert_eq!(
            account_from_topic("Acme Corp - Discovery call").as_deref(),
            Some("Acme Corp")
        );
        assert_eq!(
            account_from_topic("Globex | QBR: pricing").as_deref(),
            Some("Globex")
        );
        assert_eq!(
            account_from_topic("Initech: renewal").as_deref(),
            Some("Initech")
        );
        assert_eq!(account_from_topic("Weekly standup"), None);
    }
}
