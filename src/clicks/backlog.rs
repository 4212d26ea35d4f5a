//! The recorder's backlog: every click handed over counts against it from the moment it
//! is sent until it is committed (the channel, the queue and the batch being written
//! alike), and it bounds how many there may be ([`super::recorder`] sets the bound).
//!
//! It also says when a click must wake the recorder. Waking a task is not free: the
//! recorder used to wait on its channel, so every visit woke it, and it was polled once a
//! click for nothing most of the time (`bench/README.md`, "The recorder woken by the
//! batch"). Now a click wakes it only when the recorder must act on it: the first click
//! into an empty backlog (so that a quiet server writes it within the flush interval),
//! every batch's worth of clicks, and a full backlog. The clicks in between wait in the
//! channel, bounded by the oldest one's flush interval, which the recorder sleeps until.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

#[derive(Debug)]
pub(super) struct Backlog {
    pub(super) in_memory: AtomicUsize,
    pub(super) limit: AtomicUsize,
    /// Most clicks a batch takes (the recorder's configured batch size).
    batch_size: usize,
    /// Visitors waiting for a place are woken here.
    room: Notify,
    /// The recorder waits here for news: see [`Self::wakes_recorder`].
    pub(super) news: Notify,
}

impl Backlog {
    pub(super) fn new(limit: usize, batch_size: usize) -> Self {
        Self {
            in_memory: AtomicUsize::new(0),
            limit: AtomicUsize::new(limit),
            batch_size,
            room: Notify::new(),
            news: Notify::new(),
        }
    }

    /// Takes a place if there is one; the clicks in the backlog with it, if taken.
    pub(super) fn try_enter(&self) -> Option<usize> {
        let limit = self.limit.load(Ordering::Relaxed);
        let mut current = self.in_memory.load(Ordering::Relaxed);
        loop {
            if current >= limit {
                return None;
            }
            match self.in_memory.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(current + 1),
                Err(actual) => current = actual,
            }
        }
    }

    /// Waits for a place; the clicks in the backlog with it.
    pub(super) async fn enter(&self) -> usize {
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if let Some(count) = self.try_enter() {
                return count;
            }
            room.await;
        }
    }

    /// Whether the click that made the backlog `count` long must wake the recorder: the
    /// first (it starts the flush interval's clock), every batch's worth, and the one
    /// that fills the backlog. Each count is reached by exactly one click (places are
    /// taken one at a time), so none of these is missed. A click takes its place before it
    /// is sent, so one may reach the channel just after the recorder last looked; the
    /// recorder looks again within a flush interval while the backlog counts any.
    pub(super) fn wakes_recorder(&self, count: usize) -> bool {
        count == 1
            || count.is_multiple_of(self.batch_limit())
            || count >= self.limit.load(Ordering::Relaxed)
    }

    /// Frees `count` places (their clicks are committed, refused, or never sent).
    pub(super) fn leave(&self, count: usize) {
        self.in_memory.fetch_sub(count, Ordering::AcqRel);
        self.room.notify_waiters();
    }

    pub(super) fn set_limit(&self, limit: usize) {
        let old = self.limit.swap(limit, Ordering::Relaxed);
        if limit > old {
            self.room.notify_waiters();
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.in_memory.load(Ordering::Relaxed) >= self.limit.load(Ordering::Relaxed)
    }

    /// The most clicks a batch takes: a full batch, or half the backlog's bound, so that
    /// while one half is being written the other half can fill and visitors need not wait
    /// for the write.
    pub(super) fn batch_limit(&self) -> usize {
        let half = self.limit.load(Ordering::Relaxed) / 2;
        self.batch_size.min(half).max(1)
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    #[tokio::test]
    async fn a_full_backlog_admits_again_once_room_is_made() {
        let backlog = Arc::new(Backlog::new(2, 10));
        assert_eq!(backlog.try_enter(), Some(1));
        assert_eq!(backlog.try_enter(), Some(2));
        assert_eq!(backlog.try_enter(), None);
        let waiting = tokio::spawn({
            let backlog = backlog.clone();
            async move { backlog.enter().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        backlog.leave(1);
        let count = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the waiting click got a place")
            .unwrap();
        assert_eq!(count, 2);
        assert_eq!(backlog.in_memory.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn the_recorder_is_woken_by_the_first_click_each_batch_and_a_full_backlog() {
        let backlog = Backlog::new(1_000, 200);
        let woken: Vec<usize> = (1..=1_000)
            .filter(|&count| backlog.wakes_recorder(count))
            .collect();
        assert_eq!(woken, [1, 200, 400, 600, 800, 1_000]);
        // A small bound makes the batch half of it, and the recorder is woken as often.
        let small = Backlog::new(10, 200);
        let woken: Vec<usize> = (1..=10).filter(|&c| small.wakes_recorder(c)).collect();
        assert_eq!(woken, [1, 5, 10]);
    }
}
