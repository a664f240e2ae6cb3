//! The OpenAPI document: generated from the routes by aide, served at `/openapi.json`,
//! rendered at `/docs` (Scalar, bundled in the binary: no CDN), committed as
//! `openapi/openapi.json` and checked for drift by a test.

use aide::openapi::{Info, OpenApi, ReferenceOr, SecurityScheme, StatusCode as OaStatus, Tag};
use indexmap::IndexMap;

use crate::error::problem_response;

pub fn base() -> OpenApi {
    OpenApi {
        info: Info {
            title: "ProduckAI API".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: Some(
                "Turns scattered customer feedback into ranked, evidence-backed product decisions.\n\n\
                 Authenticate with `Authorization: Bearer <token>`: an access token from \
                 `POST /auth/login` or an API key from `POST /api-keys`. Every error is \
                 `application/problem+json` with a stable `code` and the `request_id`."
                    .into(),
            ),
            license: Some(aide::openapi::License {
                name: "Apache-2.0".into(),
                identifier: Some("Apache-2.0".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        servers: vec![aide::openapi::Server {
            url: "/".into(),
            description: Some("The server that serves this document".into()),
            ..Default::default()
        }],
        tags: [
            ("health", "Liveness of the API and its dependencies"),
            ("auth", "Sessions: login, token refresh, logout, current caller"),
            ("users", "Workspace members and roles"),
            ("api-keys", "Keys for scripts and services"),
            ("jobs", "Background job state"),
            ("feedback", "Stored customer feedback"),
            ("ingest", "Loading feedback from sources"),
            ("upload", "Uploading feedback files"),
            ("customers", "Accounts, ACV and segments"),
            ("clustering", "Grouping feedback into themes"),
            ("themes", "Insights and their evidence"),
            ("curation", "A PM's corrections to the themes, kept by later clustering runs and undoable"),
            ("webhooks", "Outbound webhooks: endpoints, signed deliveries and their log"),
            ("admin", "Scoring weights, formulas and the audit trail"),
            ("search", "Full-text search"),
            ("jira", "Roadmap tickets scored by the customer evidence behind them"),
            ("tickets", "Ticket artifacts: themes, quotes and a PRD outline"),
            ("chat", "The PM copilot and its conversations"),
            ("competitive", "Competitor moves as scored insight cards"),
            ("integrations", "Connecting Google, Zoom, Slack and Jira"),
        ]
        .into_iter()
        .map(|(name, description)| Tag { name: name.into(), description: Some(description.into()), ..Default::default() })
        .collect(),
        ..Default::default()
    }
}

/// Declares the bearer scheme (required by default; public routes opt out), and gives every
/// operation its 500 response, a client-error response and an operation id.
pub fn finalize(
    api: aide::transform::TransformOpenApi<'_>,
) -> aide::transform::TransformOpenApi<'_> {
    let api = api.security_scheme(
        "bearer",
        SecurityScheme::Http {
            scheme: "bearer".into(),
            bearer_format: Some("JWT or API key".into()),
            description: Some("An access token from POST /auth/login, or an API key.".into()),
            extensions: IndexMap::new(),
        },
    );
    let mut api = api.security_requirement("bearer");
    aide::generate::in_context(|ctx| {
        let internal = problem_response(ctx, "Internal error (no details are exposed)");
        let client = problem_response(
            ctx,
            "Another client error, e.g. 405 for a wrong method or 429 rate_limited",
        );
        add_to_every_operation(api.inner_mut(), internal, client);
    });
    api
}

fn add_to_every_operation(
    api: &mut OpenApi,
    internal: aide::openapi::Response,
    client: aide::openapi::Response,
) {
    let Some(paths) = api.paths.as_mut() else {
        return;
    };
    for (path, item) in paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let ops = [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let responses = op.responses.get_or_insert_with(Default::default);
            responses
                .responses
                .entry(OaStatus::Code(500))
                .or_insert_with(|| ReferenceOr::Item(internal.clone()));
            // Any operation may also answer another client error (404 for an unknown route
            // parameter value, 405, 413, 429 rate_limited, ...), always in the problem shape.
            responses
                .responses
                .entry(OaStatus::Range(4))
                .or_insert_with(|| ReferenceOr::Item(client.clone()));
            if op.operation_id.is_none() {
                op.operation_id = Some(operation_id(method, path));
            }
        }
    }
}

/// `get /users/{id}` -> `get_users_id`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        id.push('_');
        id.extend(
            part.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .map(|c| if c == '-' { '_' } else { c }),
        );
    }
    id
}

/// The spec as a pretty JSON string with a trailing newline (the committed file's format).
pub fn to_pretty_json(api: &OpenApi) -> String {
    let mut text = serde_json::to_string_pretty(api).unwrap_or_default();
    text.push('\n');
    text
}
