//! Grouping feedback embeddings into themes: PCA to a few dozen dimensions, HDBSCAN on the
//! unit-normalised projections (Euclidean distance there orders like cosine), then noise
//! points attached to the nearest theme when they are similar enough. Pure functions.

pub mod labels;
pub mod pca;
pub mod quality;

use hdbscan::{Hdbscan, HdbscanHyperParams};

use crate::{
    ai::embeddings::{cosine, normalise},
    jobs::{CancelFlag, Cancelled},
};

/// Above `min_cluster_size * ITEMS_PER_MINIMUM_MEMBER` items the minimum theme grows with
/// the data.
const ITEMS_PER_MINIMUM_MEMBER: usize = 800;

#[derive(Debug, Clone, Copy)]
pub struct ClusterParams {
    /// Dimensions kept by PCA (at most 50 is plenty for 384-d sentence vectors).
    pub dims: usize,
    pub min_cluster_size: usize,
    pub min_samples: usize,
    /// Cosine similarity to a theme centroid above which a noise point joins that theme.
    pub attach_threshold: f32,
    /// Above this many items an evenly spread sample is clustered and the rest join their
    /// nearest theme: HDBSCAN's cost grows with the square of the items.
    pub max_clustered: usize,
    /// Clusters whose centroids are at least this similar become one theme (1.0: never).
    pub merge_threshold: f32,
}

/// The clustering settings as the pipeline takes them.
impl crate::config::ClusteringSettings {
    pub fn params(&self) -> ClusterParams {
        ClusterParams {
            dims: self.dims,
            min_cluster_size: self.min_cluster_size,
            min_samples: self.min_samples,
            attach_threshold: self.attach_threshold,
            max_clustered: self.max_items_clustered,
            merge_threshold: self.merge_threshold,
        }
    }
}

impl Default for ClusterParams {
    fn default() -> Self {
        // Tuned on Banking77's train.csv (cargo bench -p shared --bench cluster_quality).
        Self {
            dims: 30,
            min_cluster_size: 8,
            min_samples: 3,
            attach_threshold: 0.35,
            max_clustered: 20_000,
            merge_threshold: 0.8,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Clustering {
    /// Theme index per input vector; `None` for points left unclustered.
    pub labels: Vec<Option<usize>>,
    /// Normalised mean of each theme's members, in the original embedding space.
    pub centroids: Vec<Vec<f32>>,
    /// Points HDBSCAN called noise but that were attached to their nearest theme.
    pub attached: usize,
}

impl Clustering {
    pub fn clusters(&self) -> usize {
        self.centroids.len()
    }

    pub fn coverage(&self) -> f64 {
        if self.labels.is_empty() {
            return 0.0;
        }
        self.labels.iter().filter(|l| l.is_some()).count() as f64 / self.labels.len() as f64
    }
}

/// The normalised mean of each group's members (zero for a group without any).
pub fn centroids<V: AsRef<[f32]>>(
    vectors: &[V],
    labels: &[Option<usize>],
    k: usize,
) -> Vec<Vec<f32>> {
    let dim = vectors.first().map_or(0, |v| v.as_ref().len());
    let mut sums = vec![vec![0.0f32; dim]; k];
    for (v, l) in vectors.iter().zip(labels) {
        if let Some(c) = l {
            sums[*c]
                .iter_mut()
                .zip(v.as_ref())
                .for_each(|(s, x)| *s += x);
        }
    }
    for s in &mut sums {
        normalise(s);
    }
    sums
}

/// Fewer items than this give no themes.
pub fn minimum_items(params: &ClusterParams) -> usize {
    params.min_cluster_size.clamp(3, 5) * 2
}

/// Clusters `vectors` (all from one model). Fewer than `min_cluster_size * 2` points give no
/// themes rather than a meaningless split.
pub fn cluster(vectors: &[Vec<f32>], params: &ClusterParams) -> Clustering {
    match cluster_unless_cancelled(vectors, params, &CancelFlag::new()) {
        Ok(c) => c,
        Err(Cancelled) => unreachable!("a fresh flag is never raised"),
    }
}

/// `cluster_unless_cancelled` for any number of items: beyond `params.max_clustered` an
/// evenly spread sample (every k-th item) is clustered, then every other item joins the
/// theme whose centroid is nearest when it clears the attach threshold. Returns the sample
/// size when sampling was used.
pub fn cluster_at_scale(
    vectors: &[Vec<f32>],
    params: &ClusterParams,
    cancel: &CancelFlag,
) -> Result<(Clustering, Option<usize>), Cancelled> {
    let n = vectors.len();
    if n <= params.max_clustered.max(minimum_items(params)) {
        return cluster_unless_cancelled(vectors, params, cancel).map(|c| (c, None));
    }
    let picked = spread_sample(n, params.max_clustered);
    let sample: Vec<Vec<f32>> = picked.iter().map(|&i| vectors[i].clone()).collect();
    let clustered = cluster_unless_cancelled(&sample, params, cancel)?;
    cancel.check()?;
    let mut labels: Vec<Option<usize>> = vec![None; n];
    for (&i, label) in picked.iter().zip(&clustered.labels) {
        labels[i] = *label;
    }
    let in_sample: std::collections::HashSet<usize> = picked.iter().copied().collect();
    let assigned: Vec<(usize, Option<usize>)> = {
        use rayon::prelude::*;
        (0..n)
            .into_par_iter()
            .filter(|i| !in_sample.contains(i))
            .map(|i| {
                (
                    i,
                    nearest(&vectors[i], &clustered.centroids, params.attach_threshold),
                )
            })
            .collect()
    };
    let mut attached = clustered.attached;
    for (i, label) in assigned {
        attached += usize::from(label.is_some());
        labels[i] = label;
    }
    let centroids = centroids(vectors, &labels, clustered.centroids.len());
    Ok((
        Clustering {
            labels,
            centroids,
            attached,
        },
        Some(picked.len()),
    ))
}

/// `k` distinct indexes of `0..n`, sorted, drawn by a fixed-seed shuffle: an even spread
/// that does not alias with periodic input (every k-th row of an export sorted by topic
/// would see only some topics), and the same for the same input every run.
fn spread_sample(n: usize, k: usize) -> Vec<usize> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut all: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = i + (next() % (n - i) as u64) as usize;
        all.swap(i, j);
    }
    all.truncate(k.min(n));
    all.sort_unstable();
    all
}

/// Joins clusters whose centroids are at least `threshold` similar (transitively), so one
/// topic split into several dense pockets becomes one theme; labels are renumbered 0..k'.
fn merge_near_duplicates(
    vectors: &[Vec<f32>],
    labels: Vec<Option<usize>>,
    k: usize,
    threshold: f32,
) -> (Vec<Option<usize>>, usize) {
    if k < 2 || threshold >= 1.0 {
        return (labels, k);
    }
    let cents = centroids(vectors, &labels, k);
    let mut parent: Vec<usize> = (0..k).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for a in 0..k {
        for b in (a + 1)..k {
            if cosine(&cents[a], &cents[b]) >= threshold {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut renumber = vec![usize::MAX; k];
    let mut next = 0;
    for c in 0..k {
        let r = root(&mut parent, c);
        if renumber[r] == usize::MAX {
            renumber[r] = next;
            next += 1;
        }
        renumber[c] = renumber[r];
    }
    let labels = labels.into_iter().map(|l| l.map(|c| renumber[c])).collect();
    (labels, next)
}

/// The nearest centroid when its similarity reaches `threshold`.
pub fn nearest(v: &[f32], centroids: &[Vec<f32>], threshold: f32) -> Option<usize> {
    centroids
        .iter()
        .enumerate()
        .map(|(c, centroid)| (c, cosine(v, centroid)))
        .filter(|(_, sim)| *sim >= threshold)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

/// `cluster`, stopping between its stages once `cancel` is raised (the job timed out or
/// lost its lease), so an abandoned run does not compete with its retry.
pub fn cluster_unless_cancelled(
    vectors: &[Vec<f32>],
    params: &ClusterParams,
    cancel: &CancelFlag,
) -> Result<Clustering, Cancelled> {
    let n = vectors.len();
    if n < minimum_items(params) {
        return Ok(Clustering {
            labels: vec![None; n],
            centroids: Vec::new(),
            attached: 0,
        });
    }
    cancel.check()?;
    // Small workspaces get smaller minimum themes (n/15, at least 3), capped by the setting;
    // large ones larger (n/800), so the theme count follows the topics rather than the
    // item count (Banking77 train, 10 003 items, 77 intents: 136 themes at a fixed 8,
    // 103 at 12, NMI 0.772 -> 0.768).
    let min_cluster_size = params
        .min_cluster_size
        .min((n / 15).max(3))
        .max(n / ITEMS_PER_MINIMUM_MEMBER);
    let min_samples = params.min_samples.min(min_cluster_size);
    let dims = params.dims.min(vectors[0].len()).min(n - 1).max(2);
    let mut reduced = pca::project(vectors, dims);
    cancel.check()?;
    for v in &mut reduced {
        normalise(v);
    }
    let data: Vec<Vec<f64>> = reduced
        .iter()
        .map(|v| v.iter().map(|x| *x as f64).collect())
        .collect();
    let hyper = HdbscanHyperParams::builder()
        .min_cluster_size(min_cluster_size)
        .min_samples(min_samples)
        .build();
    let raw = Hdbscan::new(&data, hyper)
        .cluster()
        .unwrap_or_else(|_| vec![-1; n]);
    cancel.check()?;
    // HDBSCAN numbers clusters from 0; -1 is noise.
    let k = raw
        .iter()
        .copied()
        .max()
        .map_or(0, |m| (m + 1).max(0) as usize);
    let labels: Vec<Option<usize>> = raw
        .iter()
        .map(|&l| (l >= 0).then_some(l as usize))
        .collect();
    let (mut labels, k) = merge_near_duplicates(vectors, labels, k, params.merge_threshold);
    let cents = centroids(vectors, &labels, k);
    let mut attached = 0;
    if k > 0 {
        for (i, label) in labels.iter_mut().enumerate() {
            if label.is_some() {
                continue;
            }
            let (best, sim) = cents
                .iter()
                .enumerate()
                .map(|(c, centroid)| (c, cosine(&vectors[i], centroid)))
                .fold((0, f32::MIN), |acc, x| if x.1 > acc.1 { x } else { acc });
            if sim >= params.attach_threshold {
                *label = Some(best);
                attached += 1;
            }
        }
    }
    let centroids = centroids(vectors, &labels, k);
    Ok(Clustering {
        labels,
        centroids,
        attached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unit vectors around `k` well-separated directions, with deterministic jitter.
    fn blobs(k: usize, per: usize, dim: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut vectors = Vec::new();
        let mut truth = Vec::new();
        for c in 0..k {
            for i in 0..per {
                let mut v: Vec<f32> = (0..dim)
                    .map(|d| if d % k == c { 1.0 } else { 0.0 } + 0.05 * (((c * 31 + i * 17 + d * 7) % 13) as f32 / 13.0 - 0.5))
                    .collect();
                normalise(&mut v);
                vectors.push(v);
                truth.push(c);
            }
        }
        (vectors, truth)
    }

    #[test]
    fn separated_groups_are_recovered() {
        let (vectors, truth) = blobs(4, 30, 48);
        let result = cluster(&vectors, &ClusterParams::default());
        assert_eq!(result.clusters(), 4);
        assert!(result.coverage() > 0.95);
        let pred: Vec<usize> = result.labels.iter().map(|l| l.unwrap_or(99)).collect();
        assert!(quality::nmi(&truth, &pred) > 0.95);
        for c in &result.centroids {
            assert!((c.iter().map(|x| x * x).sum::<f32>().sqrt() - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn large_inputs_cluster_a_sample_and_assign_the_rest() {
        let (vectors, truth) = blobs(4, 30, 48);
        let params = ClusterParams {
            max_clustered: 60,
            ..ClusterParams::default()
        };
        let (result, sampled) = cluster_at_scale(&vectors, &params, &CancelFlag::new()).unwrap();
        assert_eq!(sampled, Some(60));
        assert_eq!(result.clusters(), 4);
        assert!(result.coverage() > 0.95, "{}", result.coverage());
        let pred: Vec<usize> = result.labels.iter().map(|l| l.unwrap_or(99)).collect();
        assert!(quality::nmi(&truth, &pred) > 0.95);
    }

    #[test]
    fn samples_do_not_alias_with_periodic_input() {
        let picked = spread_sample(100_000, 20_000);
        assert_eq!(picked.len(), 20_000);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        // Rows cycling through 60 topics: every topic is in the sample, about evenly.
        let mut per_topic = [0usize; 60];
        for i in &picked {
            per_topic[i % 60] += 1;
        }
        assert!(
            per_topic.iter().all(|&c| (250..420).contains(&c)),
            "{per_topic:?}"
        );
        assert_eq!(picked, spread_sample(100_000, 20_000), "deterministic");
    }

    #[test]
    fn near_duplicate_clusters_merge_above_the_threshold() {
        let unit = |v: Vec<f32>| {
            let mut v = v;
            normalise(&mut v);
            v
        };
        let vectors = vec![
            unit(vec![1.0, 0.0, 0.0]),
            unit(vec![1.0, 0.05, 0.0]),
            unit(vec![1.0, 0.1, 0.0]),
            unit(vec![0.0, 0.0, 1.0]),
        ];
        let labels = vec![Some(0), Some(1), Some(1), Some(2)];
        let (merged, k) = merge_near_duplicates(&vectors, labels.clone(), 3, 0.95);
        assert_eq!(k, 2);
        assert_eq!(merged, vec![Some(0), Some(0), Some(0), Some(1)]);
        let (same, k) = merge_near_duplicates(&vectors, labels.clone(), 3, 1.0);
        assert_eq!((same, k), (labels, 3));
    }

    #[test]
    fn too_little_data_gives_no_themes() {
        let (vectors, _) = blobs(2, 3, 16);
        let result = cluster(&vectors, &ClusterParams::default());
        assert_eq!(result.clusters(), 0);
        assert!(result.labels.iter().all(Option::is_none));
    }
}
