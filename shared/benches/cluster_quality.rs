//! Clustering quality on any labelled CSV with `text,category` columns, through the
//! production pipeline (local MiniLM embeddings, PCA, HDBSCAN, noise attachment). Prints one
//! JSON line: nmi, ari, coverage, clusters, seconds.
//!   cargo bench -p shared --bench cluster_quality -- path/to/test.csv
//! Parameters default to the production ones; override with CLUSTER_DIMS,
//! CLUSTER_MIN_SIZE, CLUSTER_MIN_SAMPLES, CLUSTER_ATTACH.

use std::{path::PathBuf, time::Instant};

use shared::{
    ai::embeddings::local::MiniLm,
    cluster::{self, ClusterParams, quality},
};

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .expect("usage: cluster_quality <file.csv>");
    let mut reader = csv::Reader::from_path(&path).expect("readable CSV");
    let headers = reader.headers().expect("header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("no {name} column"))
    };
    let (text_col, cat_col) = (col("text"), col("category"));
    let mut texts = Vec::new();
    let mut truth = Vec::new();
    for row in reader.records() {
        let row = row.expect("row");
        texts.push(row[text_col].to_owned());
        truth.push(row[cat_col].to_owned());
    }
    let categories: std::collections::BTreeSet<&String> = truth.iter().collect();
    let truth_ids: Vec<usize> = truth
        .iter()
        .map(|t| categories.iter().position(|c| *c == t).unwrap_or(0))
        .collect();

    let model_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    let model = MiniLm::load(&model_dir, "all-MiniLM-L6-v2")
        .expect("model files (run scripts/fetch-model.sh)");
    let started = Instant::now();
    let vectors = model.embed_blocking(&texts).expect("embedding");
    let embed_secs = started.elapsed().as_secs_f64();

    let defaults = ClusterParams::default();
    let params = ClusterParams {
        dims: env_or("CLUSTER_DIMS", defaults.dims),
        min_samples: env_or("CLUSTER_MIN_SAMPLES", defaults.min_samples),
        attach_threshold: env_or("CLUSTER_ATTACH", defaults.attach_threshold),
        max_clustered: env_or("CLUSTER_MAX_ITEMS", defaults.max_clustered),
        ..defaults
    };
    // CLUSTER_MERGE=0.8,0.85 and CLUSTER_MIN_SIZE=8,12 try every combination on one set of
    // embeddings.
    let merges = env_list("CLUSTER_MERGE", params.merge_threshold);
    let min_sizes = env_list("CLUSTER_MIN_SIZE", params.min_cluster_size);
    for &min_cluster_size in &min_sizes {
        for &merge_threshold in &merges {
            let params = ClusterParams {
                min_cluster_size,
                merge_threshold,
                ..params
            };
            report(
                &vectors,
                &params,
                &truth_ids,
                &path,
                categories.len(),
                embed_secs,
            );
        }
    }
}

fn env_list<T: std::str::FromStr + Copy>(key: &str, default: T) -> Vec<T> {
    std::env::var(key)
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<T>| !v.is_empty())
        .unwrap_or_else(|| vec![default])
}

fn report(
    vectors: &[Vec<f32>],
    params: &ClusterParams,
    truth_ids: &[usize],
    path: &str,
    categories: usize,
    embed_secs: f64,
) {
    let started = Instant::now();
    let result = cluster::cluster(vectors, params);
    let cluster_secs = started.elapsed().as_secs_f64();
    // Unclustered points count as singleton clusters, so they cannot inflate the score.
    let pred: Vec<usize> = result
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| l.unwrap_or(1_000_000 + i))
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "file": path,
            "items": vectors.len(),
            "categories": categories,
            "nmi": (quality::nmi(truth_ids, &pred) * 1000.0).round() / 1000.0,
            "ari": (quality::ari(truth_ids, &pred) * 1000.0).round() / 1000.0,
            "coverage": (result.coverage() * 1000.0).round() / 1000.0,
            "clusters": result.clusters(),
            "seconds": ((embed_secs + cluster_secs) * 100.0).round() / 100.0,
            "embed_seconds": (embed_secs * 100.0).round() / 100.0,
            "cluster_seconds": (cluster_secs * 100.0).round() / 100.0,
            "params": {"dims": params.dims, "min_cluster_size": params.min_cluster_size, "min_samples": params.min_samples, "attach_threshold": params.attach_threshold, "merge_threshold": params.merge_threshold},
        })
    );
}
