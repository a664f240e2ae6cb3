//! One file per job kind.

pub mod cluster;
pub mod competitive;
pub mod demo_load;
pub mod embed;
pub mod live_sync;
pub mod maintenance;
pub mod process_file;
pub mod slack_alert;
pub mod slack_digest;

pub mod sync_schedule;
pub mod token_refresh;
pub mod transcribe;
pub mod voc;
pub mod webhook;
