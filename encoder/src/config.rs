//! The fields of a Hugging Face BERT `config.json` this encoder reads; the rest are ignored.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    /// The fused passes compute exact (erf) GELU only.
    #[serde(default = "gelu")]
    pub hidden_act: String,
}

fn gelu() -> String {
    "gelu".to_owned()
}

impl Config {
    /// Reads `config.json` and refuses shapes this encoder does not compute.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let config: Self =
            serde_json::from_slice(bytes).map_err(|e| format!("config.json: {e}"))?;
        if config.hidden_act != "gelu" {
            return Err(format!(
                "config.json: hidden_act {:?} is not supported (only \"gelu\")",
                config.hidden_act
            ));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(
                "config.json: hidden_size must be a multiple of num_attention_heads".into(),
            );
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    const MINILM: &str = r#"{"hidden_act":"gelu","hidden_size":384,"intermediate_size":1536,
        "layer_norm_eps":1e-12,"max_position_embeddings":512,"num_attention_heads":12,
        "num_hidden_layers":6,"type_vocab_size":2,"vocab_size":30522,"model_type":"bert"}"#;

    #[test]
    fn reads_a_minilm_config_and_ignores_other_keys() {
        let c = Config::parse(MINILM.as_bytes()).unwrap();
        assert_eq!(
            (c.hidden_size, c.num_hidden_layers, c.vocab_size),
            (384, 6, 30522)
        );
    }

    #[test]
    fn refuses_an_activation_it_does_not_compute() {
        let text = MINILM.replace("\"gelu\"", "\"relu\"");
        assert!(Config::parse(text.as_bytes()).unwrap_err().contains("relu"));
    }
}
