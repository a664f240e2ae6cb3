//! sea-orm entities, one file per table. Entities never leave the service layer as responses.

pub mod api_key;
pub mod audit_log;
pub mod customer;
pub mod feedback;
pub mod job_run;
pub mod membership;
pub mod refresh_token;
pub mod upload;
pub mod user;
pub mod workspace;
