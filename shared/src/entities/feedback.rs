use sea_orm::entity::prelude::*;

/// `search` (a generated tsvector) is left out: it is only read by SQL.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub source: String,
    pub source_id: String,
    pub text: String,
    pub account: Option<String>,
    pub customer_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub ingested_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub meta: Json,
    pub doc_url: Option<String>,
    pub speaker: Option<String>,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Float")]
    pub sentiment: f32,
    /// Model of the item's vector (in `feedback_vectors`); NULL until embedded.
    pub embedding_model: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
