//! Tokens at rest: AES-256-GCM in one versioned envelope that names its key,
//! `v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`, so keys can be rotated while old
//! tokens stay readable.

use std::collections::BTreeMap;

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use secrecy::SecretString;

use crate::config::IntegrationsSettings;

const VERSION: &str = "v1";
const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "no token encryption key is configured (set integrations.token_keys and integrations.current_token_key)"
    )]
    NoKey,
    #[error("the stored token is encrypted with key {0:?}, which is no longer configured")]
    UnknownKey(String),
    #[error("the stored token is not a valid envelope or was altered")]
    Corrupt,
}

/// The configured keys; encrypts with the current one, decrypts with whichever a token names.
#[derive(Clone)]
pub struct TokenCipher {
    current: Option<String>,
    keys: BTreeMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCipher")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TokenCipher {
    pub fn from_settings(s: &IntegrationsSettings) -> Self {
        let keys = s
            .token_keys
            .iter()
            .filter_map(|(id, k)| {
                let bytes = crate::config::decode_token_key(k)?;
                Some((id.clone(), Aes256Gcm::new(&Key::<Aes256Gcm>::from(bytes))))
            })
            .collect();
        Self {
            current: s.current_token_key.clone(),
            keys,
        }
    }

    pub fn current_key_id(&self) -> Option<&str> {
        self.current
            .as_deref()
            .filter(|id| self.keys.contains_key(*id))
    }

    pub fn encrypt(&self, plain: &str) -> Result<String, CryptoError> {
        let id = self.current_key_id().ok_or(CryptoError::NoKey)?;
        let cipher = &self.keys[id];
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
            .map_err(|_| CryptoError::Corrupt)?;
        let mut body = nonce.to_vec();
        body.extend(sealed);
        Ok(format!("{VERSION}.{id}.{}", URL_SAFE_NO_PAD.encode(body)))
    }

    pub fn decrypt(&self, envelope: &str) -> Result<SecretString, CryptoError> {
        let mut parts = envelope.splitn(3, '.');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CryptoError::Corrupt);
        };
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Corrupt)?;
        if body.len() <= NONCE_BYTES {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, sealed) = body.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| CryptoError::Corrupt)?;
        let plain = cipher
            .decrypt(&Nonce::from(nonce), sealed)
            .map_err(|_| CryptoError::Corrupt)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD;
    use secrecy::ExposeSecret;

    use super::*;

    fn cipher(keys: &[(&str, [u8; 32])], current: &str) -> TokenCipher {
        let mut s: IntegrationsSettings = serde_yaml_like();
        s.token_keys = keys
            .iter()
            .map(|(id, k)| ((*id).to_owned(), SecretString::from(STANDARD.encode(k))))
            .collect();
        s.current_token_key = Some(current.to_owned());
        TokenCipher::from_settings(&s)
    }

    fn serde_yaml_like() -> IntegrationsSettings {
        crate::config::Settings::load_for(
            &std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../config")),
            "test",
            std::iter::empty(),
        )
        .expect("test settings")
        .integrations
    }

    #[test]
    fn tokens_round_trip_name_their_key_and_detect_tampering() {
        let old = cipher(&[("k1", [7; 32])], "k1");
        let sealed = old.encrypt("ya29.secret-token").unwrap();
        assert!(sealed.starts_with("v1.k1."));
        assert!(!sealed.contains("secret"));
        assert_ne!(
            sealed,
            old.encrypt("ya29.secret-token").unwrap(),
            "fresh nonce"
        );
        assert_eq!(
            old.decrypt(&sealed).unwrap().expose_secret(),
            "ya29.secret-token"
        );

        // After rotation the old key still decrypts; new tokens use the new key.
        let rotated = cipher(&[("k1", [7; 32]), ("k2", [9; 32])], "k2");
        assert_eq!(
            rotated.decrypt(&sealed).unwrap().expose_secret(),
            "ya29.secret-token"
        );
        assert!(rotated.encrypt("x").unwrap().starts_with("v1.k2."));

        let only_new = cipher(&[("k2", [9; 32])], "k2");
        assert!(matches!(only_new.decrypt(&sealed), Err(CryptoError::UnknownKey(k)) if k == "k1"));

        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(matches!(old.decrypt(&tampered), Err(CryptoError::Corrupt)));
        assert!(matches!(
            old.decrypt("plain-token"),
            Err(CryptoError::Corrupt)
        ));
        assert!(!format!("{old:?}").contains("7, 7"));
    }
}
