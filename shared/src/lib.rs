//! Domain crate shared by the API and the worker: configuration, entities, services,
//! job plumbing and vendor-neutral helpers. It knows no HTTP framework.

pub mod ai;
pub mod ai_config;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod config_reference;
pub mod db;
pub mod entities;
pub mod error;
pub mod health;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod net;
pub mod redis_conn;
pub mod segment;
pub mod services;
pub mod telemetry;

pub use error::DomainError;
