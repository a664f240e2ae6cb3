//! Sentence embeddings from a BERT checkpoint on the CPU (see `bert.rs` for why it is not
//! the general-purpose model). Its own crate so that debug builds compile it optimised:
//! tests run the model, and unoptimised it is unusably slow.

mod bert;
mod config;
mod fastmath;

pub use bert::Encoder;
pub use config::Config;
