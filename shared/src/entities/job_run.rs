use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "job_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Option<Uuid>,
    pub kind: String,
    pub status: String,
    pub singleton: bool,
    pub dedupe_key: Option<String>,
    pub progress: i16,
    pub message: Option<String>,
    pub params: Json,
    pub result: Option<Json>,
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub requested_by: Option<String>,
    pub worker: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub enqueued_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// The apalis task that carries this run while it is queued.
    pub queue_task: Option<String>,
    /// Times the sweeper pushed this run again because its queue entry was lost.
    pub repushes: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
