use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub job_id: Option<Uuid>,
    pub filename: String,
    pub content_type: Option<String>,
    pub kind: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub data: Option<Vec<u8>>,
    pub status: String,
    pub items: i32,
    pub skipped: i32,
    pub error: Option<String>,
    pub requested_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
