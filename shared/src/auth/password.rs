//! argon2id password hashes. Hashing runs on the blocking pool: it is deliberately slow, so
//! a process hashes at most a configured number at once and a burst of logins queues here
//! instead of occupying every blocking thread and database connection.

use std::sync::{LazyLock, OnceLock};

use tokio::sync::Semaphore;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier},
};

/// Verified against when the account does not exist, so an unknown email costs the same
/// time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"not-a-real-password")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

static SLOTS: OnceLock<Semaphore> = OnceLock::new();

/// Hashes allowed at once when nothing configured it.
const DEFAULT_SLOTS: usize = 2;

/// Sets how many hashes run at once in this process; the first call wins.
pub fn set_concurrency(n: usize) {
    let _ = SLOTS.set(Semaphore::new(n.max(1)));
}

fn slots() -> &'static Semaphore {
    SLOTS.get_or_init(|| Semaphore::new(DEFAULT_SLOTS))
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    let _slot = slots().acquire().await?;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// Checks `password` against `stored`, or against a dummy hash when `stored` is `None`
/// (always false then), so both paths take the same time.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
    let Ok(_slot) = slots().acquire().await else {
        return false;
    };
    let ok = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false);
    ok && known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(h.clone())).await);
        assert!(!verify("wrong".into(), Some(h)).await);
        assert!(!verify("not-a-real-password".into(), None).await);
    }
}
