//! End-to-end tests against real PostgreSQL and Redis.

mod harness;

mod api_keys;
mod auth;
mod config;
mod errors;
mod health;
mod jobs;
mod openapi;
mod users;
