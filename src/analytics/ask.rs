//! Asking for an insight, as both front doors do: the link named by the question is
//! resolved among the caller's links, the organization's share of concurrent insights is
//! taken ([`super::limiter`]), and the answer is awaited at most the analytics timeout.

use super::{Insight, params::InsightParams};
use crate::{
    auth::Caller, links::operations, operation_error::OperationError, state::AppState,
    timestamp::Millis,
};

/// The insight of `params` for the caller's organization, as of `now`.
pub async fn ask(
    state: &AppState,
    caller: &Caller,
    mut params: InsightParams,
    now: Millis,
) -> Result<Insight, OperationError> {
    if let Some(link) = &params.link {
        params.filter.link_id = Some(operations::find_own(state, caller, link).await?.id);
    }
    params.filter.org_id = caller.org_id;
    let Some(_running) = state.insights.try_start(caller.org_id) else {
        return Err(OperationError::Busy(format!(
            "your organization already has {} insight requests running on this server; wait \
             for one to finish and retry in a second",
            state.insights.per_org()
        )));
    };
    let limit = state.settings.analytics_timeout;
    let answer = tokio::time::timeout(
        limit,
        super::insight(
            &state.store,
            &state.live_days,
            &params.filter,
            &params.range,
            now,
        ),
    )
    .await;
    match answer {
        Ok(Ok(insight)) => Ok(insight),
        Ok(Err(error)) if !is_statement_timeout(&error) => Err(error.into()),
        Ok(Err(_)) | Err(_) => Err(OperationError::TimedOut(format!(
            "this insight took longer than {} seconds and was cancelled; ask for a shorter date \
             range, or try again when the server is less busy",
            limit.as_secs()
        ))),
    }
}

/// Postgres cancelled the statement at the analytics pool's `statement_timeout`.
fn is_statement_timeout(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("57014"))
}
