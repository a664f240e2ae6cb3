//! `ai_config.yaml`: AI providers, embedding choice and agents. Validated at boot; unknown
//! keys are an error so a typo never silently disables a feature.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;

/// The agent if it has a provider; `None` means "use the deterministic fallback".
pub fn configured<'a>(ai: &'a AiConfig, agent: &str) -> Option<&'a Agent> {
    ai.agents.get(agent).filter(|a| a.provider.is_some())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiConfig {
    #[serde(default)]
    pub providers: BTreeMap<String, Provider>,
    pub embeddings: Embeddings,
    pub agents: BTreeMap<String, Agent>,
    /// USD per million tokens by model name, for the run log's cost estimate.
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub base_url: String,
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// A key given by the settings (`ai.llm_api_key`) rather than named by `api_key_env`.
    #[serde(skip)]
    pub api_key: Option<secrecy::SecretString>,
}

/// The name `ai.llm_base_url`'s provider is registered under.
pub const SETTINGS_PROVIDER: &str = "settings";

impl AiConfig {
    /// Points every writing agent at `ai.llm_base_url` (with `ai.llm_model`) when the settings
    /// name one, so an operator picks the LLM from the environment. Transcription keeps its
    /// own provider: chat endpoints such as Ollama's do not transcribe.
    pub fn apply_llm_settings(&mut self, ai: &crate::config::AiSettings) {
        let Some(base_url) = &ai.llm_base_url else {
            return;
        };
        self.providers.insert(
            SETTINGS_PROVIDER.to_owned(),
            Provider {
                base_url: base_url.clone(),
                api_key_env: None,
                timeout_secs: 120,
                api_key: ai.llm_api_key.clone(),
            },
        );
        for (name, agent) in &mut self.agents {
            if name == "transcriber" {
                continue;
            }
            agent.provider = Some(SETTINGS_PROVIDER.to_owned());
            if let Some(model) = &ai.llm_model {
                agent.model = model.clone();
            }
        }
    }
}

fn default_timeout() -> u64 {
    60
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingProvider {
    Local,
    Openai,
    Lexical,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Embeddings {
    pub provider: EmbeddingProvider,
    pub model: String,
    #[serde(default)]
    pub endpoint: Option<String>,
    pub model_dir: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub provider: Option<String>,
    pub model: String,
    pub temperature: f32,
    pub max_tokens: u32,
    pub prompt: String,
}

/// The agents every part of the product relies on; each must be declared (its provider may be null).
pub const REQUIRED_AGENTS: &[&str] = &[
    "insight_writer",
    "theme_labeller",
    "prd_writer",
    "chat_copilot",
    "competitive_analyst",
    "transcriber",
];

#[derive(Debug, thiserror::Error)]
#[error("invalid ai_config ({path}): {key}: {reason}")]
pub struct AiConfigError {
    pub path: String,
    pub key: String,
    pub reason: String,
}

impl AiConfig {
    pub fn load(path: &Path) -> Result<Self, AiConfigError> {
        let err = |key: &str, reason: String| AiConfigError {
            path: path.display().to_string(),
            key: key.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err("file", e.to_string()))?;
        Self::parse(&text).map_err(|(key, reason)| err(&key, reason))
    }

    /// Parses and validates YAML text; the error is `(key, reason)`.
    pub fn parse(text: &str) -> Result<Self, (String, String)> {
        use figment::providers::Format;
        let figment = figment::Figment::from(serde_saphyr::figment::Yaml::string(text));
        let cfg: AiConfig = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            (
                if key.is_empty() {
                    "root".to_owned()
                } else {
                    key
                },
                e.kind.to_string(),
            )
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), (String, String)> {
        for (name, p) in &self.providers {
            let url = url::Url::parse(&p.base_url)
                .map_err(|e| (format!("providers.{name}.base_url"), e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err((
                    format!("providers.{name}.base_url"),
                    "must be http or https".into(),
                ));
            }
            if p.timeout_secs == 0 {
                return Err((
                    format!("providers.{name}.timeout_secs"),
                    "must be at least 1".into(),
                ));
            }
        }
        if self.embeddings.provider == EmbeddingProvider::Openai {
            match &self.embeddings.endpoint {
                Some(ep) if self.providers.contains_key(ep) => {}
                _ => {
                    return Err((
                        "embeddings.endpoint".into(),
                        "must name a configured provider when embeddings.provider is openai".into(),
                    ));
                }
            }
        }
        for required in REQUIRED_AGENTS {
            if !self.agents.contains_key(*required) {
                return Err((format!("agents.{required}"), "is required".into()));
            }
        }
        for (name, a) in &self.agents {
            if let Some(p) = &a.provider
                && !self.providers.contains_key(p)
            {
                return Err((
                    format!("agents.{name}.provider"),
                    format!("unknown provider {p:?}"),
                ));
            }
            if !(0.0..=2.0).contains(&a.temperature) {
                return Err((
                    format!("agents.{name}.temperature"),
                    "must be between 0 and 2".into(),
                ));
            }
            if a.max_tokens == 0 || a.max_tokens > 32_768 {
                return Err((
                    format!("agents.{name}.max_tokens"),
                    "must be between 1 and 32768".into(),
                ));
            }
            if a.model.trim().is_empty() {
                return Err((format!("agents.{name}.model"), "must not be empty".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid() {
        let text = include_str!("../../ai_config.yaml");
        let cfg = AiConfig::parse(text).expect("shipped ai_config.yaml must validate");
        assert!(cfg.agents.contains_key("insight_writer"));
    }

    #[test]
    fn the_llm_settings_route_every_writing_agent_but_not_transcription() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        let vars = [
            ("PRODUCK__AI__LLM_BASE_URL", "http://127.0.0.1:11434/v1"),
            ("PRODUCK__AI__LLM_MODEL", "llama3.2"),
            ("PRODUCK__AI__LLM_API_KEY", "not-needed-by-ollama"),
        ];
        let settings = crate::config::Settings::load_for(
            &dir,
            "test",
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .unwrap();
        let mut cfg = AiConfig::parse(include_str!("../../ai_config.yaml")).unwrap();
        let transcriber_before = cfg.agents["transcriber"].provider.clone();
        cfg.apply_llm_settings(&settings.ai);
        let provider = &cfg.providers[SETTINGS_PROVIDER];
        assert_eq!(provider.base_url, "http://127.0.0.1:11434/v1");
        assert!(provider.api_key.is_some());
        for name in [
            "insight_writer",
            "theme_labeller",
            "prd_writer",
            "chat_copilot",
            "competitive_analyst",
        ] {
            assert_eq!(
                cfg.agents[name].provider.as_deref(),
                Some(SETTINGS_PROVIDER),
                "{name}"
            );
            assert_eq!(cfg.agents[name].model, "llama3.2", "{name}");
        }
        assert_eq!(cfg.agents["transcriber"].provider, transcriber_before);

        let bad = crate::config::Settings::load_for(
            &dir,
            "test",
            [(
                "PRODUCK__AI__LLM_BASE_URL".to_owned(),
                "ollama:11434".to_owned(),
            )],
        )
        .unwrap_err();
        assert_eq!(bad.key, "ai.llm_base_url", "{bad}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_path() {
        let text = include_str!("../../ai_config.yaml").replace(
            "  insight_writer:\n",
            "  insight_writer:\n    temprature: 1\n",
        );
        let (key, reason) = AiConfig::parse(&text).unwrap_err();
        assert_eq!(key, "agents.insight_writer.temprature");
        assert!(reason.contains("unknown field"), "{reason}");
    }

    #[test]
    fn an_agent_naming_a_missing_provider_is_rejected() {
        let text =
            include_str!("../../ai_config.yaml").replacen("provider: null", "provider: nowhere", 1);
        let (key, _) = AiConfig::parse(&text).unwrap_err();
        assert_eq!(key, "agents.insight_writer.provider");
    }
}
