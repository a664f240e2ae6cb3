//! Customers (accounts): unique per workspace by a forgiving name key, with ACV and a segment
//! derived from ACV unless set explicitly.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{DomainError, entities::customer};

pub use crate::segment::{MAX_ACV, Segment, parse_acv};

/// "Acme Corp." and "acme  corp" share the key "acme corp".
pub fn name_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names that carry no account information.
pub fn is_placeholder_name(name: &str) -> bool {
    matches!(
        name_key(name).as_str(),
        "" | "unknown" | "none" | "n a" | "na" | "null" | "demo" | "internal"
    )
}

pub async fn find_by_name(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
) -> Result<Option<customer::Model>, DomainError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(workspace_id))
        .filter(customer::Column::NameKey.eq(name_key(name)))
        .one(db)
        .await?)
}

/// Evidence about an account seen in feedback or set by a user.
#[derive(Debug, Clone, Default)]
pub struct CustomerFacts {
    pub acv: Option<f64>,
    pub segment: Option<Segment>,
    pub email_domain: Option<String>,
}

/// Finds or creates the customer by name, applying new facts: a new ACV re-derives the
/// segment unless the segment was set explicitly. Safe against concurrent creators.
pub async fn upsert(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    facts: &CustomerFacts,
) -> Result<customer::Model, DomainError> {
    Ok(upsert_noting_change(db, workspace_id, name, facts).await?.0)
}

/// `upsert`, also telling whether an existing customer's facts changed (what the board's
/// cards show of it).
pub async fn upsert_noting_change(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    facts: &CustomerFacts,
) -> Result<(customer::Model, bool), DomainError> {
    let name = name.trim();
    let key = name_key(name);
    if key.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "customer name needs a letter or digit",
        ));
    }
    if let Some(existing) = find_by_name(db, workspace_id, name).await? {
        return apply(db, existing, facts).await;
    }
    let acv = facts.acv.unwrap_or(0.0);
    let segment = facts.segment.unwrap_or_else(|| Segment::from_acv(acv));
    // One statement whether or not a concurrent creator got there first: a failed plain
    // INSERT would abort the caller's whole transaction.
    let row = customer::Entity::find()
        .from_raw_sql(crate::db::statement("INSERT INTO customers (id, workspace_id, name, name_key, email_domain, acv, segment, segment_locked) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (workspace_id, name_key) DO UPDATE SET name_key = EXCLUDED.name_key \
             RETURNING *",
            vec![
                Uuid::now_v7().into(),
                workspace_id.into(),
                name.into(),
                key.into(),
                facts.email_domain.clone().into(),
                acv.into(),
                segment.as_str().into(),
                facts.segment.is_some().into(),
            ],
        ))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("customer"))?;
    apply(db, row, facts).await
}

/// Applies new facts; true when the row changed.
async fn apply(
    db: &impl ConnectionTrait,
    c: customer::Model,
    facts: &CustomerFacts,
) -> Result<(customer::Model, bool), DomainError> {
    let new_acv = facts
        .acv
        .filter(|a| *a > 0.0 && (*a - c.acv).abs() > f64::EPSILON);
    let new_segment = facts.segment.filter(|s| s.as_str() != c.segment);
    let new_domain = facts
        .email_domain
        .clone()
        .filter(|_| c.email_domain.is_none());
    if new_acv.is_none() && new_segment.is_none() && new_domain.is_none() {
        return Ok((c, false));
    }
    let mut am: customer::ActiveModel = c.clone().into();
    if let Some(acv) = new_acv {
        am.acv = Set(acv);
        if !c.segment_locked && facts.segment.is_none() {
            am.segment = Set(Segment::from_acv(acv).as_str().to_owned());
        }
    }
    if let Some(seg) = facts.segment {
        am.segment = Set(seg.as_str().to_owned());
        am.segment_locked = Set(true);
    }
    if let Some(domain) = new_domain {
        am.email_domain = Set(Some(domain));
    }
    am.updated_at = Set(Utc::now());
    Ok((am.update(db).await?, true))
}

/// Fields a user may change; `segment: Some(None)` returns to the ACV-derived segment.
#[derive(Debug, Default)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub acv: Option<f64>,
    pub segment: Option<Option<Segment>>,
    pub email_domain: Option<Option<String>>,
}

pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<customer::Model, DomainError> {
    customer::Entity::find_by_id(id)
        .filter(customer::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("customer"))
}

pub async fn update(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    workspace_id: Uuid,
    id: Uuid,
    patch: CustomerPatch,
) -> Result<customer::Model, DomainError> {
    let c = get(db, workspace_id, id).await?;
    let mut am: customer::ActiveModel = c.clone().into();
    if let Some(name) = patch.name {
        let key = name_key(&name);
        if key.is_empty() {
            return Err(DomainError::invalid(
                "name",
                "customer name needs a letter or digit",
            ));
        }
        am.name = Set(name.trim().to_owned());
        am.name_key = Set(key);
    }
    let acv = patch.acv.unwrap_or(c.acv);
    if patch.acv.is_some() {
        am.acv = Set(acv);
    }
    match patch.segment {
        Some(Some(seg)) => {
            am.segment = Set(seg.as_str().to_owned());
            am.segment_locked = Set(true);
        }
        Some(None) => {
            am.segment = Set(Segment::from_acv(acv).as_str().to_owned());
            am.segment_locked = Set(false);
        }
        None if !c.segment_locked && patch.acv.is_some() => {
            am.segment = Set(Segment::from_acv(acv).as_str().to_owned());
        }
        None => {}
    }
    if let Some(domain) = patch.email_domain {
        am.email_domain = Set(domain);
    }
    am.updated_at = Set(Utc::now());
    // The board shows customer names, segments and ACV, and scores by them: its cards and
    // scores change with the row.
    let txn = db.begin().await?;
    let updated = am.update(&txn).await.map_err(|e| {
        if DomainError::is_unique_violation(&e) {
            DomainError::Conflict("another customer already has this name".into())
        } else {
            DomainError::from(e)
        }
    })?;
    crate::services::themes::after_evidence_changed(&txn, workspace_id).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(updated)
}

pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    page: super::Page,
) -> Result<Vec<customer::Model>, DomainError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(customer::Column::Acv)
        .order_by_asc(customer::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acv_forms() {
        assert_eq!(parse_acv("250000"), Some(250_000.0));
        assert_eq!(parse_acv("$250,000"), Some(250_000.0));
        assert_eq!(parse_acv("250k"), Some(250_000.0));
        assert_eq!(parse_acv("1.2M"), Some(1_200_000.0));
        assert_eq!(parse_acv("n/a"), None);
        assert_eq!(parse_acv("-5"), None);
    }

    #[test]
    fn acv_range_is_checked_after_the_multiplier() {
        assert_eq!(parse_acv("1e308m"), None);
        assert_eq!(parse_acv("1e308k"), None);
        assert_eq!(parse_acv("inf"), None);
        assert_eq!(parse_acv("NaN"), None);
        assert_eq!(parse_acv("2000000m"), None);
        assert_eq!(parse_acv("999k"), Some(999_000.0));
    }

    #[test]
    fn segment_boundaries() {
        for (acv, seg) in [
            (30_000.0, Segment::Smb),
            (50_000.0, Segment::Smb),
            (51_000.0, Segment::Mm),
            (100_000.0, Segment::Mm),
            (200_000.0, Segment::Mm),
            (201_000.0, Segment::Ent),
            (500_000.0, Segment::Ent),
        ] {
            assert_eq!(Segment::from_acv(acv), seg, "{acv}");
        }
    }

    #[test]
    fn names_match_forgivingly() {
        assert_eq!(name_key("Acme Corp"), name_key("acme corp."));
        assert_eq!(name_key("  ACME   Corp!! "), "acme corp");
        assert_ne!(name_key("Acme Corp"), name_key("Acme Corporation"));
        assert!(is_placeholder_name("Unknown") && is_placeholder_name(" n/a "));
    }
}

/// A customer with the insights its feedback supports (also the API's response item).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema, FromQueryResult)]
pub struct CustomerEvidence {
    pub name: String,
    pub insight_count: i64,
    pub feedback_count: i64,
}

/// Customers whose feedback supports at least one insight, most insights first.
pub async fn with_insights(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Vec<CustomerEvidence>, DomainError> {
    let rows = db
        .query_all_raw(crate::db::statement("SELECT c.name, count(DISTINCT i.id) AS insight_count, count(DISTINCT f.id) AS feedback_count \
             FROM customers c JOIN feedback f ON f.customer_id = c.id JOIN feedback_themes ft ON ft.feedback_id = f.id \
             JOIN insights i ON i.theme_id = ft.theme_id \
             WHERE c.workspace_id = $1 GROUP BY c.id, c.name ORDER BY insight_count DESC, feedback_count DESC, c.name",
            [workspace_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| CustomerEvidence::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}

/// An insight supported by one customer's feedback (also the API's response item).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema, FromQueryResult)]
pub struct CustomerInsight {
    pub id: Uuid,
    #[serde(flatten)]
    #[sea_orm(nested)]
    pub card: crate::services::insight_card::InsightCard,
    /// How many of this customer's feedback items support it.
    pub feedback_count: i64,
}

/// The insights a customer's feedback supports, highest priority first.
pub async fn insights_of(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    customer_id: Uuid,
) -> Result<Vec<CustomerInsight>, DomainError> {
    let rows = db
        .query_all_raw(crate::db::statement("SELECT i.id, i.title, i.description, i.severity, i.priority_score, i.effort, i.impact, i.recommendation, \
                    count(DISTINCT f.id) AS feedback_count \
             FROM insights i JOIN feedback_themes ft ON ft.theme_id = i.theme_id JOIN feedback f ON f.id = ft.feedback_id \
             WHERE i.workspace_id = $1 AND f.customer_id = $2 \
             GROUP BY i.id ORDER BY i.priority_score DESC, i.id",
            [workspace_id.into(), customer_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| CustomerInsight::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}
