//! The one error shape: RFC 9457 `application/problem+json` with a stable `code`, the
//! request id, and for 422 the list of offending fields.

use aide::{
    OperationOutput,
    generate::GenContext,
    openapi::{MediaType, Operation, Response as OaResponse, SchemaObject},
};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;
use shared::DomainError;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One invalid input: where it is (`["query","limit"]`), what is wrong, and a machine type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FieldError {
    /// Location path: first element is body, query, path or header.
    pub loc: Vec<String>,
    /// Human-readable explanation.
    pub msg: String,
    /// Machine-readable kind, e.g. `missing`, `json_invalid`, `range`, `email`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Error body of every non-2xx response.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(example = problem_example())]
pub struct Problem {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Human explanation specific to this occurrence; safe to show to users.
    pub detail: String,
    /// Stable snake_case code for programs: bad_request, unauthorized, forbidden, not_found,
    /// conflict, payload_too_large, unsupported_media_type, validation_failed, rate_limited,
    /// upstream_unavailable, internal_error.
    pub code: String,
    /// The `x-request-id` of the request, for support and log search.
    pub request_id: Option<String>,
    /// The invalid inputs (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

fn problem_example() -> Problem {
    Problem {
        problem_type: "urn:produck:problem:validation_failed".into(),
        title: "Validation failed".into(),
        status: 422,
        detail: "limit: must be between 1 and 500".into(),
        code: "validation_failed".into(),
        request_id: Some("0193a6f4-8c1e-7d2a-b7a5-3c1f0e9d4b21".into()),
        errors: Some(vec![FieldError {
            loc: vec!["query".into(), "limit".into()],
            msg: "must be between 1 and 500".into(),
            kind: "range".into(),
        }]),
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Option<Vec<FieldError>>,
    pub retry_after: Option<u64>,
}

pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        502..=504 => "upstream_unavailable",
        500..=599 => "internal_error",
        _ => "bad_request",
    }
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code_for(status),
            detail: detail.into(),
            errors: None,
            retry_after: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "an internal error occurred; it has been logged",
        )
    }

    /// 422 from a list of field errors; the detail summarises the first one.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .first()
            .map(|e| match e.loc.get(1..) {
                Some(rest) if !rest.is_empty() => format!("{}: {}", rest.join("."), e.msg),
                _ => e.msg.clone(),
            })
            .unwrap_or_else(|| "the request is invalid".to_owned());
        Self {
            errors: Some(errors),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
        }
    }

    pub fn field(loc: &[&str], msg: impl Into<String>, kind: &str) -> Self {
        Self::validation(vec![FieldError {
            loc: loc.iter().map(|s| (*s).to_owned()).collect(),
            msg: msg.into(),
            kind: kind.to_owned(),
        }])
    }

    pub fn into_problem(self) -> Problem {
        Problem {
            problem_type: format!("urn:produck:problem:{}", self.code),
            title: title_for(self.status),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            request_id: crate::request_id::current(),
            errors: self.errors,
        }
    }
}

fn title_for(status: StatusCode) -> String {
    match status.as_u16() {
        422 => "Validation failed".to_owned(),
        s => status
            .canonical_reason()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {s}")),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after;
        let problem = self.into_problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"produck\""),
            );
        }
        if let Some(secs) = retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// What a 503 for an unreachable dependency tells clients to wait before trying again.
const OUTAGE_RETRY_SECS: u64 = 3;

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { entity } => Self::not_found(format!("{entity} not found")),
            DomainError::Conflict(msg) => Self::new(StatusCode::CONFLICT, msg),
            DomainError::Invalid { field, message } => {
                Self::field(&["body", &field], message, "value_error")
            }
            DomainError::Unauthorized(msg) => Self::unauthorized(msg),
            DomainError::Forbidden(msg) => Self::new(StatusCode::FORBIDDEN, msg),
            DomainError::RateLimited { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("too many attempts; retry in {retry_after_secs} s"),
                )
            },
            DomainError::Unavailable { service, source } => {
                tracing::warn!(%service, error = ?source, "dependency unavailable");
                Self {
                    retry_after: Some(OUTAGE_RETRY_SECS),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("{service} is unavailable; try again shortly"),
                    )
                }
            }
            DomainError::Db(err) => {
                if DomainError::is_transient_db(&err) {
                    tracing::warn!(error = %err, "database unavailable");
                    return Self {
                        retry_after: Some(OUTAGE_RETRY_SECS),
                        ..Self::new(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "the database is unavailable; try again shortly",
                        )
                    };
                }
                tracing::error!(error.message = %err, error.cause_chain = ?err, "database error");
                Self::internal()
            }
            DomainError::Other(err) => {
                tracing::error!(error.message = %err, error.cause_chain = ?err, "internal error");
                Self::internal()
            }
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        DomainError::Db(e).into()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        DomainError::Other(e).into()
    }
}

/// The documented problem response (used for every error status).
pub fn problem_response(ctx: &mut GenContext, description: &str) -> OaResponse {
    let json_schema = ctx.schema.subschema_for::<Problem>();
    OaResponse {
        description: description.to_owned(),
        content: IndexMap::from_iter([(
            PROBLEM_CONTENT_TYPE.to_owned(),
            MediaType {
                schema: Some(SchemaObject {
                    json_schema,
                    example: None,
                    external_docs: None,
                }),
                ..Default::default()
            },
        )]),
        ..Default::default()
    }
}

impl OperationOutput for ApiError {
    type Inner = Problem;

    fn operation_response(ctx: &mut GenContext, _op: &mut Operation) -> Option<OaResponse> {
        Some(problem_response(ctx, "Error"))
    }
}
