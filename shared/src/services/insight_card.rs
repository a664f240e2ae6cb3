//! What every insight shows wherever it is listed — on the board, as a competitive card,
//! among an account's insights, beside a source document: one type, flattened into each
//! view and read from the `insights` columns of the same names (`#[sea_orm(nested)]` in
//! each view's row).

use schemars::JsonSchema;
use sea_orm::FromQueryResult;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct InsightCard {
    pub title: String,
    pub description: String,
    pub impact: String,
    pub recommendation: String,
    /// low, medium or high (critical on the board).
    pub severity: String,
    /// low, medium or high.
    pub effort: String,
    /// The P-score, 0-100.
    pub priority_score: i32,
}
