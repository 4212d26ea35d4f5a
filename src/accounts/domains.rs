//! Custom short domains: adding one to an organization.

use super::roles::require_manager;
use crate::{
    auth::Caller,
    link_cache::invalidation,
    links::Host,
    operation_error::OperationError,
    store::{OnUnique, Store},
    timestamp,
};

use super::orgs::org_by_name;

/// Adds `host` (any spelling; stored in its normal form) to the organization called
/// `org`, and tells running instances. A host belongs to one organization on the server.
pub async fn add_domain(store: &Store, org: &str, host: &str) -> Result<Host, OperationError> {
    let org_id = org_by_name(store, org).await?;
    add_to(store, org_id, host).await
}

/// Adds a domain to the caller's organization (owners and admins).
pub async fn add_domain_as(
    store: &Store,
    caller: &Caller,
    host: &str,
) -> Result<Host, OperationError> {
    require_manager(caller, "add domains")?;
    add_to(store, caller.org_id, host).await
}

/// The caller's organization's domains.
pub async fn domains(store: &Store, caller: &Caller) -> Result<Vec<String>, OperationError> {
    Ok(store.org_domains(caller.org_id).await?)
}

/// Removes a domain of the caller's organization; refused while live links use it.
pub async fn remove_domain_as(
    store: &Store,
    caller: &Caller,
    host: &str,
) -> Result<(), OperationError> {
    require_manager(caller, "remove domains")?;
    // A name that is not a host names no domain of the organization: 404, like any other
    // name it does not have (saying why, so a typo is easy to see).
    let host = Host::parse(host).map_err(|message| {
        OperationError::NotFound(format!("no such domain in this organization: {message}"))
    })?;
    if store.domain_owner(host.as_str()).await? != Some(caller.org_id) {
        return Err(OperationError::NotFound(format!(
            "{} is not a domain of this organization",
            host.as_str()
        )));
    }
    let links = store.count_links_on(host.as_str()).await?;
    if links > 0 {
        return Err(OperationError::Conflict(format!(
            "{} still has {links} live link{}; delete them first (their clicks stay in the \
             analytics), then remove the domain",
            host.as_str(),
            if links == 1 { "" } else { "s" }
        )));
    }
    store.delete_domain(caller.org_id, host.as_str()).await?;
    invalidation::announce(store, "", invalidation::EVERYTHING).await;
    Ok(())
}

async fn add_to(store: &Store, org_id: i64, host: &str) -> Result<Host, OperationError> {
    let host = Host::parse(host).map_err(|message| OperationError::invalid("host", message))?;
    store
        .insert_domain(org_id, host.as_str(), timestamp::now())
        .await
        .on_unique(|| {
            OperationError::Conflict(format!(
                "{} is already a short domain on this server",
                host.as_str()
            ))
        })?;
    // Running servers on Postgres learn of the new domain at once.
    invalidation::announce(store, "", invalidation::EVERYTHING).await;
    Ok(host)
}
