//! A curated theme's shape after its members changed: its centroid (what later runs and
//! new feedback compare with) and each member's similarity to it; and the two-way split
//! of a theme a PM asked to break up without choosing the members.

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::statement as raw;
use crate::{
    DomainError,
    ai::embeddings::{cosine, from_bytes, to_bytes},
    cluster,
};

/// The members of `theme_ids` with their vectors, in feedback id order.
pub(super) async fn member_vectors(
    db: &impl ConnectionTrait,
    theme_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, Vec<f32>)>, DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        theme_id: Uuid,
        feedback_id: Uuid,
        embedding: Vec<u8>,
    }
    let rows = Row::find_by_statement(raw(
        "SELECT ft.theme_id, ft.feedback_id, v.embedding FROM feedback_themes ft \
         JOIN feedback_vectors v ON v.feedback_id = ft.feedback_id \
         WHERE ft.theme_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid) ORDER BY ft.feedback_id",
        [json!(theme_ids).into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.theme_id, r.feedback_id, from_bytes(&r.embedding)))
        .collect())
}

/// Recomputes the centroids of `theme_ids` from their members and each link's similarity;
/// a theme left without members keeps its centroid.
pub(super) async fn recentre(
    txn: &impl ConnectionTrait,
    theme_ids: &[Uuid],
) -> Result<(), DomainError> {
    let members = member_vectors(txn, theme_ids).await?;
    let groups: Vec<Option<usize>> = members
        .iter()
        .map(|(t, _, _)| theme_ids.iter().position(|x| x == t))
        .collect();
    let vectors: Vec<&[f32]> = members.iter().map(|(_, _, v)| v.as_slice()).collect();
    let centroids = cluster::centroids(&vectors, &groups, theme_ids.len());
    use base64::Engine;
    let b64 = |v: &[f32]| base64::engine::general_purpose::STANDARD.encode(to_bytes(v));
    let themes: Vec<Value> = theme_ids
        .iter()
        .zip(&centroids)
        .filter(|(_, c)| c.iter().any(|x| *x != 0.0))
        .map(|(id, c)| json!({"id": id, "centroid": b64(c)}))
        .collect();
    txn.execute_raw(raw(
        "UPDATE themes t SET centroid = decode(x.centroid, 'base64'), updated_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, centroid text) WHERE t.id = x.id",
        [Value::Array(themes).into()],
    ))
    .await?;
    let links: Vec<Value> = members
        .iter()
        .zip(&groups)
        .filter_map(|((t, f, v), g)| g.map(|g| json!({"theme_id": t, "feedback_id": f, "confidence": cosine(v, &centroids[g])})))
        .collect();
    txn.execute_raw(raw(
        "UPDATE feedback_themes ft SET confidence = x.confidence \
         FROM jsonb_to_recordset($1::jsonb) AS x(theme_id uuid, feedback_id uuid, confidence real) \
         WHERE ft.theme_id = x.theme_id AND ft.feedback_id = x.feedback_id",
        [Value::Array(links).into()],
    ))
    .await?;
    Ok(())
}

/// Splits vectors in two by 2-means from the two members farthest apart (deterministic for
/// the same members); answers the indexes of the smaller side.
pub(super) fn two_way_split(vectors: &[&[f32]]) -> Vec<usize> {
    let all: Vec<Option<usize>> = vec![Some(0); vectors.len()];
    let mean = cluster::centroids(vectors, &all, 1).remove(0);
    let farthest_from = |c: &[f32]| {
        (0..vectors.len())
            .min_by(|a, b| cosine(vectors[*a], c).total_cmp(&cosine(vectors[*b], c)))
            .unwrap_or(0)
    };
    let a = farthest_from(&mean);
    let b = farthest_from(vectors[a]);
    let mut centres = vec![vectors[a].to_vec(), vectors[b].to_vec()];
    let mut sides: Vec<Option<usize>> = Vec::new();
    for _ in 0..20 {
        let next: Vec<Option<usize>> = vectors
            .iter()
            .map(|v| Some(usize::from(cosine(v, &centres[1]) > cosine(v, &centres[0]))))
            .collect();
        if next == sides {
            break;
        }
        sides = next;
        centres = cluster::centroids(vectors, &sides, 2);
    }
    let ones = sides.iter().filter(|s| **s == Some(1)).count();
    let smaller = usize::from(ones * 2 <= sides.len());
    (0..vectors.len())
        .filter(|n| sides[*n] == Some(smaller))
        .collect()
}
