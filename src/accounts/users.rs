//! Users (logins), their passwords, and their memberships in organizations.

use crate::{
    auth::password,
    operation_error::OperationError,
    store::{OnUnique, Role, Store},
    timestamp,
};

use super::orgs::ensure_org;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Validates and lower-cases an e-mail address (a login, not a mailbox we write to).
pub fn email(input: &str) -> Result<String, OperationError> {
    let email = input.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Err(OperationError::invalid(
            "email",
            format!("{input:?} is not an e-mail address; give one like alice@example.com"),
        ));
    }
    Ok(email)
}

/// The user with this e-mail, created (without a password) if missing.
pub async fn ensure_user(
    store: &Store,
    email_address: &str,
) -> Result<(i64, bool), OperationError> {
    let email = email(email_address)?;
    if let Some(id) = store.find_user_id(&email).await? {
        return Ok((id, false));
    }
    let inserted = store
        .insert_user(&email, None, timestamp::now())
        .await
        .on_unique(|| OperationError::Conflict(format!("{email} exists already")));
    match inserted {
        Ok(id) => Ok((id, true)),
        // Created by someone else meanwhile: theirs is the one.
        Err(OperationError::Conflict(_)) => {
            let id = store.find_user_id(&email).await?.ok_or_else(|| {
                OperationError::Internal(format!("user {email} vanished while being created"))
            })?;
            Ok((id, false))
        }
        Err(error) => Err(error),
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
) -> Result<(i64, i64), OperationError> {
    let (org_id, org_created) = ensure_org(store, org).await?;
    let (user_id, _) = ensure_user(store, email_address).await?;
    let role = if org_created { Role::Owner } else { role };
    store
        .insert_membership(org_id, user_id, role, timestamp::now())
        .await?;
    Ok((org_id, user_id))
}

/// Refuses passwords too short to be worth hashing.
pub fn check_password(password: &str) -> Result<(), OperationError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(OperationError::invalid(
            "password",
            format!("a password must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    Ok(())
}

/// Sets a user's dashboard password (hashed with argon2id off the executor).
pub async fn set_password(
    store: &Store,
    user_id: i64,
    password: String,
) -> Result<(), OperationError> {
    check_password(&password)?;
    let hash = password::hash_blocking(password)
        .await
        .map_err(|e| OperationError::Internal(e.to_string()))?;
    store.set_password_hash(user_id, &hash, false).await?;
    Ok(())
}

/// Resets the password of the user with this e-mail and ends their sessions. `must_change`:
/// they choose their own at the next sign-in.
pub async fn reset_password(
    store: &Store,
    email_address: &str,
    password: String,
    must_change: bool,
) -> Result<(), OperationError> {
    let email = email(email_address)?;
    let user_id = store.find_user_id(&email).await?.ok_or_else(|| {
        OperationError::NotFound(format!(
            "no user {email}; create one with `openpxl user create --email {email} --org ORG`"
        ))
    })?;
    check_password(&password)?;
    let hash = password::hash_blocking(password)
        .await
        .map_err(|e| OperationError::Internal(e.to_string()))?;
    store.set_password_hash(user_id, &hash, must_change).await?;
    store.delete_user_sessions(user_id, None).await?;
    Ok(())
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
}
