//! Where feedback comes from: one type in code. The wire names the seed contract fixed differ
//! by place — Google is `gdoc` on a feedback item, `gdocs` on the demo route, `google` as a
//! connection and `sync:gdrive` as a job — and each is spelled here, once.

use serde::{Deserialize, Deserializer, Serializer, de::Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Slack,
    Jira,
    /// Google Drive documents (Docs, PDFs, Word files).
    Google,
    Zoom,
    Upload,
    Api,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Slack,
        Source::Jira,
        Source::Google,
        Source::Zoom,
        Source::Upload,
        Source::Api,
    ];

    /// The sources a connection pulls from, in the order the original web UI lists them.
    pub const CONNECTED: [Source; 4] = [Source::Zoom, Source::Google, Source::Slack, Source::Jira];

    /// The sources with a demo data set, in the order the demo loads them.
    pub const DEMO: [Source; 4] = [Source::Slack, Source::Jira, Source::Google, Source::Zoom];

    /// As stored on a feedback item and filtered by `/feedback?source=`.
    pub fn feedback_name(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Jira => "jira",
            Self::Google => "gdoc",
            Self::Zoom => "zoom",
            Self::Upload => "upload",
            Self::Api => "api",
        }
    }

    /// The connection's name (`/integrations/{name}`, `/auth/{name}/start`); `None` for the
    /// sources nothing connects to.
    pub fn connection_name(self) -> Option<&'static str> {
        match self {
            Self::Google => Some("google"),
            Self::Upload | Self::Api => None,
            other => Some(other.feedback_name()),
        }
    }

    /// The demo route's name (`/ingest/{name}`), also the demo job's parameter.
    pub fn demo_name(self) -> Option<&'static str> {
        match self {
            Self::Google => Some("gdocs"),
            Self::Upload | Self::Api => None,
            other => Some(other.feedback_name()),
        }
    }

    /// For people: "Google Drive".
    pub fn title(self) -> &'static str {
        match self {
            Self::Slack => "Slack",
            Self::Jira => "Jira",
            Self::Google => "Google Drive",
            Self::Zoom => "Zoom",
            Self::Upload => "Upload",
            Self::Api => "API",
        }
    }

    /// Reads a feedback name; `zoom_transcript`, the original's name for Zoom items, too.
    pub fn from_feedback_name(name: &str) -> Option<Self> {
        let name = if name == "zoom_transcript" {
            "zoom"
        } else {
            name
        };
        Self::ALL.into_iter().find(|s| s.feedback_name() == name)
    }

    pub fn from_connection_name(name: &str) -> Option<Self> {
        Self::CONNECTED
            .into_iter()
            .find(|s| s.connection_name() == Some(name))
    }

    pub fn from_demo_name(name: &str) -> Option<Self> {
        Self::DEMO.into_iter().find(|s| s.demo_name() == Some(name))
    }
}

/// Every name `/feedback?source=` accepts: the stored names and the original's alias.
pub fn feedback_filter_names() -> Vec<&'static str> {
    Source::ALL
        .iter()
        .map(|s| s.feedback_name())
        .chain(["zoom_transcript"])
        .collect()
}

/// `#[serde(with = "source::by_demo_name")]`: a demo job's `source` parameter, as queued runs
/// have always stored it (`gdocs` for Google).
pub mod by_demo_name {
    use super::*;

    pub fn serialize<S: Serializer>(source: &Source, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(source.demo_name().unwrap_or(source.feedback_name()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        let name = String::deserialize(d)?;
        Source::from_demo_name(&name)
            .ok_or_else(|| D::Error::custom(format!("{name:?} has no demo data")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_reads_back_as_its_source() {
        for s in Source::ALL {
            assert_eq!(Source::from_feedback_name(s.feedback_name()), Some(s));
        }
        for s in Source::CONNECTED {
            assert_eq!(
                Source::from_connection_name(s.connection_name().unwrap()),
                Some(s)
            );
        }
        for s in Source::DEMO {
            assert_eq!(Source::from_demo_name(s.demo_name().unwrap()), Some(s));
        }
        assert_eq!(
            Source::from_feedback_name("zoom_transcript"),
            Some(Source::Zoom)
        );
        assert_eq!(Source::from_connection_name("gdoc"), None);
    }

    #[test]
    fn the_demo_parameter_keeps_the_name_queued_runs_stored() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct P {
            #[serde(with = "by_demo_name")]
            source: Source,
        }
        let json = serde_json::to_string(&P {
            source: Source::Google,
        })
        .unwrap();
        assert_eq!(json, r#"{"source":"gdocs"}"#);
        let back: P = serde_json::from_str(r#"{"source":"zoom"}"#).unwrap();
        assert_eq!(back.source, Source::Zoom);
        assert!(serde_json::from_str::<P>(r#"{"source":"upload"}"#).is_err());
    }
}
