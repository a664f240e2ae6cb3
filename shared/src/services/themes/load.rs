//! Reading what a run works on: embedded feedback and the workspace's customers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::db::statement as raw;
use crate::{DomainError, ai::embeddings::from_bytes};

/// A feedback item as a run sees it. Read by `FromQueryResult` with the row's facts; the
/// text and vector are filled by the loaders that need them.
#[derive(FromQueryResult)]
pub(super) struct Item {
    pub(super) id: Uuid,
    #[sea_orm(skip)]
    pub(super) text: String,
    #[sea_orm(skip)]
    pub(super) vector: Vec<f32>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) account: Option<String>,
    pub(super) customer_id: Option<Uuid>,
    pub(super) sentiment: f32,
    pub(super) speaker: Option<String>,
}

impl AsRef<[f32]> for Item {
    fn as_ref(&self) -> &[f32] {
        &self.vector
    }
}

#[derive(FromQueryResult)]
pub(super) struct Customer {
    pub(super) name: String,
    pub(super) acv: f64,
    pub(super) segment: String,
}

/// The workspace's feedback embedded by `model`; with `only`, just those items.
pub(super) async fn load_items(
    db: &impl ConnectionTrait,
    ws: Uuid,
    model: &str,
    only: Option<&[Uuid]>,
) -> Result<Vec<Item>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT f.id, f.text, v.embedding, f.created_at, f.account, f.customer_id, f.sentiment, f.speaker \
             FROM feedback f JOIN feedback_vectors v ON v.feedback_id = f.id \
             WHERE f.workspace_id = $1 AND f.embedding_model = $2 \
             AND ($3::jsonb IS NULL OR f.id IN (SELECT (jsonb_array_elements_text($3::jsonb))::uuid)) ORDER BY f.id",
            vec![ws.into(), model.into(), only.map(|ids| serde_json::json!(ids)).into()],
        ))
        .await?;
    #[derive(FromQueryResult)]
    struct Embedded {
        #[sea_orm(nested)]
        item: Item,
        text: String,
        embedding: Vec<u8>,
    }
    rows.iter()
        .map(|r| {
            let e = Embedded::from_query_result(r, "")?;
            Ok(Item {
                text: e.text,
                vector: from_bytes(&e.embedding),
                ..e.item
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
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        #[sea_orm(nested)]
        customer: Customer,
    }
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let row = Row::from_query_result(r, "")?;
        out.insert(row.id, row.customer);
    }
    Ok(out)
}
