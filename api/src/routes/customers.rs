//! `/customers`: accounts with ACV and segment (ENT > 200k, MM > 50k, else SMB unless set).

use aide::axum::{
    ApiRouter,
    routing::{get_with, patch_with},
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    entities::customer,
    services::customers::{self, CustomerFacts, CustomerPatch, Segment},
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath, ValidQuery, double_option},
    paging::PageQuery,
    state::AppState,
};

#[derive(Debug, Serialize, JsonSchema)]
pub struct CustomerOut {
    pub id: Uuid,
    pub name: String,
    /// Annual contract value in USD.
    pub acv: f64,
    /// ENT, MM or SMB.
    pub segment: String,
    /// `explicit` when set by a person or a file, `derived` when computed from ACV.
    pub segment_source: &'static str,
    pub email_domain: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<customer::Model> for CustomerOut {
    fn from(c: customer::Model) -> Self {
        Self {
            id: c.id,
            name: c.name,
            acv: c.acv,
            segment: c.segment,
            segment_source: if c.segment_locked {
                "explicit"
            } else {
                "derived"
            },
            email_domain: c.email_domain,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// Needs a letter or digit (accounts are matched by their letters and digits).
    #[validate(length(min = 1, max = 200))]
    #[schemars(pattern(r"[^\W_]"))]
    pub name: String,
    #[validate(range(min = 0.0, max = 1.0e12))]
    #[serde(default)]
    pub acv: Option<f64>,
    /// Omit to derive it from ACV.
    #[serde(default)]
    pub segment: Option<Segment>,
    #[validate(length(min = 3, max = 253))]
    #[serde(default)]
    pub email_domain: Option<String>,
}

/// Fields to change. `segment: null` returns to the ACV-derived segment.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatchIn {
    /// Needs a letter or digit.
    #[validate(length(min = 1, max = 200))]
    #[schemars(pattern(r"[^\W_]"))]
    #[serde(default)]
    pub name: Option<String>,
    #[validate(range(min = 0.0, max = 1.0e12))]
    #[serde(default)]
    pub acv: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<Segment>")]
    pub segment: Option<Option<Segment>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>")]
    pub email_domain: Option<Option<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct CustomerPath {
    /// Customer id.
    pub customer: Uuid,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct CustomerNamePath {
    /// Customer name (matched case- and punctuation-insensitively).
    pub customer: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CustomersOut {
    pub customers: Vec<customers::CustomerEvidence>,
    pub total_customers: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CustomerInsightsOut {
    pub customer: String,
    pub insights: Vec<customers::CustomerInsight>,
    pub count: usize,
}

async fn customers_with_insights(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<CustomersOut>, ApiError> {
    let customers = customers::with_insights(&state.db, auth.0.workspace_id).await?;
    Ok(Json(CustomersOut {
        total_customers: customers.len(),
        customers,
    }))
}

async fn customer_insights(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<CustomerNamePath>,
) -> Result<Json<CustomerInsightsOut>, ApiError> {
    let ws = auth.0.workspace_id;
    let Some(customer) = customers::find_by_name(&state.db, ws, &path.customer).await? else {
        return Ok(Json(CustomerInsightsOut {
            customer: path.customer,
            insights: Vec::new(),
            count: 0,
        }));
    };
    let insights = customers::insights_of(&state.db, ws, customer.id).await?;
    Ok(Json(CustomerInsightsOut {
        customer: customer.name,
        count: insights.len(),
        insights,
    }))
}

async fn create_customer(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<CustomerIn>,
) -> Result<(StatusCode, Json<CustomerOut>), ApiError> {
    let p = auth.require(Role::Editor)?;
    if customers::find_by_name(&state.db, p.workspace_id, &body.name)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("a customer named {:?} already exists", body.name),
        ));
    }
    let facts = CustomerFacts {
        acv: body.acv,
        segment: body.segment,
        email_domain: body.email_domain.map(|d| d.to_lowercase()),
    };
    let created = customers::upsert(&state.db, p.workspace_id, &body.name, &facts).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

async fn update_customer(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<CustomerPath>,
    ValidJson(body): ValidJson<CustomerPatchIn>,
) -> Result<Json<CustomerOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let patch = CustomerPatch {
        name: body.name,
        acv: body.acv,
        segment: body.segment,
        email_domain: body.email_domain,
    };
    Ok(Json(
        customers::update(&state.db, p.workspace_id, path.customer, patch)
            .await?
            .into(),
    ))
}

async fn list_customers(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(page): ValidQuery<PageQuery<100, 500>>,
) -> Result<Json<Vec<CustomerOut>>, ApiError> {
    let rows = customers::list(&state.db, auth.0.workspace_id, page.into()).await?;
    Ok(Json(rows.into_iter().map(CustomerOut::from).collect()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/customers",
            get_with(customers_with_insights, |op| {
                op.summary("Customers behind insights")
                    .description("Customers whose feedback supports at least one insight, most insights first.")
                    .tag("customers")
            })
            .post_with(create_customer, |op| {
                op.summary("Create a customer")
                    .description("Names match case- and punctuation-insensitively; a duplicate is 409. Editors and admins.")
                    .tag("customers")
                    .response::<201, Json<CustomerOut>>()
                    .response_with::<409, ApiError, _>(|r| r.description("A customer with this name exists"))
            }),
        )
        .api_route(
            "/customers/all",
            get_with(list_customers, |op| op.summary("List all customers").description("Every account, largest ACV first.").tag("customers")),
        )
        .api_route(
            "/customers/{customer}/insights",
            get_with(customer_insights, |op| {
                op.summary("A customer's insights")
                    .description("Insights supported by the named customer's feedback, highest priority first; an unknown name gives an empty list.")
                    .tag("customers")
            }),
        )
        .api_route(
            "/customers/{customer}",
            patch_with(update_customer, |op| {
                op.summary("Update a customer")
                    .description("Changing ACV re-derives the segment unless it was set explicitly. Editors and admins.")
                    .tag("customers")
                    .response_with::<409, ApiError, _>(|r| r.description("Another customer has this name"))
            }),
        )
}
