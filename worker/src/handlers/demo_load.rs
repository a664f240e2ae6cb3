//! Loads the built-in demo data of one source (`POST /ingest/{source}` in demo mode; live
//! mode runs the vendor's sync job instead).

use shared::{
    entities::workspace,
    services::{
        demo,
        jobs::contract::{DemoLoadOutcome, DemoLoadParams},
    },
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, params: DemoLoadParams) -> Result<DemoLoadOutcome, JobError> {
    use sea_orm::EntityTrait;
    let source = params.source;
    let ws = workspace::Entity::find_by_id(ctx.workspace_id()?)
        .one(ctx.db())
        .await
        .map_err(shared::DomainError::from)?
        .ok_or_else(|| JobError::permanent("the workspace no longer exists"))?;
    ctx.progress(20, &format!("loading demo {}", demo::noun(source)))
        .await?;
    let report = demo::load(ctx.db(), &ws, source).await?;
    Ok(DemoLoadOutcome {
        source,
        mode: "demo".into(),
        count: report.total(),
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        message: format!("Ingested {} {}", report.total(), demo::noun(source)),
    })
}
