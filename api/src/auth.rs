//! The `Auth` extractor: every protected handler takes it, so no route can forget to
//! authenticate. It yields the caller's workspace and role.

use aide::{
    OperationInput,
    generate::GenContext,
    openapi::{Operation, Response as OaResponse, StatusCode as OaStatus},
};
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use indexmap::IndexMap;
use shared::{
    auth::Role,
    services::principal::{self, Actor, Principal},
};

use crate::{
    error::{ApiError, problem_response},
    state::AppState,
};

pub struct Auth(pub Principal);

impl Auth {
    /// 403 unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<&Principal, ApiError> {
        self.0.require(role)?;
        Ok(&self.0)
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.settings.auth.disabled {
            return Ok(Self(Principal {
                workspace_id: state.default_workspace_id,
                role: Role::Admin,
                actor: Actor::Local,
            }));
        }
        let header_value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing Authorization: Bearer <token> header")
        })?;
        let token = header_value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be: Bearer <token>")
            })?;
        let principal = principal::authenticate(&state.db, &state.keys, token).await?;
        Ok(Self(principal))
    }
}

impl OperationInput for Auth {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        let requirement = IndexMap::from_iter([("bearer".to_owned(), Vec::<String>::new())]);
        if !operation.security.contains(&requirement) {
            operation.security.push(requirement);
        }
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        vec![
            (
                Some(OaStatus::Code(401)),
                problem_response(ctx, "Missing, invalid or expired credentials"),
            ),
            (
                Some(OaStatus::Code(403)),
                problem_response(ctx, "The caller's role is too weak"),
            ),
        ]
    }
}
