//! The theme map: every insight placed on a plane so that themes customers talk about in
//! similar words sit close together. The plane is the first two principal components of the
//! theme centroids (computed by power iteration; a board has at most a few hundred themes).

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::{DomainError, ai::embeddings::from_bytes};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, FromQueryResult)]
pub struct MapPoint {
    pub insight_id: Uuid,
    pub title: String,
    pub severity: String,
    pub priority_score: i32,
    pub feedback_count: i64,
    pub total_acv: f64,
    /// Position on the map, in -1..1 (the wider spread reaches the edge); only distances
    /// between points mean something.
    #[sea_orm(skip)]
    pub x: f64,
    #[sea_orm(skip)]
    pub y: f64,
}

/// Every customer insight of the workspace with its position.
pub async fn theme_map(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Vec<MapPoint>, DomainError> {
    let rows = db
        .query_all_raw(crate::db::statement(
            "SELECT i.id AS insight_id, i.title, i.severity, i.priority_score, \
                    i.feedback_count::int8 AS feedback_count, i.total_acv::float8 AS total_acv, t.centroid \
             FROM insights i JOIN themes t ON t.id = i.theme_id \
             WHERE i.workspace_id = $1 ORDER BY i.priority_score DESC, i.id",
            [workspace_id.into()],
        ))
        .await?;
    let mut points = Vec::with_capacity(rows.len());
    let mut vectors = Vec::with_capacity(rows.len());
    for r in &rows {
        let centroid: Vec<u8> = r.try_get("", "centroid")?;
        vectors.push(
            from_bytes(&centroid)
                .into_iter()
                .map(f64::from)
                .collect::<Vec<_>>(),
        );
        points.push(MapPoint::from_query_result(r, "")?);
    }
    for (p, (x, y)) in points.iter_mut().zip(project(&vectors)) {
        p.x = x;
        p.y = y;
    }
    Ok(points)
}

/// Projects vectors onto their first two principal components, scaled into -1..1 (the
/// larger spread reaching the edge).
pub fn project(vectors: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let n = vectors.len();
    let dim = vectors.iter().map(Vec::len).min().unwrap_or(0);
    if n == 0 || dim == 0 {
        return vec![(0.0, 0.0); n];
    }
    let mean: Vec<f64> = (0..dim)
        .map(|d| vectors.iter().map(|v| v[d]).sum::<f64>() / n as f64)
        .collect();
    let centred: Vec<Vec<f64>> = vectors
        .iter()
        .map(|v| (0..dim).map(|d| v[d] - mean[d]).collect())
        .collect();
    let first = component(&centred, dim, None);
    let second = component(&centred, dim, Some(&first));
    let xs: Vec<f64> = centred.iter().map(|v| dot(v, &first)).collect();
    let ys: Vec<f64> = centred.iter().map(|v| dot(v, &second)).collect();
    // One scale for both axes, so distances on the map keep their proportions.
    let max = xs.iter().chain(&ys).fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if max > 1e-12 { 1.0 / max } else { 0.0 };
    xs.iter()
        .zip(&ys)
        .map(|(x, y)| (x * scale, y * scale))
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The leading eigenvector of the centred vectors' covariance (orthogonal to `not`), by
/// power iteration from a fixed start, so the same board always draws the same map.
fn component(centred: &[Vec<f64>], dim: usize, not: Option<&[f64]>) -> Vec<f64> {
    let mut v: Vec<f64> = (0..dim).map(|d| 1.0 + (d % 7) as f64 * 0.1).collect();
    for _ in 0..200 {
        if let Some(u) = not {
            let along = dot(&v, u);
            v.iter_mut().zip(u).for_each(|(x, y)| *x -= along * y);
        }
        let mut next = vec![0.0; dim];
        for row in centred {
            let w = dot(row, &v);
            next.iter_mut().zip(row).for_each(|(x, y)| *x += w * y);
        }
        let norm = dot(&next, &next).sqrt();
        if norm < 1e-12 {
            break;
        }
        next.iter_mut().for_each(|x| *x /= norm);
        v = next;
    }
    if let Some(u) = not {
        let along = dot(&v, u);
        v.iter_mut().zip(u).for_each(|(x, y)| *x -= along * y);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::project;

    #[test]
    fn near_vectors_land_near_and_far_ones_far() {
        // Two tight groups far apart along one axis, spread a little along another.
        let vectors = vec![
            vec![1.0, 0.0, 0.1],
            vec![1.0, 0.05, 0.12],
            vec![-1.0, 0.0, -0.1],
            vec![-1.0, -0.05, -0.08],
        ];
        let p = project(&vectors);
        let dist =
            |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        assert!(dist(p[0], p[1]) < 0.3, "{p:?}");
        assert!(dist(p[2], p[3]) < 0.3, "{p:?}");
        assert!(dist(p[0], p[2]) > 1.5, "{p:?}");
        assert!(
            p.iter()
                .all(|(x, y)| x.abs() <= 1.0 + 1e-9 && y.abs() <= 1.0 + 1e-9)
        );
        assert_eq!(project(&[]), vec![]);
        assert_eq!(project(&[vec![0.5, 0.5]]), vec![(0.0, 0.0)]);
    }
}
