//! How feedback becomes themes, tickets are matched, and competitors are weighed.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ConfigError, fail_if};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusteringSettings {
    /// PCA dimensions before HDBSCAN (2 to 50). Defaults are tuned on Banking77 (`cargo bench
    /// -p shared --bench cluster_quality`).
    pub dims: usize,
    /// HDBSCAN's smallest theme; grows to items/800 in large workspaces so the theme count
    /// follows the topics.
    pub min_cluster_size: usize,
    /// HDBSCAN's `min_samples` (how conservative the density estimate is).
    pub min_samples: usize,
    /// Cosine similarity above which an unclustered item joins its nearest theme.
    pub attach_threshold: f32,
    /// Above this many items an evenly spread sample is clustered and the rest join their
    /// nearest theme.
    pub max_items_clustered: usize,
    /// Clusters whose centroids are at least this similar (cosine) become one theme; 1.0 never
    /// merges.
    pub merge_threshold: f32,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraSettings {
    /// Cosine similarity at which a ticket matches a customer insight (overridable per VOC
    /// run).
    pub similarity_threshold: f32,
    /// Proposed matches kept per ticket (confirmed matches come on top).
    pub max_matches_per_ticket: usize,
    /// Largest ticket import (JSON array or Jira CSV export), in tickets.
    pub max_import_rows: usize,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitiveSettings {
    /// Cosine similarity at which a competitor's move counts as something our customers already
    /// ask for.
    pub evidence_threshold: f32,
}

impl ClusteringSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let c = self;
        fail_if(
            !(2..=50).contains(&c.dims),
            "clustering.dims",
            "must be between 2 and 50",
        )?;
        fail_if(
            c.min_cluster_size < 2 || c.min_samples == 0,
            "clustering.min_cluster_size",
            "min_cluster_size must be at least 2 and min_samples at least 1",
        )?;
        fail_if(
            !(0.0..=1.0).contains(&c.attach_threshold),
            "clustering.attach_threshold",
            "must be between 0 and 1",
        )?;
        Ok(())
    }
}

impl JiraSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        fail_if(
            !(0.0..=1.0).contains(&self.similarity_threshold),
            "jira.similarity_threshold",
            "must be between 0 and 1",
        )?;
        fail_if(
            self.max_matches_per_ticket == 0 || self.max_import_rows == 0,
            "jira.max_matches_per_ticket",
            "jira.max_matches_per_ticket and jira.max_import_rows must be at least 1",
        )?;
        Ok(())
    }
}

impl CompetitiveSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        fail_if(
            !(0.0..=1.0).contains(&self.evidence_threshold),
            "competitive.evidence_threshold",
            "must be between 0 and 1",
        )?;
        Ok(())
    }
}
