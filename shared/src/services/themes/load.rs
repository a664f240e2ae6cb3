//! Reading what a run works on: embedded feedback and the workspace's customers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::db::statement as raw;
use crate::{DomainError, ai::embeddings::from_bytes};

pub(super) struct Item {
    pub(super) id: Uuid,
    pub(super) text: String,
    pub(super) vector: Vec<f32>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) account: Option<String>,
    pub(super) customer_id: Option<Uuid>,
    pub(super) sentiment: f32,
    pub(super) speaker: Option<String>,
}

pub(super) struct Customer {
    pub(super) name: String,
    pub(super) acv: f64,
    pub(super) segment: String,
}

pub(super) async fn load_items(
    db: &impl ConnectionTrait,
    ws: Uuid,
    model: &str,
) -> Result<Vec<Item>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT f.id, f.text, v.embedding, f.created_at, f.account, f.customer_id, f.sentiment, f.speaker \
             FROM feedback f JOIN feedback_vectors v ON v.feedback_id = f.id \
             WHERE f.workspace_id = $1 AND f.embedding_model = $2 ORDER BY f.id",
            vec![ws.into(), model.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Item {
                id: r.try_get("", "id")?,
                text: r.try_get("", "text")?,
                vector: from_bytes(&r.try_get::<Vec<u8>>("", "embedding")?),
                created_at: r.try_get("", "created_at")?,
                account: r.try_get("", "account")?,
                customer_id: r.try_get("", "customer_id")?,
                sentiment: r.try_get("", "sentiment")?,
                speaker: r.try_get("", "speaker")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

pub(super) async fn load_customers(
    db: &impl ConnectionTrait,
    ws: Uuid,
) -> Result<HashMap<Uuid, Customer>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT id, name, acv, segment FROM customers WHERE workspace_id = $1",
            vec![ws.into()],
        ))
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            r.try_get("", "id")?,
            Customer {
                name: r.try_get("", "name")?,
                acv: r.try_get("", "acv")?,
                segment: r.try_get("", "segment")?,
            },
        );
    }
    Ok(out)
}
