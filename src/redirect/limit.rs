//! The one slow path of the redirect: links with a visit limit (`maxClicks`). A person's
//! visit takes one of the remaining visits with one atomic statement in the database, so
//! with `maxClicks: 50` exactly 50 people get through, however many instances share it.
//! Bots, crawlers and HEAD requests never use a visit up: they only look whether one is
//! left. Links without a limit never come here.

use super::crawler::Visitor;
use crate::{link_cache::RedirectTarget, state::AppState};

/// What a visit to a limited link may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A person took one of the remaining visits (give it back if they are not answered).
    Taken,
    /// Visits are left; a bot looked without taking one.
    Open,
    /// None left: the link counts as expired.
    Reached,
}

/// Asks the database, bounded by the request timeout.
pub async fn admit(
    state: &AppState,
    target: &RedirectTarget,
    visitor: Visitor,
) -> Result<Admission, ()> {
    let store = &state.store;
    let asked = async {
        if visitor == Visitor::Human {
            let taken = store.take_limited_visit(target.link_id).await?;
            Ok::<_, sqlx::Error>(if taken {
                Admission::Taken
            } else {
                Admission::Reached
            })
        } else if store.has_limited_visits_left(target.link_id).await? {
            Ok(Admission::Open)
        } else {
            Ok(Admission::Reached)
        }
    };
    match tokio::time::timeout(state.settings.request_timeout, asked).await {
        Ok(Ok(admission)) => Ok(admission),
        Ok(Err(error)) => {
            tracing::error!(%error, link.id = target.link_id, "cannot check a visit limit");
            Err(())
        }
        Err(_) => Err(()),
    }
}

/// Gives back a visit taken for a person who was not answered (their click could not be
/// handed over in time).
pub async fn give_back(state: &AppState, target: &RedirectTarget) {
    if let Err(error) = state.store.give_back_limited_visit(target.link_id).await {
        tracing::warn!(%error, link.id = target.link_id, "could not give a visit back");
    }
}
