//! The click recorder: one task that takes [`ClickEvent`]s from a channel, keeps them in
//! memory until they are written, enriches them and writes them in batches — as soon as a
//! batch is full or the backlog is at its bound, and at the latest after `flush_interval`.
//!
//! - **Nothing acknowledged is lost.** A click leaves memory only once the transaction that
//!   stored it has committed; a failed batch (COMMIT included) is rolled back, its
//!   connection discarded ([`crate::store::transaction`]), and retried with exponential
//!   back-off (100 ms up to 5 s) while the clicks stay in memory.
//! - **A crash loses a bounded amount.** Every click handed over counts against one
//!   [`Backlog`], from the moment it is sent until it is committed (the channel, the queue
//!   and the batch being written alike). While writes succeed the backlog is bounded by
//!   time: at most `max_backlog_time` (250 ms) of writing at the measured write rate, so a
//!   SIGKILL loses at most about that much (plus the last `flush_interval` of a quiet
//!   server). While writes fail (the database is away, the disk is full) the bound is the
//!   click buffer, `max_pending`: redirects go on from the cache until it is full.
//! - **Back-pressure, not loss.** Beyond the bound, the redirect handler waits for room
//!   instead of dropping the click.
//! - **Woken by the batch, not the click.** A visit hands its click over without waking
//!   the recorder, unless the click is the first of an empty backlog, completes a batch or
//!   fills the backlog ([`Backlog::wakes_recorder`]); otherwise the recorder sleeps until
//!   the oldest click's `flush_interval` is up.
//! - **Flush.** [`ClickRecorder::flush`] returns once every event sent before it is
//!   written: graceful shutdown uses it, and so do tests, instead of sleeping.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::{
    sync::{
        mpsc::{self, error::TryRecvError},
        oneshot,
    },
    task::JoinHandle,
    time::{Instant, sleep_until},
};

use super::{
    backlog::Backlog, counts::CountFolder, enrich::Enricher, event::ClickEvent, visitor::new_salt,
};
use crate::{
    metrics::RecorderMetrics,
    store::{ClickRow, Store, is_about_the_data},
    timestamp::utc_day,
};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Weight of the newest batch in the measured write rate.
const RATE_SMOOTHING: f64 = 0.3;

#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// Most clicks kept in memory while writes fail (`OPENPXL_CLICK_BUFFER`).
    pub max_pending: usize,
    /// While writes succeed, the backlog holds at most this much writing time at the
    /// measured write rate: what a crash may lose.
    pub max_backlog_time: Duration,
    /// The backlog always allowed, whatever the measured rate.
    pub min_backlog: usize,
    /// Most events written per batch.
    pub batch_size: usize,
    /// Longest an event waits before a batch is written.
    pub flush_interval: Duration,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        Self {
            max_pending: 100_000,
            max_backlog_time: Duration::from_millis(250),
            min_backlog: 1_000,
            batch_size: 10_000,
            flush_interval: Duration::from_millis(100),
        }
    }
}

/// What the recorder is doing, for `/readyz`, the logs and the shutdown line.
#[derive(Debug, Clone, Default)]
pub struct RecorderStatus {
    /// Events handed over since start (one per visit served).
    pub received: u64,
    /// Events handed over and not committed yet: in the channel, the queue or the batch
    /// being written. What a crash now would lose.
    pub pending: usize,
    /// Clicks committed since start.
    pub written: u64,
    /// Time spent enriching and writing batches since start, row-by-row writes and failed
    /// attempts included: `written` divided by it is what the recorder wrote a second of
    /// writing (the benchmarks report it).
    pub writing: Duration,
    /// Clicks the database refused as invalid (logged one by one; never silently).
    pub refused: u64,
    /// How many clicks may wait in memory right now.
    pub backlog_limit: usize,
    /// The last write error, until a write succeeds again.
    pub last_error: Option<String>,
}

enum Command {
    Click(ClickEvent),
    Flush(oneshot::Sender<()>),
}

/// The largest batch after which the counters are folded at once when nothing else is
/// pending: up to 10,000 clicks a second at the default flush interval.
const SOON_FOLDED_BATCH: usize = 1_000;

/// Counters shared by the handle and the task.
#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    written: AtomicU64,
    writing_micros: AtomicU64,
    refused: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// The handle request handlers use; cheap to clone.
#[derive(Clone)]
pub struct ClickRecorder {
    inbox: Arc<Inbox>,
    backlog: Arc<Backlog>,
    counters: Arc<Counters>,
}

/// The sending end of the recorder's channel, shared by every handle. Sending does not
/// wake the recorder by itself ([`Backlog::wakes_recorder`] says when a click does). When
/// the last handle is dropped, the channel is closed first and the recorder woken, so
/// that it finds it closed, writes what it holds and ends.
struct Inbox {
    commands: Option<mpsc::UnboundedSender<Command>>,
    backlog: Arc<Backlog>,
}

impl Inbox {
    /// Sends a command; `Err` (the command dropped) once the recorder has stopped.
    fn send(&self, command: Command) -> Result<(), ()> {
        match &self.commands {
            Some(commands) => commands.send(command).map_err(drop),
            None => Err(()),
        }
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.commands.take();
        self.backlog.news.notify_one();
    }
}

impl ClickRecorder {
    /// Starts the recorder task.
    pub fn start(
        store: Store,
        enricher: Enricher,
        config: RecorderConfig,
        metrics: Option<RecorderMetrics>,
    ) -> (Self, JoinHandle<()>) {
        let (commands, inbox) = mpsc::unbounded_channel();
        let backlog = Arc::new(Backlog::new(
            // Until a rate is measured, the floor: the bound holds from the first click.
            config.min_backlog.clamp(1, config.max_pending.max(1)),
            config.batch_size,
        ));
        let counters = Arc::new(Counters::default());
        let folder = store
            .folds_link_counts()
            .then(|| CountFolder::start(store.clone()).0);
        let worker = Worker {
            folder,
            unfolded: false,
            last_batch: 0,
            store,
            enricher,
            config,
            inbox,
            pending: VecDeque::new(),
            oldest_since: None,
            waiters: Vec::new(),
            salts: HashMap::new(),
            rate: None,
            backlog: backlog.clone(),
            counters: counters.clone(),
            metrics,
        };
        (
            Self {
                inbox: Arc::new(Inbox {
                    commands: Some(commands),
                    backlog: backlog.clone(),
                }),
                backlog,
                counters,
            },
            tokio::spawn(worker.run()),
        )
    }

    /// Hands a click to the recorder, waiting for room if the backlog is at its bound.
    pub async fn record(&self, event: ClickEvent) {
        let count = self.backlog.enter().await;
        self.send(event, count);
    }

    /// Hands a click over if there is room right now; gives it back when the backlog is at
    /// its bound, for [`Self::record`] to wait with.
    pub fn try_record(&self, event: ClickEvent) -> Option<ClickEvent> {
        let Some(count) = self.backlog.try_enter() else {
            return Some(event);
        };
        self.send(event, count);
        None
    }

    /// Sends a click that took a place in the backlog, which made it `count` long.
    fn send(&self, event: ClickEvent, count: usize) {
        if self.inbox.send(Command::Click(event)).is_err() {
            self.backlog.leave(1);
            tracing::error!("click recorder has stopped; a click was not recorded");
            return;
        }
        self.counters.received.fetch_add(1, Ordering::Relaxed);
        if self.backlog.wakes_recorder(count) {
            self.backlog.news.notify_one();
        }
    }

    /// Waits until every click handed over before this call has been written, and its
    /// link's counter has it (unless the fold failed: the counts then stay pending, with a
    /// warning in the log, and a later fold adds them).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.inbox.send(Command::Flush(done)).is_ok() {
            self.backlog.news.notify_one();
            written.await.ok();
        }
    }

    /// [`Self::flush`] with a deadline; says whether everything was written in time.
    pub async fn flush_within(&self, deadline: Duration) -> bool {
        tokio::time::timeout(deadline, self.flush()).await.is_ok()
    }

    pub fn status(&self) -> RecorderStatus {
        RecorderStatus {
            received: self.counters.received.load(Ordering::Relaxed),
            pending: self.backlog.in_memory.load(Ordering::Relaxed),
            written: self.counters.written.load(Ordering::Relaxed),
            writing: Duration::from_micros(self.counters.writing_micros.load(Ordering::Relaxed)),
            refused: self.counters.refused.load(Ordering::Relaxed),
            backlog_limit: self.backlog.limit.load(Ordering::Relaxed),
            last_error: self.counters.last_error.lock().expect("lock").clone(),
        }
    }
}

struct Worker {
    store: Store,
    enricher: Enricher,
    config: RecorderConfig,
    inbox: mpsc::UnboundedReceiver<Command>,
    pending: VecDeque<ClickEvent>,
    /// When the oldest pending event arrived.
    oldest_since: Option<Instant>,
    waiters: Vec<oneshot::Sender<()>>,
    /// Visitor salts by UTC day (shared, not copied, by every click of the day).
    salts: HashMap<i64, Arc<[u8]>>,
    /// Measured clicks written per second of writing (smoothed), once known.
    rate: Option<f64>,
    backlog: Arc<Backlog>,
    counters: Arc<Counters>,
    metrics: Option<RecorderMetrics>,
    /// The task that folds the batches' link counts into the counters.
    folder: Option<CountFolder>,
    /// Batches were written since the last fold was asked for.
    unfolded: bool,
    /// Clicks in the last batch written.
    last_batch: usize,
}

impl Worker {
    /// The recorder's loop: takes what the channel holds, writes when a write is due, and
    /// otherwise sleeps until the oldest click's flush interval is up, a retry is due or a
    /// click or flush wakes it ([`Backlog::wakes_recorder`]).
    async fn run(mut self) {
        let mut inbox_open = true;
        let mut backoff = MIN_BACKOFF;
        let mut retry_at: Option<Instant> = None;
        loop {
            inbox_open &= self.take_inbox();
            let now = Instant::now();
            if self.write_due(now, inbox_open) && retry_at.is_none_or(|at| now >= at) {
                match self.write_batch().await {
                    Ok(()) => {
                        self.unfolded = true;
                        backoff = MIN_BACKOFF;
                        retry_at = None;
                    }
                    Err(error) => {
                        tracing::warn!(
                            error = %error,
                            clicks.pending = self.pending.len(),
                            retry_in_ms = backoff.as_millis() as u64,
                            "could not write clicks; keeping them and retrying"
                        );
                        *self.counters.last_error.lock().expect("lock") = Some(error.to_string());
                        // While writes fail the bound is the buffer: redirects go on.
                        self.backlog.set_limit(self.config.max_pending.max(1));
                        retry_at = Some(Instant::now() + backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                // What came in meanwhile is taken before deciding to sleep.
                continue;
            }
            if self.pending.is_empty() {
                self.fold_counts(inbox_open).await;
                for waiter in self.waiters.drain(..) {
                    waiter.send(()).ok();
                }
                if !inbox_open {
                    break;
                }
            }
            let wake_at = self.next_write_at(retry_at);
            tokio::select! {
                () = self.backlog.news.notified() => {}
                () = sleep_until(wake_at.unwrap_or_else(Instant::now)), if wake_at.is_some() => {}
            }
        }
    }

    /// Takes every command the channel holds; whether it is still open.
    fn take_inbox(&mut self) -> bool {
        loop {
            match self.inbox.try_recv() {
                Ok(command) => self.accept(command),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// With nothing left to write: the link counts of the batches written are folded into
    /// the counters, at once for a flush or the shutdown, soon after a small
    /// batch (a quiet server counts a click at once). After large batches (the server is
    /// busy) the fold task folds on its own timer, so that each fold covers many clicks of
    /// each link.
    async fn fold_counts(&mut self, inbox_open: bool) {
        let Some(folder) = &self.folder else { return };
        if !self.waiters.is_empty() || !inbox_open {
            if !folder.now().await {
                tracing::warn!(
                    "flushed with some link counters behind: their counts stay pending until \
                     a fold succeeds (this instance's, another's or the next start's)"
                );
            }
        } else if self.unfolded && self.last_batch <= SOON_FOLDED_BATCH {
            folder.soon();
        }
        self.unfolded = false;
    }

    /// Whether to write now: a full batch, visitors waiting for room, a flush asked for,
    /// the shutdown, or the oldest event has waited long enough.
    fn write_due(&self, now: Instant, inbox_open: bool) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        self.pending.len() >= self.backlog.batch_limit()
            || self.backlog.is_full()
            || !self.waiters.is_empty()
            || !inbox_open
            || self
                .oldest_since
                .is_some_and(|t| now >= t + self.config.flush_interval)
    }

    /// When the loop must wake up without news from the inbox.
    fn next_write_at(&self, retry_at: Option<Instant>) -> Option<Instant> {
        if self.pending.is_empty() {
            return in_flight_check(
                self.backlog.in_memory.load(Ordering::Acquire),
                Instant::now(),
                self.config.flush_interval,
            );
        }
        if let Some(at) = retry_at {
            return Some(at);
        }
        if !self.waiters.is_empty() || self.backlog.is_full() {
            return Some(Instant::now());
        }
        self.oldest_since.map(|t| t + self.config.flush_interval)
    }

    fn accept(&mut self, command: Command) {
        match command {
            Command::Click(event) => {
                if self.pending.is_empty() {
                    self.oldest_since = Some(Instant::now());
                }
                self.pending.push_back(event);
            }
            Command::Flush(waiter) => self.waiters.push(waiter),
        }
    }

    /// Writes the oldest events, at most a batch; they leave memory only once committed.
    async fn write_batch(&mut self) -> Result<(), sqlx::Error> {
        let started = Instant::now();
        let written = self.write_oldest().await;
        self.counters
            .writing_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        written
    }

    /// [`Self::write_batch`]'s work: enriches the oldest events and writes them, row by
    /// row if the database refuses the batch for its data.
    async fn write_oldest(&mut self) -> Result<(), sqlx::Error> {
        let started = Instant::now();
        let count = self.pending.len().min(self.backlog.batch_limit());
        let mut rows = Vec::with_capacity(count);
        for index in 0..count {
            let day = utc_day(self.pending[index].at);
            let salt = self.salt(day).await?;
            rows.push(self.enricher.enrich(&self.pending[index], &salt));
        }
        if let Err(error) = self.store.record_clicks(&rows).await {
            if !is_about_the_data(&error) {
                return Err(error);
            }
            return self.write_row_by_row(&rows).await;
        }
        self.committed(count, 0);
        self.measure(count, started.elapsed());
        Ok(())
    }

    /// A row the database refuses would block every click behind it forever: the batch is
    /// written row by row, and only what is refused is dropped (and logged). Rows leave
    /// memory as they commit, so a failure half-way retries only the rest.
    async fn write_row_by_row(&mut self, rows: &[ClickRow]) -> Result<(), sqlx::Error> {
        let (mut done, mut refused) = (0, 0);
        for row in rows {
            match self.store.record_clicks(std::slice::from_ref(row)).await {
                Ok(()) => {}
                Err(error) if is_about_the_data(&error) => {
                    refused += 1;
                    tracing::error!(%error, link.id = row.link_id, "a click was refused by the database and dropped");
                }
                Err(error) => {
                    self.committed(done, refused);
                    return Err(error);
                }
            }
            done += 1;
        }
        tracing::warn!(
            clicks.refused = refused,
            clicks.batch = rows.len(),
            "batch written row by row"
        );
        self.committed(done, refused);
        Ok(())
    }

    /// The oldest `count` events are stored (or, `refused` of them, refused for good): they
    /// leave memory and the backlog.
    fn committed(&mut self, count: usize, refused: usize) {
        if let (Some(metrics), Some(oldest)) = (&self.metrics, self.pending.front()) {
            let lag_ms = u64::try_from(crate::timestamp::now() - oldest.at).unwrap_or(0);
            metrics.batch_committed(count, Duration::from_millis(lag_ms));
        }
        self.pending.drain(..count);
        self.last_batch = count;
        self.oldest_since = if self.pending.is_empty() {
            None
        } else {
            Some(Instant::now())
        };
        self.counters
            .written
            .fetch_add((count - refused) as u64, Ordering::Relaxed);
        self.counters
            .refused
            .fetch_add(refused as u64, Ordering::Relaxed);
        *self.counters.last_error.lock().expect("lock") = None;
        self.backlog.leave(count);
    }

    /// Updates the write rate with a batch of `count` written in `took`, and the backlog
    /// bound with it.
    fn measure(&mut self, count: usize, took: Duration) {
        let sample = count as f64 / took.as_secs_f64().max(1e-6);
        let rate = match self.rate {
            Some(rate) => rate + RATE_SMOOTHING * (sample - rate),
            None => sample,
        };
        self.rate = Some(rate);
        self.backlog.set_limit(backlog_limit(&self.config, rate));
    }

    async fn salt(&mut self, day: i64) -> Result<Arc<[u8]>, sqlx::Error> {
        if let Some(salt) = self.salts.get(&day) {
            return Ok(salt.clone());
        }
        let salt: Arc<[u8]> = self.store.visitor_salt(day, new_salt()).await?.into();
        self.salts.retain(|known, _| *known >= day - 1);
        self.salts.insert(day, salt.clone());
        Ok(salt)
    }
}

/// With nothing pending, when to look at the channel again although nothing woke the
/// recorder: never while the backlog is empty (the next click wakes it), within a flush
/// interval while it counts clicks (`in_memory`). Those clicks took their place before
/// the recorder last looked at the channel and were sent after it; the one that made the
/// backlog one long woke it long before, so none of them wakes it now.
fn in_flight_check(in_memory: usize, now: Instant, flush_interval: Duration) -> Option<Instant> {
    (in_memory > 0).then(|| now + flush_interval)
}

/// How many clicks may wait while writes succeed at `rate` clicks a second: what the
/// recorder writes in `max_backlog_time`, at least `min_backlog`, at most the buffer.
fn backlog_limit(config: &RecorderConfig, rate: f64) -> usize {
    let by_time = (rate * config.max_backlog_time.as_secs_f64()) as usize;
    by_time
        .max(config.min_backlog)
        .min(config.max_pending)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_recorder_looks_again_within_a_flush_interval_while_clicks_are_in_flight() {
        let now = Instant::now();
        let interval = Duration::from_millis(100);
        assert_eq!(in_flight_check(0, now, interval), None);
        assert_eq!(in_flight_check(3, now, interval), Some(now + interval));
    }

    #[test]
    fn the_backlog_holds_a_quarter_second_of_writing_within_its_bounds() {
        let config = RecorderConfig::default();
        assert_eq!(backlog_limit(&config, 40_000.0), 10_000);
        assert_eq!(backlog_limit(&config, 100.0), 1_000);
        assert_eq!(backlog_limit(&config, 10_000_000.0), 100_000);
        let tiny = RecorderConfig {
            max_pending: 10,
            ..RecorderConfig::default()
        };
        assert_eq!(backlog_limit(&tiny, 40_000.0), 10);
    }
}
