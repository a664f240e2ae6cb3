//! Jira tickets and the customer evidence behind them: the ticket store (one upsert shared
//! by the API, the import and the live pull), matching against customer insights, the VOC
//! score, and the ticket artifacts.

pub mod artifacts;
pub mod decisions;
mod embedding;
mod fields;
pub mod import;
pub mod matching;
pub mod push;
pub mod ticket_scores;
pub mod tickets;
pub mod views;
pub mod voc;

use crate::db::statement as raw;
pub use embedding::{embed_pending_tickets, pending_tickets};
pub use fields::{Priority, Status, normalise_key};
