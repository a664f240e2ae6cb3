//! Competitive intelligence: competitor moves become scored insight cards beside the
//! customer insights. A research session (manual moves, or competitor names for a model to
//! research) runs as a `competitive` job; cards come from the `competitive_analyst` agent
//! when one is configured and from documented rules otherwise, and the server always
//! computes their P-score itself.

pub mod analyst;
pub mod card;
pub mod evidence;
pub mod request;
pub mod research;
pub mod rubric;
pub mod rules;
pub mod sessions;
pub mod views;

pub use card::{Card, Citation};
pub use request::{AutoRequest, CompetitorIn, ManualRequest, MoveIn, Research, ResearchMode};

/// The agent that writes cards; auto research cannot run without it.
pub const AGENT: &str = "competitive_analyst";
