//! The background fold of link counters ([`crate::store`]'s `link_counts`): a
//! task that moves the counts batches left pending into `link_counters`, every
//! [`FOLD_INTERVAL`] under load, soon after a batch when the recorder has nothing left to
//! write, and at once when asked (a flush, the shutdown). It runs beside the recorder, so
//! a fold of many links never holds up the next batch of clicks. A fold asked for takes
//! every pending row ([`Fold::All`]); the others take those no other fold holds.

use std::time::Duration;

use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::{Instant, sleep_until},
};

use crate::store::{Fold, Store};

/// The longest a click waits to be in its link's counter while the recorder is busy.
/// Longer folds cover more clicks of each link per update (bench/README.md, "Counters
/// folded in the background").
pub const FOLD_INTERVAL: Duration = Duration::from_secs(5);

/// A request to fold: soon, or now with an answer once done (whether it folded).
enum Ask {
    Soon,
    Now(oneshot::Sender<bool>),
}

/// The handle of the fold task; the task ends when every handle is dropped.
#[derive(Clone)]
pub struct CountFolder {
    asks: mpsc::UnboundedSender<Ask>,
}

impl CountFolder {
    /// Starts the task, which folds once at once (what an instance that stopped left).
    pub fn start(store: Store) -> (Self, JoinHandle<()>) {
        let (asks, inbox) = mpsc::unbounded_channel();
        (Self { asks }, tokio::spawn(run(store, inbox)))
    }

    /// Asks for a fold without waiting for it.
    pub fn soon(&self) {
        self.asks.send(Ask::Soon).ok();
    }

    /// Folds every pending count, and waits until the fold is done; `false` if it failed
    /// (the counts stay pending for the next fold, of this instance or another).
    pub async fn now(&self) -> bool {
        let (done, folded) = oneshot::channel();
        if self.asks.send(Ask::Now(done)).is_err() {
            return false;
        }
        folded.await.unwrap_or(false)
    }
}

async fn run(store: Store, mut inbox: mpsc::UnboundedReceiver<Ask>) {
    let mut waiting: Vec<oneshot::Sender<bool>> = Vec::new();
    let mut next = Instant::now();
    loop {
        tokio::select! {
            ask = inbox.recv() => match ask {
                Some(Ask::Now(done)) => waiting.push(done),
                Some(Ask::Soon) => {}
                None => return,
            },
            () = sleep_until(next) => {}
        }
        while let Ok(ask) = inbox.try_recv() {
            if let Ask::Now(done) = ask {
                waiting.push(done);
            }
        }
        let fold = if waiting.is_empty() {
            Fold::Unclaimed
        } else {
            Fold::All
        };
        let started = Instant::now();
        let folded = store.fold_link_counts(fold).await;
        match &folded {
            Ok(links) => tracing::debug!(
                links,
                took_ms = started.elapsed().as_millis() as u64,
                "folded click counts into link counters"
            ),
            Err(error) => tracing::warn!(
                %error,
                "could not fold click counts into link counters; they stay pending"
            ),
        }
        for done in waiting.drain(..) {
            done.send(folded.is_ok()).ok();
        }
        next = Instant::now() + FOLD_INTERVAL;
    }
}
