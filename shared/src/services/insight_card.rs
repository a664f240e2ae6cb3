//! What every insight shows wherever it is listed — on the board, as a competitive card,
//! among an account's insights, beside a source document: one type, flattened into each
//! view, read from the `insights` columns of the same names.

use schemars::JsonSchema;
use sea_orm::{DbErr, FromQueryResult, QueryResult};
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

impl InsightCard {
    /// The card's columns of a row selected with them under their own names.
    pub fn from_row(row: &QueryResult) -> Result<Self, DbErr> {
        Self::from_query_result(row, "")
    }
}
