//! The configuration reference (`docs/configuration.md`), generated from the settings
//! structs' doc comments and `config/default.yaml`'s values, so it cannot drift from the code:
//! `produck-api config-reference` prints it and CI compares it with the committed copy. The
//! same schema tells `produck-api check-config` which values to mask.

use std::path::Path;

use figment::Figment;
use serde_json::{Map, Value};
use serde_saphyr::figment::Yaml;

use crate::config::Settings;

/// The JSON schema of `Settings`, with `$ref`s still in place.
fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Settings)).unwrap_or(Value::Null)
}

/// One setting: its dotted key, type, default, whether it is a secret, and its doc comment.
struct Entry {
    key: String,
    kind: String,
    default: Value,
    secret: bool,
    doc: String,
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name))
            .unwrap_or(node),
        None => node,
    }
}

fn kind_of(root: &Value, node: &Value) -> String {
    let node = resolve(root, node);
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| format!("`{}`", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" / ");
    }
    if let Some(any) = node.get("anyOf").and_then(Value::as_array) {
        // Option<Struct>: the non-null branch.
        if let Some(inner) = any
            .iter()
            .find(|v| v.get("type") != Some(&Value::from("null")))
        {
            return format!("{} or null", kind_of(root, inner));
        }
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let nullable = types.contains(&"null");
    let main = types
        .iter()
        .find(|t| **t != "null")
        .copied()
        .unwrap_or("any");
    let word = match (main, node.get("format").and_then(Value::as_str)) {
        ("integer", _) => "integer".to_owned(),
        ("number", _) => "number".to_owned(),
        ("boolean", _) => "boolean".to_owned(),
        ("string", Some("ip")) => "IP address".to_owned(),
        ("string", Some(f)) => format!("string ({f})"),
        ("array", _) => "list".to_owned(),
        ("object", _) => "map".to_owned(),
        (other, _) => other.to_owned(),
    };
    if nullable {
        format!("{word} or null")
    } else {
        word
    }
}

fn walk(root: &Value, node: &Value, prefix: &str, defaults: &Value, out: &mut Vec<Entry>) {
    let node = resolve(root, node);
    let Some(props) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let target = resolve(root, prop);
        let default = defaults.get(name).cloned().unwrap_or(Value::Null);
        let is_section = target.get("properties").is_some();
        if is_section {
            walk(root, prop, &key, &default, out);
            continue;
        }
        out.push(Entry {
            kind: kind_of(root, prop),
            secret: prop.get("x-secret") == Some(&Value::Bool(true)),
            doc: prop
                .get("description")
                .or_else(|| target.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .replace('\n', " "),
            key,
            default,
        });
    }
}

fn entries(config_dir: &Path) -> Result<Vec<Entry>, String> {
    let defaults: Value = Figment::from(<Yaml as figment::providers::Format>::file(
        config_dir.join("default.yaml"),
    ))
    .extract()
    .map_err(|e| format!("config/default.yaml: {e}"))?;
    let root = schema();
    let mut out = Vec::new();
    walk(&root, &root, "", &defaults, &mut out);
    let undocumented: Vec<&str> = out
        .iter()
        .filter(|e| e.doc.trim().is_empty())
        .map(|e| e.key.as_str())
        .collect();
    if !undocumented.is_empty() {
        return Err(format!(
            "settings without a doc comment: {}",
            undocumented.join(", ")
        ));
    }
    Ok(out)
}

fn leaves() -> Vec<Entry> {
    let root = schema();
    let mut out = Vec::new();
    walk(&root, &root, "", &Value::Null, &mut out);
    out
}

/// Every setting's dotted key (a map setting such as `jobs.kinds` takes keys below it).
pub fn setting_keys() -> Vec<String> {
    leaves().into_iter().map(|e| e.key).collect()
}

/// The dotted keys whose values are secrets (masked wherever configuration is printed).
pub fn secret_keys() -> Vec<String> {
    leaves()
        .into_iter()
        .filter(|e| e.secret)
        .map(|e| e.key)
        .collect()
}

/// Replaces every secret in a layered configuration value with `"***"` (unset ones stay null).
pub fn mask_secrets(mut value: Value) -> Value {
    for key in secret_keys() {
        if let Some(leaf) = value.pointer_mut(&format!("/{}", key.replace('.', "/"))) {
            *leaf = match leaf {
                Value::Null => Value::Null,
                Value::Object(map) => Value::Object(
                    map.keys()
                        .map(|k| (k.clone(), Value::from("***")))
                        .collect::<Map<_, _>>(),
                ),
                Value::String(text) => Value::from(mask_text(text)),
                _ => Value::from("***"),
            };
        }
    }
    value
}

/// A connection URL keeps its host and database, only its password is hidden; any other
/// secret is hidden whole.
fn mask_text(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut u) if u.has_host() && u.scheme() != "http" && u.scheme() != "https" => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        _ => "***".to_owned(),
    }
}

fn render_default(v: &Value) -> String {
    match v {
        Value::Null => "unset".to_owned(),
        Value::String(s) if s.is_empty() => "`\"\"`".to_owned(),
        Value::String(s) => format!("`{s}`"),
        Value::Object(m) if m.is_empty() => "`{}`".to_owned(),
        Value::Array(a) if a.is_empty() => "`[]`".to_owned(),
        other => format!("`{other}`"),
    }
}

fn env_name(key: &str) -> String {
    match key {
        // Chosen before any file is read: it picks config/{PRODUCK_ENV}.yaml.
        "environment" => "PRODUCK_ENV".to_owned(),
        _ => format!("PRODUCK__{}", key.to_uppercase().replace('.', "__")),
    }
}

/// The Markdown reference of every setting.
pub fn markdown(config_dir: &Path) -> Result<String, String> {
    let entries = entries(config_dir)?;
    let mut md = String::from(
        "# Configuration reference\n\n\
         <!-- Generated by `produck-api config-reference` from the settings structs' doc \
         comments and config/default.yaml; CI fails when this copy drifts. Do not edit. -->\n\n\
         Every setting, with its default. Settings are layered: `config/default.yaml`, then \
         `config/{PRODUCK_ENV}.yaml` (`development`, `test` or `production`), then environment \
         variables: the key in capitals with `__` for each dot, after `PRODUCK__` \
         (`server.port` is `PRODUCK__SERVER__PORT`). Lists and maps take JSON \
         (`PRODUCK__SERVER__CORS_ORIGINS='[\"https://pm.example.com\"]'`). `DATABASE_URL`, \
         `REDIS_URL` and `PORT` are read too; an empty variable counts as unset. \
         `PRODUCK_CONFIG_DIR` names another configuration folder.\n\n\
         Everything is validated at start: a bad value stops the process with one line naming \
         the key. `produck-api check-config` validates without starting, checks the database, \
         Redis and the embedding model, and prints the effective configuration with secrets \
         masked. Secrets (marked below) belong in the environment, never in a file. AI \
         providers, the embedder and the agents' prompts are in `ai_config.yaml`, described in \
         its own header.\n",
    );
    let mut section = String::new();
    for e in &entries {
        let top = e.key.split('.').next().unwrap_or_default().to_owned();
        if top != section {
            md.push_str(&format!(
                "\n## `{top}`\n\n| key | type | default | meaning |\n| --- | --- | --- | --- |\n"
            ));
            section = top;
        }
        let secret = if e.secret { " **Secret.**" } else { "" };
        md.push_str(&format!(
            "| `{}`<br>`{}` | {} | {} | {}{} |\n",
            e.key,
            env_name(&e.key),
            e.kind.replace('|', "\\|"),
            render_default(&e.default).replace('|', "\\|"),
            e.doc.replace('|', "\\|"),
            secret
        ));
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
    }

    #[test]
    fn every_setting_is_documented_with_its_default() {
        let md = markdown(&dir()).unwrap();
        assert!(
            md.contains("| `server.port`<br>`PRODUCK__SERVER__PORT` | integer | `8000` |"),
            "{md}"
        );
        assert!(md.contains("`auth.jwt_secret`"));
        assert!(md.contains("`jobs.kinds`"));
    }

    #[test]
    fn secrets_are_masked_and_unset_ones_stay_null() {
        let value = serde_json::json!({
            "auth": {"jwt_secret": "abc", "bootstrap_api_key": null, "disabled": false},
            "database": {"url": "postgres://u:p@h/db"},
            "integrations": {"token_keys": {"k1": "c2VjcmV0"}},
        });
        let masked = mask_secrets(value);
        assert_eq!(masked["auth"]["jwt_secret"], "***");
        assert_eq!(masked["auth"]["bootstrap_api_key"], Value::Null);
        assert_eq!(masked["auth"]["disabled"], false);
        assert_eq!(masked["database"]["url"], "postgres://u:***@h/db");
        assert_eq!(masked["integrations"]["token_keys"]["k1"], "***");
    }
}
