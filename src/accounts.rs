//! Provisioning organizations, users and tokens: what the CLI, the first-start bootstrap and
//! the tests share, so that there is one way to make each.

use anyhow::{Context, bail};

use crate::{
    auth::{password, token::TokenSecret},
    store::{NewTokenRow, Role, Store, is_unique_violation},
    timestamp,
};

/// Validates an organization name: 1–100 characters, no control characters, trimmed.
pub fn org_name(input: &str) -> anyhow::Result<&str> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        bail!("an organization name must be 1 to 100 printable characters (got {input:?})");
    }
    Ok(name)
}

/// Validates and lower-cases an e-mail address (a login, not a mailbox we write to).
pub fn email(input: &str) -> anyhow::Result<String> {
    let email = input.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        bail!("{input:?} is not an e-mail address; give one like alice@example.com");
    }
    Ok(email)
}

/// The organization called `name`, created if missing; says whether it was created.
pub async fn ensure_org(store: &Store, name: &str) -> anyhow::Result<(i64, bool)> {
    let name = org_name(name)?;
    if let Some(id) = store.find_org_id(name).await? {
        return Ok((id, false));
    }
    match store.insert_org(name, timestamp::now()).await {
        Ok(id) => Ok((id, true)),
        Err(e) if is_unique_violation(&e) => {
            let id = store
                .find_org_id(name)
                .await?
                .context("organization vanished")?;
            Ok((id, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// The user with this e-mail, created (without a password) if missing.
pub async fn ensure_user(store: &Store, email_address: &str) -> anyhow::Result<(i64, bool)> {
    let email = email(email_address)?;
    if let Some(id) = store.find_user_id(&email).await? {
        return Ok((id, false));
    }
    match store.insert_user(&email, None, timestamp::now()).await {
        Ok(id) => Ok((id, true)),
        Err(e) if is_unique_violation(&e) => {
            let id = store.find_user_id(&email).await?.context("user vanished")?;
            Ok((id, false))
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes `email` a member of `org` (both created if missing). A user who joins an
/// organization that this call created becomes its owner; otherwise they get `role`.
/// An existing membership keeps its role. Returns (org id, user id).
pub async fn ensure_member(
    store: &Store,
    org: &str,
    email_address: &str,
    role: Role,
) -> anyhow::Result<(i64, i64)> {
    let (org_id, org_created) = ensure_org(store, org).await?;
    let (user_id, _) = ensure_user(store, email_address).await?;
    let role = if org_created { Role::Owner } else { role };
    store
        .insert_membership(org_id, user_id, role, timestamp::now())
        .await?;
    Ok((org_id, user_id))
}

/// Refuses passwords too short to be worth hashing.
pub fn check_password(password: &str) -> anyhow::Result<()> {
    if password.chars().count() < 8 {
        bail!("a password must be at least 8 characters long");
    }
    Ok(())
}

/// Sets a user's dashboard password (hashed with argon2id off the executor).
pub async fn set_password(store: &Store, user_id: i64, password: String) -> anyhow::Result<()> {
    check_password(&password)?;
    let hash = password::hash_blocking(password).await?;
    store.set_password_hash(user_id, &hash).await?;
    Ok(())
}

/// What a new token is for.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    pub org: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub daily_limit: Option<i64>,
    pub expires_in_days: Option<i64>,
    /// A token chosen by the operator; a random one when `None`.
    pub secret: Option<TokenSecret>,
}

/// A token just created: the only moment its secret is known.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub secret: TokenSecret,
}

/// Creates a token for `email` in `org`, creating both if missing.
pub async fn issue_token(store: &Store, request: TokenRequest<'_>) -> anyhow::Result<IssuedToken> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("a token name must be 1 to 100 characters, saying what the token is for");
    }
    if request.daily_limit.is_some_and(|limit| limit < 1) {
        bail!("a daily limit must be at least 1");
    }
    let (org_id, user_id) = ensure_member(store, request.org, request.email, Role::Member).await?;
    let secret = request.secret.unwrap_or_else(TokenSecret::generate);
    let now = timestamp::now();
    let row = NewTokenRow {
        org_id,
        user_id,
        name,
        display_prefix: &secret.display_prefix(),
        digest: &secret.digest(),
        daily_limit: request.daily_limit,
        expires_at: request
            .expires_in_days
            .map(|days| timestamp::add_days(now, days)),
    };
    let id = store.insert_token(&row, now).await.map_err(|e| {
        if is_unique_violation(&e) {
            anyhow::anyhow!("this token already exists; choose another one")
        } else {
            e.into()
        }
    })?;
    Ok(IssuedToken {
        id,
        org_id,
        user_id,
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(email(" Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["", "alice", "@example.com", "alice@", "a b@c.d"] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn org_names_are_trimmed_and_bounded() {
        assert_eq!(org_name("  acme ").unwrap(), "acme");
        assert!(org_name("").is_err());
        assert!(org_name(&"x".repeat(101)).is_err());
        assert!(org_name("a\nb").is_err());
    }
}
