//! Loads feedback from a source. Demo mode loads the built-in demo data set.

use serde_json::{Value, json};
use shared::{
    entities::workspace,
    services::{
        demo::{self, DemoSource},
        jobs,
    },
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext) -> Result<Value, JobError> {
    use sea_orm::EntityTrait;
    let ws_id = ctx.workspace_id()?;
    let params = &ctx.job.params;
    let source = params["source"]
        .as_str()
        .and_then(DemoSource::parse)
        .ok_or_else(|| JobError::permanent(format!("unknown source {}", params["source"])))?;
    if params["mode"].as_str().unwrap_or("demo") != "demo" {
        return Err(JobError::permanent(format!(
            "live {} ingestion is not connected",
            source.as_str()
        )));
    }
    let ws = workspace::Entity::find_by_id(ws_id)
        .one(ctx.db())
        .await
        .map_err(shared::DomainError::from)?
        .ok_or_else(|| JobError::permanent("the workspace no longer exists"))?;
    ctx.progress(20, &format!("loading demo {}", source.noun()))
        .await?;
    let report = demo::load(ctx.db(), &ws, source).await?;
    jobs::request_embedding(ctx.db(), ctx.queue(), ctx.settings(), ws.id).await?;
    Ok(json!({
        "source": source.as_str(),
        "mode": "demo",
        "count": report.total(),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "message": format!("Ingested {} {}", report.total(), source.noun()),
    }))
}
