//! Progress as Server-Sent Events: a snapshot at once, another whenever the watched job
//! changes (woken by `JobEvents`, re-read from the database, sent only when different), a
//! heartbeat comment every 15 s, and a last event when the work is over.

use std::{convert::Infallible, future::Future, time::Duration};

use aide::{
    generate::GenContext,
    openapi::{MediaType, Operation, Response as OaResponse, StatusCode as OaStatus},
};
use axum::response::{
    IntoResponse, Response,
    sse::{Event, KeepAlive, Sse},
};
use shared::{DomainError, services::job_events::JobChange};
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// Re-read even without a notification this often (a listener reconnecting misses some).
const SAFETY_POLL: Duration = Duration::from_secs(2);
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// One state of the watched work.
pub struct Snapshot {
    /// The SSE event name.
    pub event: &'static str,
    pub data: serde_json::Value,
    /// Nothing will change any more: this is the final event.
    pub last: bool,
}

struct Watch<M, L> {
    rx: Receiver<JobChange>,
    relevant: M,
    load: L,
    sent: Option<serde_json::Value>,
    first: bool,
    done: bool,
}

/// Streams `load()`'s snapshots, re-loading after each change `relevant` accepts.
pub fn watch<M, L, Fut>(rx: Receiver<JobChange>, relevant: M, load: L) -> Response
where
    M: Fn(&JobChange) -> bool + Send + Sync + 'static,
    L: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Snapshot, DomainError>> + Send,
{
    let start = Watch {
        rx,
        relevant,
        load,
        sent: None,
        first: true,
        done: false,
    };
    let events = futures::stream::unfold(start, |mut w| async move {
        if w.done {
            return None;
        }
        loop {
            if !w.first {
                let _ =
                    tokio::time::timeout(SAFETY_POLL, next_relevant(&mut w.rx, &w.relevant)).await;
            }
            w.first = false;
            match (w.load)().await {
                Ok(snap) => {
                    if w.sent.as_ref() == Some(&snap.data) {
                        continue;
                    }
                    w.done = snap.last;
                    let event = Event::default()
                        .event(snap.event)
                        .data(snap.data.to_string());
                    w.sent = Some(snap.data);
                    return Some((Ok::<_, Infallible>(event), w));
                }
                Err(e) => {
                    w.done = true;
                    // The problem shape the same failure would have as a plain answer.
                    let problem = crate::error::ApiError::from(e).into_problem();
                    let data = serde_json::to_string(&problem).unwrap_or_default();
                    let event = Event::default().event("error").data(data);
                    return Some((Ok(event), w));
                }
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response()
}

async fn next_relevant<M: Fn(&JobChange) -> bool + Sync>(
    rx: &mut Receiver<JobChange>,
    relevant: &M,
) {
    loop {
        match rx.recv().await {
            Ok(change) if relevant(&change) => return,
            Ok(_) => {}
            // Too many changes to follow one by one: look now.
            Err(RecvError::Lagged(_)) => return,
            // No listener: the safety poll takes over.
            Err(RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

/// Documents a `text/event-stream` answer.
pub struct EventStream;

impl aide::OperationOutput for EventStream {
    type Inner = Self;

    fn operation_response(_ctx: &mut GenContext, _op: &mut Operation) -> Option<OaResponse> {
        Some(OaResponse {
            description: "Server-Sent Events".into(),
            content: indexmap::IndexMap::from_iter([(
                "text/event-stream".into(),
                MediaType::default(),
            )]),
            ..Default::default()
        })
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        Self::operation_response(ctx, op)
            .map(|r| vec![(Some(OaStatus::Code(200)), r)])
            .unwrap_or_default()
    }
}
