//! Credentials: password hashing, access tokens, opaque secrets (API keys, refresh tokens)
//! and roles.

pub mod password;
pub mod role;
pub mod secrets;
pub mod tokens;

pub use role::Role;
