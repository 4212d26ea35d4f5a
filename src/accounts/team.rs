//! The members of an organization: adding one (a one-time password for a new account,
//! changed at the first sign-in), changing a role, removing one.

use super::{
    roles::{may_grant, require_manager},
    users::{email, ensure_user},
};
use crate::{
    auth::{Caller, password},
    operation_error::OperationError,
    store::{Member, Role, Store},
    timestamp,
};

/// The members of the caller's organization.
pub async fn members(store: &Store, caller: &Caller) -> Result<Vec<Member>, OperationError> {
    Ok(store.members(caller.org_id).await?)
}

/// Adds `email_address` with `role`. A person without a password yet gets a one-time one,
/// returned to be shown once; they choose their own at the first sign-in.
pub async fn add_member(
    store: &Store,
    caller: &Caller,
    email_address: &str,
    role: Role,
) -> Result<Option<String>, OperationError> {
    require_manager(caller, "add members")?;
    may_grant(caller, role)?;
    let email = email(email_address)?;
    let (user_id, _) = ensure_user(store, &email).await?;
    let created = store
        .insert_membership(caller.org_id, user_id, role, timestamp::now())
        .await?;
    if !created {
        return Err(OperationError::Conflict(format!(
            "{email} is already a member of this organization; change their role instead"
        )));
    }
    if store.password_hash(user_id).await?.is_some() {
        return Ok(None);
    }
    let one_time = password::generate();
    let hash = password::hash_blocking(one_time.clone())
        .await
        .map_err(|e| OperationError::Internal(e.to_string()))?;
    store.set_password_hash(user_id, &hash, true).await?;
    Ok(Some(one_time))
}

/// The role of a member of the caller's organization.
async fn role_of(store: &Store, caller: &Caller, user_id: i64) -> Result<Role, OperationError> {
    store.role_in(caller.org_id, user_id).await?.ok_or_else(|| {
        OperationError::NotFound(format!("no member {user_id} in this organization"))
    })
}

/// Refuses to touch another owner, or to leave the organization without an owner.
async fn guard_owner(
    store: &Store,
    caller: &Caller,
    user_id: i64,
    current: Role,
    becomes_owner: bool,
) -> Result<(), OperationError> {
    if current != Role::Owner || becomes_owner {
        return Ok(());
    }
    if user_id != caller.user_id {
        return Err(OperationError::Forbidden(
            "an owner can be demoted or removed only by themselves".into(),
        ));
    }
    let owners = store
        .members(caller.org_id)
        .await?
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    if owners <= 1 {
        return Err(OperationError::Conflict(
            "you are the organization's only owner; make someone else an owner first".into(),
        ));
    }
    Ok(())
}

/// Gives a member another role.
pub async fn change_role(
    store: &Store,
    caller: &Caller,
    user_id: i64,
    role: Role,
) -> Result<(), OperationError> {
    require_manager(caller, "change roles")?;
    may_grant(caller, role)?;
    let current = role_of(store, caller, user_id).await?;
    guard_owner(store, caller, user_id, current, role == Role::Owner).await?;
    store.set_role(caller.org_id, user_id, role).await?;
    Ok(())
}

/// Removes a member (their tokens in this organization go with them; their links stay).
/// Anyone may leave; only owners and admins remove others.
pub async fn remove_member(
    store: &Store,
    caller: &Caller,
    user_id: i64,
) -> Result<(), OperationError> {
    if user_id != caller.user_id {
        require_manager(caller, "remove members")?;
    }
    let current = role_of(store, caller, user_id).await?;
    guard_owner(store, caller, user_id, current, false).await?;
    store.delete_membership(caller.org_id, user_id).await?;
    Ok(())
}
