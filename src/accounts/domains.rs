//! Custom short domains: adding one to an organization.

use crate::{
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
    let host = Host::parse(host).map_err(|message| OperationError::invalid("host", message))?;
    let org_id = org_by_name(store, org).await?;
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
    invalidation::announce(store, invalidation::EVERYTHING).await;
    Ok(host)
}
