//! Opaque bearer secrets (API keys, refresh tokens): random, shown once, stored as SHA-256.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every API key starts with this, so leaked keys are easy to recognise and scan for.
pub const API_KEY_PREFIX: &str = "pk_";
/// Characters of a key kept in clear to find its row; the rest is compared by hash.
pub const LOOKUP_PREFIX_LEN: usize = 12;

/// `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_token(30))
}

pub fn new_refresh_token() -> String {
    random_token(32)
}

pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The clear part of a key used to find candidate rows.
pub fn lookup_prefix(secret: &str) -> String {
    secret.chars().take(LOOKUP_PREFIX_LEN).collect()
}

/// Constant-time comparison of a presented secret with a stored hash.
pub fn matches_hash(secret: &str, stored_hex: &str) -> bool {
    let presented = sha256_hex(secret);
    presented.as_bytes().ct_eq(stored_hex.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_prefixed_and_verifiable() {
        let a = new_api_key();
        let b = new_api_key();
        assert_ne!(a, b);
        assert!(a.starts_with(API_KEY_PREFIX) && a.len() >= 40);
        assert!(matches_hash(&a, &sha256_hex(&a)));
        assert!(!matches_hash(&b, &sha256_hex(&a)));
        assert_eq!(lookup_prefix(&a).len(), LOOKUP_PREFIX_LEN);
    }
}
