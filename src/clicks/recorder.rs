//! The click recorder: one task that takes [`ClickEvent`]s from a bounded channel, keeps
//! them in memory until they are written, enriches them and writes them in batches — every
//! `batch_size` events or `flush_interval`, whichever comes first.
//!
//! - **Back-pressure, not loss.** When `max_pending` events wait (the database is slow or
//!   away), the recorder stops taking events; the channel fills and the redirect handler
//!   waits for room instead of dropping the click.
//! - **Retries.** A failed write is retried with exponential back-off (100 ms up to 5 s);
//!   the events stay in memory meanwhile and redirects keep being served.
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
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::{Instant, sleep_until},
};

use super::{enrich::Enricher, event::ClickEvent, visitor::new_salt};
use crate::{store::Store, timestamp::utc_day};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// Events the channel holds before senders wait.
    pub channel_capacity: usize,
    /// Events kept in memory, waiting to be written, before the recorder stops taking more.
    pub max_pending: usize,
    /// Events written per batch.
    pub batch_size: usize,
    /// Longest an event waits before a batch is written.
    pub flush_interval: Duration,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        Self {
            channel_capacity: 16_384,
            max_pending: 100_000,
            batch_size: 10_000,
            flush_interval: Duration::from_millis(250),
        }
    }
}

/// What the recorder is doing, for `/readyz` and the logs.
#[derive(Debug, Clone, Default)]
pub struct RecorderStatus {
    /// Events handed over since start (one per visit served).
    pub received: u64,
    /// Events in memory, not yet written.
    pub pending: usize,
    /// Clicks written since start.
    pub written: u64,
    /// The last write error, until a write succeeds again.
    pub last_error: Option<String>,
}

enum Command {
    Click(ClickEvent),
    Flush(oneshot::Sender<()>),
}

/// The handle request handlers use; cheap to clone.
#[derive(Clone)]
pub struct ClickRecorder {
    commands: mpsc::Sender<Command>,
    status: Arc<Mutex<RecorderStatus>>,
    received: Arc<AtomicU64>,
}

impl ClickRecorder {
    /// Starts the recorder task.
    pub fn start(
        store: Store,
        enricher: Enricher,
        config: RecorderConfig,
    ) -> (Self, JoinHandle<()>) {
        let (commands, inbox) = mpsc::channel(config.channel_capacity);
        let status = Arc::new(Mutex::new(RecorderStatus::default()));
        let worker = Worker {
            store,
            enricher,
            config,
            inbox,
            pending: VecDeque::new(),
            oldest_since: None,
            waiters: Vec::new(),
            salts: HashMap::new(),
            status: status.clone(),
        };
        let received = Arc::new(AtomicU64::new(0));
        (
            Self {
                commands,
                status,
                received,
            },
            tokio::spawn(worker.run()),
        )
    }

    /// Hands a click to the recorder, waiting for room if it is behind.
    pub async fn record(&self, event: ClickEvent) {
        if self.commands.send(Command::Click(event)).await.is_err() {
            tracing::error!("click recorder has stopped; a click was not recorded");
            return;
        }
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Hands a click over if there is room right now; gives it back when the recorder is
    /// full, for [`Self::record`] to wait with.
    pub fn try_record(&self, event: ClickEvent) -> Option<ClickEvent> {
        match self.commands.try_send(Command::Click(event)) {
            Ok(()) => {
                self.received.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(mpsc::error::TrySendError::Full(Command::Click(event))) => Some(event),
            Err(_) => {
                tracing::error!("click recorder has stopped; a click was not recorded");
                None
            }
        }
    }

    /// Waits until every click handed over before this call has been written.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.commands.send(Command::Flush(done)).await.is_ok() {
            written.await.ok();
        }
    }

    /// [`Self::flush`] with a deadline; says whether everything was written in time.
    pub async fn flush_within(&self, deadline: Duration) -> bool {
        tokio::time::timeout(deadline, self.flush()).await.is_ok()
    }

    pub fn status(&self) -> RecorderStatus {
        let mut status = self.status.lock().expect("status lock").clone();
        status.pending += self.commands.max_capacity() - self.commands.capacity();
        status.received = self.received.load(Ordering::Relaxed);
        status
    }
}

struct Worker {
    store: Store,
    enricher: Enricher,
    config: RecorderConfig,
    inbox: mpsc::Receiver<Command>,
    pending: VecDeque<ClickEvent>,
    /// When the oldest pending event arrived.
    oldest_since: Option<Instant>,
    waiters: Vec<oneshot::Sender<()>>,
    /// Visitor salts by UTC day.
    salts: HashMap<i64, Vec<u8>>,
    status: Arc<Mutex<RecorderStatus>>,
}

impl Worker {
    async fn run(mut self) {
        let mut inbox_open = true;
        let mut backoff = MIN_BACKOFF;
        let mut retry_at: Option<Instant> = None;
        loop {
            let has_room = self.pending.len() < self.config.max_pending;
            let wake_at = self.next_write_at(retry_at);
            tokio::select! {
                command = self.inbox.recv(), if inbox_open && has_room => match command {
                    Some(command) => self.accept(command),
                    None => inbox_open = false,
                },
                () = sleep_until(wake_at.unwrap_or_else(Instant::now)), if wake_at.is_some() => {}
            }
            while self.pending.len() < self.config.max_pending {
                match self.inbox.try_recv() {
                    Ok(command) => self.accept(command),
                    Err(_) => break,
                }
            }
            let now = Instant::now();
            let write_due = self.pending.len() >= self.config.batch_size
                || !self.waiters.is_empty()
                || !inbox_open
                || self
                    .oldest_since
                    .is_some_and(|t| now >= t + self.config.flush_interval);
            if write_due && !self.pending.is_empty() && retry_at.is_none_or(|at| now >= at) {
                match self.write_batch().await {
                    Ok(()) => {
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
                        self.status.lock().expect("status lock").last_error =
                            Some(error.to_string());
                        retry_at = Some(Instant::now() + backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
            if self.pending.is_empty() {
                for waiter in self.waiters.drain(..) {
                    waiter.send(()).ok();
                }
                if !inbox_open {
                    break;
                }
            }
        }
    }

    /// When the loop must wake up without news from the inbox.
    fn next_write_at(&self, retry_at: Option<Instant>) -> Option<Instant> {
        if self.pending.is_empty() {
            return None;
        }
        if let Some(at) = retry_at {
            return Some(at);
        }
        if !self.waiters.is_empty() {
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

    /// Writes the oldest `batch_size` events; they leave memory only once stored.
    async fn write_batch(&mut self) -> Result<(), sqlx::Error> {
        let count = self.pending.len().min(self.config.batch_size);
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
            // A row the database refuses would block every click behind it forever: write
            // the batch row by row and drop (and log) only what is refused.
            let mut refused = 0;
            for row in &rows {
                if let Err(error) = self.store.record_clicks(std::slice::from_ref(row)).await {
                    if !is_about_the_data(&error) {
                        return Err(error);
                    }
                    refused += 1;
                    tracing::error!(%error, link.id = row.link_id, "a click was refused by the database and dropped");
                }
            }
            tracing::warn!(
                clicks.refused = refused,
                clicks.batch = rows.len(),
                "batch written row by row"
            );
        }
        self.pending.drain(..count);
        self.oldest_since = if self.pending.is_empty() {
            None
        } else {
            Some(Instant::now())
        };
        let mut status = self.status.lock().expect("status lock");
        status.pending = self.pending.len();
        status.written += count as u64;
        status.last_error = None;
        Ok(())
    }

    async fn salt(&mut self, day: i64) -> Result<Vec<u8>, sqlx::Error> {
        if let Some(salt) = self.salts.get(&day) {
            return Ok(salt.clone());
        }
        let salt = self.store.visitor_salt(day, new_salt()).await?;
        self.salts.retain(|known, _| *known >= day - 1);
        self.salts.insert(day, salt.clone());
        Ok(salt)
    }
}

/// Whether a write failed because of the data itself (bad value, constraint), which no
/// retry can mend — as opposed to the database being unreachable or busy.
fn is_about_the_data(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    let code = error.code().unwrap_or_default();
    // Postgres SQLSTATE classes 22 (data exception) and 23 (integrity constraint);
    // SQLite result codes TOOBIG, CONSTRAINT, MISMATCH and RANGE.
    code.starts_with("22")
        || code.starts_with("23")
        || code
            .parse::<u32>()
            .is_ok_and(|c| matches!(c & 0xff, 18 | 19 | 20 | 25))
}
