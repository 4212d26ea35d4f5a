//! The header-read timeout's timer: one per connection, re-armed lazily.
//!
//! hyper asks its timer for a new sleep every time it starts waiting for a request head
//! and drops it once the head is read. With tokio's timer (`hyper_util`'s `TokioTimer`)
//! that is a timer-wheel insertion and removal, under the wheel's lock, for every request:
//! 3–4 % of a redirect's CPU. Here the sleeps of one connection share one tokio timer. A
//! new sleep only notes its deadline; the shared timer stays armed, and when it fires
//! before the deadline of the sleep waiting on it, it is re-armed for that deadline. So
//! a busy connection touches the wheel about once per timeout period instead of once per
//! request, and every sleep still ends exactly at its own deadline (to the timer's
//! millisecond).
//!
//! Time is tokio's (`tokio::time::Instant`), as `TokioTimer`'s is, so paused time in
//! tests applies.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use hyper::rt::{Sleep, Timer};
use tokio::time::Sleep as TokioSleep;

/// Where a new connection's timer is set until a sleep needs it: later than any timeout.
const UNARMED: Duration = Duration::from_secs(365 * 24 * 3600);

/// The timer of one connection. Give each connection its own: its sleeps share one tokio
/// timer, which wakes only the task that polled it last — right for hyper's HTTP/1
/// connection, whose one timed sleep at a time is polled by the connection's task, wrong
/// for a timer shared by several connections (they would take each other's wake-ups).
pub struct ConnectionTimer {
    shared: Arc<Mutex<Pin<Box<TokioSleep>>>>,
}

impl ConnectionTimer {
    /// A timer for one new connection; must be called within a tokio runtime.
    pub fn new() -> Self {
        // Armed for far later: the first sleep polled pulls it in to its own deadline, one
        // insertion into the timer wheel.
        let armed = tokio::time::sleep(UNARMED);
        Self {
            shared: Arc::new(Mutex::new(Box::pin(armed))),
        }
    }
}

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(LazySleep {
            shared: self.shared.clone(),
            deadline: deadline.into(),
        })
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into()
    }
}

/// One sleep of a connection: its deadline, and the connection's shared timer.
struct LazySleep {
    shared: Arc<Mutex<Pin<Box<TokioSleep>>>>,
    deadline: tokio::time::Instant,
}

impl Future for LazySleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if tokio::time::Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let mut timer = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Armed for later than this sleep's deadline (another sleep's): pull it in.
        if timer.deadline() > self.deadline {
            timer.as_mut().reset(self.deadline);
        }
        // Fired before this deadline (armed by an earlier sleep): re-arm, and poll again so
        // that it wakes this task.
        while timer.as_mut().poll(cx).is_ready() {
            if tokio::time::Instant::now() >= self.deadline {
                return Poll::Ready(());
            }
            timer.as_mut().reset(self.deadline);
        }
        Poll::Pending
    }
}

impl Sleep for LazySleep {}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use tokio::time::{Instant as TokioInstant, sleep_until};

    use super::*;

    fn at(start: TokioInstant, ms: u64) -> TokioInstant {
        start + Duration::from_millis(ms)
    }

    /// When `sleep` ends, awaited on a task of its own, so that only the timer's wake-up
    /// can end it; `None` if it has not ended a minute later.
    async fn ended_at(sleep: Pin<Box<dyn Sleep>>) -> Option<TokioInstant> {
        let waiter = tokio::spawn(async move {
            sleep.await;
            TokioInstant::now()
        });
        let ended = tokio::time::timeout(Duration::from_secs(60), waiter).await;
        ended
            .ok()
            .map(|joined| joined.expect("the waiter does not panic"))
    }

    fn assert_ends_at(ended: Option<TokioInstant>, deadline: TokioInstant) {
        let ended = ended.expect("the sleep's task was woken");
        assert!(ended >= deadline, "ended before its deadline");
        assert!(ended <= deadline + Duration::from_millis(2), "ended late");
    }

    /// A new connection's timer armed by a sleep for a head due at 10 s (polled once): the
    /// timer, the start, and that sleep.
    fn armed_for_10_s() -> (ConnectionTimer, TokioInstant, Pin<Box<dyn Sleep>>) {
        let timer = ConnectionTimer::new();
        let start = TokioInstant::now();
        let mut sleep = timer.sleep_until(at(start, 10_000).into());
        assert!((&mut sleep).now_or_never().is_none());
        (timer, start, sleep)
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleep_ends_at_its_deadline_and_not_before() {
        let (_timer, start, mut sleep) = armed_for_10_s();
        sleep_until(at(start, 9_999)).await;
        assert!((&mut sleep).now_or_never().is_none());
        assert_ends_at(ended_at(sleep).await, at(start, 10_000));
    }

    /// A connection's timer as hyper leaves it: a sleep for a head due by 10 s, dropped
    /// when the head arrived at 3 s, left the timer armed for 10 s. Returns the timer and
    /// the start, the clock at 3 s.
    async fn armed_for_a_head_that_came() -> (ConnectionTimer, TokioInstant) {
        let (timer, start, first) = armed_for_10_s();
        sleep_until(at(start, 3_000)).await;
        drop(first);
        (timer, start)
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_sleep_outlives_the_timer_armed_by_an_earlier_one() {
        let (timer, start) = armed_for_a_head_that_came().await;
        let mut second = timer.sleep_until(at(start, 13_000).into());
        assert!((&mut second).now_or_never().is_none());
        sleep_until(at(start, 12_000)).await; // the timer fired at 10 s
        assert!((&mut second).now_or_never().is_none());
        assert_ends_at(ended_at(second).await, at(start, 13_000));
    }

    /// The next head's sleep awaited by its task alone, across the early firing.
    #[tokio::test(start_paused = true)]
    async fn a_sleep_waiting_when_the_timer_fires_early_is_woken_at_its_own_deadline() {
        let (timer, start) = armed_for_a_head_that_came().await;
        let second = timer.sleep_until(at(start, 13_000).into());
        assert_ends_at(ended_at(second).await, at(start, 13_000));
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_sleep_pulls_the_timer_in() {
        let (timer, start, late) = armed_for_10_s();
        drop(late);
        let early = timer.sleep_until(at(start, 2_000).into());
        assert_ends_at(ended_at(early).await, at(start, 2_000));
    }
}
