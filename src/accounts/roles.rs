//! Who may do what in an organization (docs/API.md §4.8): owners and admins manage it —
//! links, tokens, domains, members; members see everything and change their own links and
//! tokens. An owner is changed or removed only by themselves, and an organization always
//! keeps an owner.

use crate::{auth::Caller, operation_error::OperationError, store::Role};

/// Owners and admins manage the organization; members get `forbidden` saying `what` they
/// may not do.
pub fn require_manager(caller: &Caller, what: &str) -> Result<(), OperationError> {
    if caller.manages_everything() {
        return Ok(());
    }
    Err(OperationError::Forbidden(format!(
        "only an owner or admin may {what}; ask one of them"
    )))
}

/// Whether `caller` may give someone the role `role`.
pub fn may_grant(caller: &Caller, role: Role) -> Result<(), OperationError> {
    if role == Role::Owner && caller.role != Role::Owner {
        return Err(OperationError::Forbidden(
            "only an owner may make someone an owner".into(),
        ));
    }
    Ok(())
}
