//! Documents written from an insight and its evidence: the thirteen-section PRD and the
//! prompt for an AI prototyping tool. Both have a deterministic template; the PRD can also
//! go through the `prd_writer` agent, whose reply must keep every section.

pub(crate) mod format;
pub mod prd;
pub mod prototype;
pub mod source;

pub use source::{DocInsight, DocQuote, load};
