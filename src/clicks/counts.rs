//! The background fold of link counters ([`crate::store`]'s `link_counts`): a
//! task that moves the counts batches left pending into `link_counters`, every
//! [`FOLD_INTERVAL`] under load (longer after a slow fold: [`FOLD_SHARE`]), soon after a
//! batch when the recorder has nothing left to write, and at once when asked (a flush,
//! the shutdown). It runs beside the recorder, so
//! a fold of many links never holds up the next batch of clicks. A fold asked for takes
//! every pending row ([`Fold::All`]); the others take those no other fold holds.

use std::time::Duration;

use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::{Instant, sleep_until},
};

use crate::store::{Fold, Store};

/// The longest a click waits to be in its link's counter while the recorder is busy,
/// unless folds are slow ([`FOLD_SHARE`]). Longer folds cover more clicks of each link per
/// update (bench/README.md, "Counters folded in the background").
pub const FOLD_INTERVAL: Duration = Duration::from_secs(5);

/// A fold on the timer waits at least this many times as long as the last one took. A
/// fold's cost is one upsert per link it counts, however many clicks each has: with
/// 100,000 links clicked every few seconds a fold updates as many counters and takes half
/// a second, and folding every 5 s cost the database a fifth of its work for the clicks
/// (bench/README.md, "Plain links answered from a cache of their own, folds paced by
/// their cost"). Folds then take at most a sixty-first of the time, and each covers more
/// clicks of every link.
const FOLD_SHARE: u32 = 60;

/// The longest wait between folds on the timer, however slow the last one was.
const MAX_FOLD_INTERVAL: Duration = Duration::from_secs(60);

/// The wait before the next fold on the timer, after one that took `took`.
fn wait_after(took: Duration) -> Duration {
    (took * FOLD_SHARE).clamp(FOLD_INTERVAL, MAX_FOLD_INTERVAL)
}

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
        next = Instant::now() + wait_after(started.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_wait_the_interval_or_sixty_times_the_last_folds_time_up_to_a_minute() {
        let ms = Duration::from_millis;
        assert_eq!(wait_after(ms(3)), FOLD_INTERVAL);
        assert_eq!(wait_after(ms(80)), FOLD_INTERVAL);
        assert_eq!(wait_after(ms(490)), ms(29_400));
        assert_eq!(wait_after(ms(1_500)), MAX_FOLD_INTERVAL);
    }
}
