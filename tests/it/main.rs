//! End-to-end tests against real PostgreSQL and Redis.

use test_support::{self as harness, files, synthetic};

mod account;
mod api_keys;
mod audit;
mod auth;
mod chat;
mod chat_stream;
mod competitive;
mod config;
mod console;
mod curation;
mod documents;
mod embeddings;
mod errors;
mod exports;
mod faults;
mod health;
mod hostile;
mod ingest;
mod integrations;
mod jira;
mod jira_live;
mod job_events;
mod jobs;
mod mcp;
mod metrics;
mod openapi;
mod rate_limits;
mod slack;
mod startup;
mod themes;
mod transcription;
mod users;
mod webhooks;
