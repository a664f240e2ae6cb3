//! Extractors that turn every input failure into the one error shape: JSON bodies, query
//! strings and path parameters, each validated with `validator` after deserialising.

use aide::{
    OperationInput,
    generate::GenContext,
    openapi::{Operation, Response as OaResponse, StatusCode as OaStatus},
};
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, request::Parts},
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError, problem_response};

/// Flattens validator's nested errors into `{loc, msg, type}` entries under `root`.
pub fn validation_errors(root: &str, errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(vec![root.to_owned()], errors, &mut out);
    out
}

fn collect(prefix: Vec<String>, errors: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let mut loc = prefix.clone();
        loc.push(field.to_string());
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let msg = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError {
                        loc: loc.clone(),
                        msg,
                        kind: e.code.to_string(),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(loc, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    let mut l = loc.clone();
                    l.push(i.to_string());
                    collect(l, inner, out);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    let p = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "length" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "has an invalid length".to_owned(),
        },
        "email" => "must be a valid email address".to_owned(),
        other => format!("is invalid ({other})"),
    }
}

fn serde_error(root: &str, path: String, err: impl std::fmt::Display) -> FieldError {
    let mut loc = vec![root.to_owned()];
    loc.extend(
        path.split('.')
            .filter(|s| !s.is_empty() && *s != "?")
            .map(str::to_owned),
    );
    let msg = err.to_string();
    let kind = if msg.starts_with("missing field") {
        "missing"
    } else if msg.starts_with("unknown field") {
        "extra_forbidden"
    } else if msg.starts_with("unknown variant") {
        "enum"
    } else if msg.starts_with("must be between") {
        // A bound read while parsing (`paging::Limit`), named as the validator names it.
        "range"
    } else {
        "type_error"
    };
    FieldError {
        loc,
        msg,
        kind: kind.to_owned(),
    }
}

/// Reads `T` from `input` and applies its rules; every failure names its place under `root`.
fn validated<'de, D, T>(root: &str, input: D) -> Result<T, ApiError>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Validate,
{
    let value: T = serde_path_to_error::deserialize(input).map_err(|e| {
        let path = e.path().to_string();
        ApiError::validation(vec![serde_error(root, path, e.into_inner())])
    })?;
    checked(root, value)
}

/// `value` if it meets its rules; else every broken rule, named under `root`.
fn checked<T: Validate>(root: &str, value: T) -> Result<T, ApiError> {
    value
        .validate()
        .map_err(|e| ApiError::validation(validation_errors(root, &e)))?;
    Ok(value)
}

fn problems_doc(
    ctx: &mut GenContext,
    codes: &[(u16, &str)],
) -> Vec<(Option<OaStatus>, OaResponse)> {
    codes
        .iter()
        .map(|(c, d)| (Some(OaStatus::Code(*c)), problem_response(ctx, d)))
        .collect()
}

/// `application/json`, with parameters, or any `+json` type.
fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON body: malformed JSON, wrong types, unknown enum values and rule violations all
/// answer 422 naming the field (and the line and column for syntax errors).
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_typed = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json_media_type);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the request body is too large",
                )
            } else {
                ApiError::bad_request("the request body could not be read")
            }
        })?;
        // A form post from another site carries a JSON-looking body with a form type; only
        // a declared JSON body is read.
        if !bytes.is_empty() && !json_typed {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be JSON sent with Content-Type: application/json",
            ));
        }
        // Every body this API takes is an object; serde would also read a struct from a
        // JSON array (field by position), which the documented schema forbids.
        if bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b != b'{')
        {
            return Err(ApiError::validation(vec![FieldError {
                loc: vec!["body".into()],
                msg: "must be a JSON object".into(),
                kind: "type_error".into(),
            }]));
        }
        // The common body reads straight into `T`; only one that needs `normalise` (a NUL
        // escape, or a value `T` refused, such as `1455.0`) is read a second time.
        let has_nul = bytes.windows(6).any(|w| w == b"\\u0000");
        if !has_nul && let Ok(value) = serde_json::from_slice::<T>(&bytes) {
            return Ok(Self(checked("body", value)?));
        }
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            let detail = if bytes.is_empty() {
                "the request body is empty; a JSON object is required".to_owned()
            } else {
                format!("malformed JSON at line {} column {}", e.line(), e.column())
            };
            ApiError::validation(vec![FieldError {
                loc: vec!["body".into()],
                msg: detail,
                kind: "json_invalid".into(),
            }])
        })?;
        normalise(&mut json);
        Ok(Self(validated("body", json)?))
    }
}

impl<T: JsonSchema> OperationInput for ValidJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::Json::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        problems_doc(
            ctx,
            &[
                (413, "Request body too large"),
                (415, "The body is not declared as JSON"),
                (422, "Invalid request body"),
            ],
        )
    }
}

/// A query string, validated like a body; errors point at `["query", name]`.
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        // Repeated keys (`severity=high&severity=low`) arrive as one comma-separated value.
        let mut merged: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match merged.iter_mut().find(|(mk, _)| *mk == k) {
                Some((_, mv)) => {
                    mv.push(',');
                    mv.push_str(&v);
                }
                None => merged.push((k.into_owned(), v.into_owned())),
            }
        }
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&merged)
            .finish();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        Ok(Self(validated("query", de)?))
    }
}

impl<T: JsonSchema> OperationInput for ValidQuery<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::extract::Query::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        problems_doc(ctx, &[(422, "Invalid query parameters")])
    }
}

/// Path parameters; a malformed id is a 422 naming the parameter.
pub struct ValidPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ValidPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(rejection) => {
                use axum::extract::rejection::PathRejection;
                let (name, msg) = match &rejection {
                    PathRejection::FailedToDeserializePathParams(e) => {
                        let name = match e.kind() {
                            axum::extract::path::ErrorKind::ParseErrorAtKey { key, .. }
                            | axum::extract::path::ErrorKind::InvalidUtf8InPathParam { key } => {
                                key.clone()
                            }
                            _ => "path".to_owned(),
                        };
                        (name, e.body_text())
                    }
                    other => ("path".to_owned(), other.body_text()),
                };
                Err(ApiError::field(&["path", &name], msg, "type_error"))
            }
        }
    }
}

impl<T: JsonSchema> OperationInput for ValidPath<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::extract::Path::<T>::operation_input(ctx, operation);
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        problems_doc(
            ctx,
            &[
                (404, "Not found in this workspace"),
                (422, "Invalid path parameter"),
            ],
        )
    }
}

/// `1455.0` is the integer 1455 to JSON Schema (and to the clients that write it so); serde
/// would refuse it for an integer field. NUL characters are dropped from strings: they mean
/// nothing in text, and PostgreSQL cannot store them.
fn normalise(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                if f >= 0.0 && f <= u64::MAX as f64 {
                    *value = Value::from(f as u64);
                } else if f < 0.0 && f >= i64::MIN as f64 {
                    *value = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::Object(map) => map.values_mut().for_each(normalise),
        _ => {}
    }
}

/// A JSON body that may be absent: an empty body means `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "0")
            || (req
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .is_none()
                && req
                    .headers()
                    .get(axum::http::header::TRANSFER_ENCODING)
                    .is_none());
        if empty {
            return Ok(Self(T::default()));
        }
        ValidJson::<T>::from_request(req, state)
            .await
            .map(|ValidJson(v)| Self(v))
    }
}

impl<T: JsonSchema> OperationInput for OptionalJson<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::Json::<T>::operation_input(ctx, operation);
        if let Some(aide::openapi::ReferenceOr::Item(body)) = operation.request_body.as_mut() {
            body.required = false;
        }
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        problems_doc(
            ctx,
            &[
                (415, "The body is not declared as JSON"),
                (422, "Invalid request body"),
            ],
        )
    }
}

/// Distinguishes an absent field (None) from an explicit null (Some(None)):
/// `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The schema of a `cursor` query parameter: the shape `Cursor::decode` reads.
pub fn cursor_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "pattern": shared::services::cursor::PATTERN})
}

/// A credential sent on to a vendor in an HTTP header: visible ASCII only, no spaces. The
/// validator and the schema (`#[validate(regex(path = *TOKEN_CHARS))]`) read this one regex.
pub static TOKEN_CHARS: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new("^[!-~]*$").expect("a valid pattern"));

/// A path naming one resource by its id: `id_path!(JobPath, "Job id.")` declares
/// `JobPath { id: Uuid }` with that description in the spec.
#[macro_export]
macro_rules! id_path {
    ($name:ident, $doc:literal) => {
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[schemars(inline)]
        pub struct $name {
            #[doc = $doc]
            pub id: uuid::Uuid,
        }
    };
}
