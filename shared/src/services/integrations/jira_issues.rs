//! Creating a Jira issue in the connected site (`POST /rest/api/3/issue`), its description in
//! Atlassian Document Format built from Markdown, ending with a link back to ProduckAI.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    crypto::TokenCipher,
    jira::{client_of, connection_row},
    vendor::SyncError,
};
use crate::config::IntegrationsSettings;

/// The issue to create.
pub struct NewIssue<'a> {
    pub project_key: &'a str,
    pub issue_type: &'a str,
    pub summary: &'a str,
    /// Markdown: headings, bullet lists and paragraphs survive.
    pub description: &'a str,
    /// Where the issue links back to (the insight in the console).
    pub link_back: &'a str,
    pub labels: &'a [&'a str],
}

/// The issue Jira created: its key and where a browser opens it.
#[derive(Debug, Clone)]
pub struct CreatedIssue {
    pub key: String,
    pub url: String,
}

pub async fn create_issue(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
    issue: NewIssue<'_>,
) -> Result<CreatedIssue, SyncError> {
    let row = connection_row(db, workspace_id).await?;
    let (_, client) = client_of(settings, cipher, &row).await?;
    let body = json!({
        "fields": {
            "project": { "key": issue.project_key },
            "issuetype": { "name": issue.issue_type },
            "summary": issue.summary.chars().take(255).collect::<String>(),
            "description": adf(issue.description, issue.link_back),
            "labels": issue.labels,
        }
    });
    let created = client.post_once("/rest/api/3/issue", &body).await?;
    let key = created["key"]
        .as_str()
        .ok_or_else(|| {
            SyncError::Refused(format!("Jira answered without an issue key: {created}"))
        })?
        .to_owned();
    let url = format!(
        "{}/browse/{key}",
        client.base.as_str().trim_end_matches('/')
    );
    Ok(CreatedIssue { key, url })
}

fn text(t: &str) -> Value {
    json!({ "type": "text", "text": t })
}

/// Markdown as an ADF document: `#` headings, `-`/`*` bullets (one list per run), other
/// lines as paragraphs (blank lines separate them), then a paragraph linking back.
pub fn adf(markdown: &str, link_back: &str) -> Value {
    let mut content: Vec<Value> = Vec::new();
    let mut bullets: Vec<Value> = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    let flush_paragraph = |paragraph: &mut Vec<String>, content: &mut Vec<Value>| {
        if !paragraph.is_empty() {
            let joined = paragraph.join(" ");
            content.push(json!({ "type": "paragraph", "content": [text(&joined)] }));
            paragraph.clear();
        }
    };
    let flush_bullets = |bullets: &mut Vec<Value>, content: &mut Vec<Value>| {
        if !bullets.is_empty() {
            content.push(json!({ "type": "bulletList", "content": std::mem::take(bullets) }));
        }
    };
    for line in markdown.lines().map(str::trim_end) {
        let plain = line.trim_start().replace("**", "");
        let trimmed = plain.as_str();
        // A table row reads as a bullet of its cells; the header's rule line goes.
        let row = trimmed
            .strip_prefix('|')
            .filter(|r| !r.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')))
            .map(|r| {
                r.trim_end_matches('|')
                    .split('|')
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" · ")
            });
        if trimmed.starts_with('|') && row.is_none() {
            continue;
        }
        let quoted = trimmed.strip_prefix("> ").map(|q| format!("“{q}”"));
        let item = row
            .as_deref()
            .or_else(|| trimmed.strip_prefix("- "))
            .or_else(|| trimmed.strip_prefix("* "));
        let trimmed = quoted.as_deref().unwrap_or(trimmed);
        if let Some(item) = item {
            flush_paragraph(&mut paragraph, &mut content);
            bullets.push(json!({ "type": "listItem", "content": [{ "type": "paragraph", "content": [text(item)] }] }));
            continue;
        }
        flush_bullets(&mut bullets, &mut content);
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&level) && trimmed[level..].starts_with(' ') {
            flush_paragraph(&mut paragraph, &mut content);
            let title = trimmed[level..].trim();
            content.push(
                json!({ "type": "heading", "attrs": { "level": level }, "content": [text(title)] }),
            );
        } else if trimmed.is_empty() {
            flush_paragraph(&mut paragraph, &mut content);
        } else {
            paragraph.push(trimmed.to_owned());
        }
    }
    flush_paragraph(&mut paragraph, &mut content);
    flush_bullets(&mut bullets, &mut content);
    content.push(json!({ "type": "paragraph", "content": [
        text("Customer evidence in ProduckAI: "),
        { "type": "text", "text": link_back, "marks": [{ "type": "link", "attrs": { "href": link_back } }] },
    ]}));
    json!({ "type": "doc", "version": 1, "content": content })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::integrations::jira::adf_text;

    #[test]
    fn markdown_becomes_a_document_jira_renders_and_links_back() {
        let doc = adf(
            "# SSO\n\nCustomers need **SAML**.\nBefore renewal.\n\n## Customers\n| Account | ACV |\n|---|---|\n| Acme Corp | $240K |\n- Helios\n\n> Soon, please.",
            "https://produck.example.com/app/insights/1",
        );
        assert_eq!(doc["type"], "doc");
        let kinds: Vec<&str> = doc["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "heading",
                "paragraph",
                "heading",
                "bulletList",
                "paragraph",
                "paragraph"
            ]
        );
        assert_eq!(doc["content"][3]["content"].as_array().unwrap().len(), 3);
        assert_eq!(
            adf_text(&doc),
            "SSO\nCustomers need SAML. Before renewal.\nCustomers\n- Account · ACV\n- Acme Corp · $240K\n- Helios\n“Soon, please.”\n\
             Customer evidence in ProduckAI: https://produck.example.com/app/insights/1"
        );
        let link = &doc["content"][5]["content"][1]["marks"][0];
        assert_eq!(
            link["attrs"]["href"],
            "https://produck.example.com/app/insights/1"
        );
    }
}
