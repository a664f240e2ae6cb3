//! API keys know where they came from: `created_by_key` is the key that minted one (its
//! `created_by` is then the human behind that key), and `provisioned` marks the key an
//! operator sets through `auth.bootstrap_api_key`, so a new value revokes the old one.

const UP: &str = r#"
ALTER TABLE api_keys ADD COLUMN created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL;
ALTER TABLE api_keys ADD COLUMN provisioned boolean NOT NULL DEFAULT false;
UPDATE api_keys SET provisioned = true WHERE name = 'bootstrap' AND created_by IS NULL;
"#;

const DOWN: &str = r#"
ALTER TABLE api_keys DROP COLUMN IF EXISTS provisioned;
ALTER TABLE api_keys DROP COLUMN IF EXISTS created_by_key;
"#;

sql_migration!("m20261206_000020_api_key_lineage", UP, DOWN);
