//! Organizations: their names, creating them, finding them by name.

use crate::{
    operation_error::OperationError,
    store::{OnUnique, Store},
    timestamp,
};

/// Validates an organization name: 1–100 characters, no control characters, trimmed.
pub fn org_name(input: &str) -> Result<&str, OperationError> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(OperationError::invalid(
            "org",
            format!("an organization name must be 1 to 100 printable characters (got {input:?})"),
        ));
    }
    Ok(name)
}

fn taken(name: &str) -> OperationError {
    OperationError::Conflict(format!(
        "an organization called {name:?} already exists; choose another name"
    ))
}

/// Creates an organization; a taken name is a conflict. Returns its id.
pub async fn create_org(store: &Store, name: &str) -> Result<i64, OperationError> {
    let name = org_name(name)?;
    store
        .insert_org(name, timestamp::now())
        .await
        .on_unique(|| taken(name))
}

/// The organization called `name`, created if missing; says whether it was created.
pub async fn ensure_org(store: &Store, name: &str) -> Result<(i64, bool), OperationError> {
    let name = org_name(name)?;
    if let Some(id) = store.find_org_id(name).await? {
        return Ok((id, false));
    }
    match create_org(store, name).await {
        Ok(id) => Ok((id, true)),
        // Created by someone else meanwhile: theirs is the one.
        Err(OperationError::Conflict(_)) => Ok((org_by_name(store, name).await?, false)),
        Err(error) => Err(error),
    }
}

/// The id of the organization called `name`.
pub async fn org_by_name(store: &Store, name: &str) -> Result<i64, OperationError> {
    store.find_org_id(name).await?.ok_or_else(|| {
        OperationError::NotFound(format!(
            "no organization called {name:?}; create it with `openpxl org create {name}`"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_names_are_trimmed_and_bounded() {
        assert_eq!(org_name("  acme ").unwrap(), "acme");
        assert!(org_name("").is_err());
        assert!(org_name(&"x".repeat(101)).is_err());
        assert!(org_name("a\nb").is_err());
    }
}
