//! Rendered JSON bodies reused while the data behind them is unchanged, with `ETag` and
//! `304 Not Modified` for clients that poll. Validity comes from a version the database
//! moves on every committed change (see `board::version`), so a replica never serves a
//! body older than the version it read, whichever process made the change.

use std::{
    collections::HashMap,
    marker::PhantomData,
    sync::{Mutex, MutexGuard},
};

use aide::{
    OperationInput, OperationOutput,
    generate::GenContext,
    openapi::{Operation, Response as OaResponse, StatusCode as OaStatus},
};
use axum::{
    body::{Body, Bytes},
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use schemars::JsonSchema;
use uuid::Uuid;

/// Bodies by workspace and request, each with the version it was rendered at. Bounded in
/// bytes: past the bound it starts over (the bodies are cheap to render again).
pub struct RenderCache {
    entries: Mutex<Entries>,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    /// By workspace, then by query string (looked up without allocating).
    bodies: HashMap<Uuid, HashMap<String, (i64, Bytes)>>,
    bytes: usize,
}

impl RenderCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves only a map of immutable bodies behind.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The body rendered for `key` at exactly `version`.
    pub fn get(&self, workspace: Uuid, key: &str, version: i64) -> Option<Bytes> {
        let entries = self.lock();
        match entries.bodies.get(&workspace).and_then(|w| w.get(key)) {
            Some((v, body)) if *v == version => Some(body.clone()),
            _ => None,
        }
    }

    pub fn put(&self, workspace: Uuid, key: String, version: i64, body: Bytes) {
        if body.len() > self.max_bytes {
            return;
        }
        let mut entries = self.lock();
        if entries.bytes + body.len() > self.max_bytes {
            entries.bodies.clear();
            entries.bytes = 0;
        }
        entries.bytes += body.len();
        let replaced = entries
            .bodies
            .entry(workspace)
            .or_default()
            .insert(key, (version, body));
        if let Some((_, old)) = replaced {
            entries.bytes -= old.len();
        }
    }
}

/// The entity tag of a workspace's data at a version.
pub fn etag(workspace: Uuid, version: i64) -> String {
    format!("\"{}-{version}\"", workspace.simple())
}

/// The request's `If-None-Match` header, when it names `etag` (or `*`).
pub struct IfNoneMatch(Option<String>);

impl IfNoneMatch {
    pub fn matches(&self, etag: &str) -> bool {
        self.0.as_deref().is_some_and(|list| {
            list.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

impl OperationInput for IfNoneMatch {}

/// A JSON body already rendered as `T`, or `304` when the client holds it already;
/// documented as `T`.
pub struct CachedJson<T> {
    body: Option<Bytes>,
    etag: String,
    shape: PhantomData<T>,
}

impl<T> CachedJson<T> {
    pub fn body(body: Bytes, etag: String) -> Self {
        Self {
            body: Some(body),
            etag,
            shape: PhantomData,
        }
    }

    pub fn not_modified(etag: String) -> Self {
        Self {
            body: None,
            etag,
            shape: PhantomData,
        }
    }
}

impl<T> IntoResponse for CachedJson<T> {
    fn into_response(self) -> Response {
        let etag = HeaderValue::from_str(&self.etag).expect("an entity tag is ASCII");
        match self.body {
            Some(body) => (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ),
                    (header::ETAG, etag),
                ],
                Body::from(body),
            )
                .into_response(),
            None => (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response(),
        }
    }
}

impl<T: JsonSchema> OperationOutput for CachedJson<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, op: &mut Operation) -> Option<OaResponse> {
        axum::Json::<T>::operation_response(ctx, op)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        let mut out = axum::Json::<T>::inferred_responses(ctx, op);
        out.push((
            Some(OaStatus::Code(304)),
            OaResponse {
                description: "Unchanged since the `ETag` sent in `If-None-Match`".into(),
                ..Default::default()
            },
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_serves_only_its_version_and_the_bound_holds() {
        let cache = RenderCache::new(10);
        let ws = Uuid::now_v7();
        cache.put(ws, "limit=20".into(), 1, Bytes::from_static(b"abcd"));
        assert_eq!(cache.get(ws, "limit=20", 1).as_deref(), Some(&b"abcd"[..]));
        assert!(cache.get(ws, "limit=20", 2).is_none(), "another version");
        assert!(cache.get(ws, "limit=50", 1).is_none(), "another query");
        assert!(
            cache.get(Uuid::now_v7(), "limit=20", 1).is_none(),
            "another workspace"
        );

        // Replacing a body counts its bytes once.
        cache.put(ws, "limit=20".into(), 2, Bytes::from_static(b"efgh"));
        cache.put(ws, "limit=50".into(), 2, Bytes::from_static(b"ijkl"));
        assert!(cache.get(ws, "limit=20", 2).is_some());
        // Past the bound the cache starts over with the new body.
        cache.put(ws, "limit=90".into(), 2, Bytes::from_static(b"mnop"));
        assert!(cache.get(ws, "limit=20", 2).is_none());
        assert!(cache.get(ws, "limit=90", 2).is_some());
        // A body larger than the bound is never kept.
        cache.put(ws, "big".into(), 2, Bytes::from_static(b"0123456789ab"));
        assert!(cache.get(ws, "big", 2).is_none());
    }
}
