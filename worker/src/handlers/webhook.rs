//! Sending one webhook delivery; a failure worth retrying goes back to the queue's backoff.

use shared::services::{
    integrations::crypto::TokenCipher,
    jobs::contract::{DeliveryOutcome, DeliveryParams},
    webhooks::deliver::{Attempt, attempt},
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, params: DeliveryParams) -> Result<DeliveryOutcome, JobError> {
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    let last = ctx.job.attempts >= ctx.job.max_attempts;
    let id = params.delivery_id;
    match attempt(ctx.db(), ctx.settings(), &cipher, id, last).await? {
        Attempt::Delivered { status, .. } => Ok(DeliveryOutcome {
            delivery_id: id,
            status: "delivered".into(),
            http_status: Some(status),
            error: None,
        }),
        Attempt::Retry(why) if !last => Err(JobError::transient(why)),
        Attempt::Retry(why) | Attempt::GiveUp(why) => Ok(DeliveryOutcome {
            delivery_id: id,
            status: "given_up".into(),
            http_status: None,
            error: Some(why),
        }),
    }
}
