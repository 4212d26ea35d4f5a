//! Signing in with an e-mail and a password, and changing one's own password. argon2id runs
//! off the async executor; an unknown e-mail costs a verification too, so timing does not
//! tell which e-mails have accounts, and the sentence never says which part was wrong.

use crate::{auth::password, operation_error::OperationError, store::Store};

use super::users::{check_password, email};

/// The one sentence for a failed sign-in.
pub const WRONG_CREDENTIALS: &str =
    "the e-mail address or the password is wrong; check both and try again";

/// The user an e-mail and password belong to.
pub async fn verify_sign_in(
    store: &Store,
    email_address: &str,
    given_password: String,
) -> Result<i64, OperationError> {
    let wrong = || OperationError::invalid("password", WRONG_CREDENTIALS);
    let Ok(email) = email(email_address) else {
        return Err(wrong());
    };
    let user = store.find_user_for_sign_in(&email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let matches = password::verify_blocking(given_password, stored).await;
    match user {
        Some(user) if matches => Ok(user.id),
        _ => Err(wrong()),
    }
}

/// Changes a user's own password, given the current one.
pub async fn change_password(
    store: &Store,
    user_id: i64,
    current: String,
    new: String,
) -> Result<(), OperationError> {
    let stored = store.password_hash(user_id).await?;
    if !password::verify_blocking(current, stored).await {
        return Err(OperationError::invalid(
            "current",
            "the current password is wrong; type the one you signed in with",
        ));
    }
    check_password(&new).map_err(|_| {
        OperationError::invalid(
            "new",
            format!(
                "a password must be at least {} characters long",
                super::users::MIN_PASSWORD_CHARS
            ),
        )
    })?;
    let hash = password::hash_blocking(new)
        .await
        .map_err(|e| OperationError::Internal(e.to_string()))?;
    store.set_password_hash(user_id, &hash, false).await?;
    Ok(())
}
