//! Prometheus metrics: the handles the code updates as things happen ([`Metrics`]), the
//! values read when scraped ([`collectors`]), and the endpoint on its own listener
//! (`OPENPXL_METRICS_LISTEN`, off by default: [`endpoint`]). Every metric is named
//! `openpxl_*` and listed in docs/OPERATIONS.md ("Metrics").

mod atomic_histogram;
pub mod collectors;
pub mod endpoint;
pub mod http;

use std::{fmt::Write as _, time::Duration};

use atomic_histogram::AtomicHistogram;

use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

/// Latency buckets in seconds, from half a millisecond to half a minute (the request
/// timeout's default).
const LATENCY_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How a visit to a short link was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedirectOutcome {
    /// 302 to the destination.
    Redirect,
    /// The preview page for a link-preview crawler.
    Preview,
    /// The page shown before the destination (consent or favicon).
    Interstitial,
    /// No such link, or a disabled one (404).
    NotFound,
    /// The link has expired: sent to its expired destination, or the 410 page.
    Expired,
    /// A protected link's password form (first visit, or a wrong or held-back try).
    Password,
    /// The link could not be resolved, or its click taken, in time (503).
    Unavailable,
}

impl RedirectOutcome {
    const ALL: [Self; 7] = [
        Self::Redirect,
        Self::Preview,
        Self::Interstitial,
        Self::NotFound,
        Self::Expired,
        Self::Password,
        Self::Unavailable,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Redirect => "redirect",
            Self::Preview => "preview",
            Self::Interstitial => "interstitial",
            Self::NotFound => "not_found",
            Self::Expired => "expired",
            Self::Password => "password",
            Self::Unavailable => "unavailable",
        }
    }
}

impl EncodeLabelValue for RedirectOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: RedirectOutcome,
}

/// The labels of an HTTP request: method, route template (never the path), status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunResult {
    Ok,
    Error,
}

impl EncodeLabelValue for RunResult {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(match self {
            Self::Ok => "ok",
            Self::Error => "error",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ResultLabels {
    result: RunResult,
}

/// The counters and histograms updated as things happen. Cheap to clone: every handle is
/// shared.
#[derive(Debug, Clone)]
pub struct Metrics {
    http_requests: Family<HttpLabels, Counter>,
    http_durations: Family<HttpLabels, Histogram>,
    redirects: Family<OutcomeLabels, Counter>,
    /// The counters of `redirects`, by `RedirectOutcome as usize`.
    redirect_counters: [Counter; 7],
    redirect_duration: AtomicHistogram,
    quota_rejections: Counter,
    pub recorder: RecorderMetrics,
    rollup_runs: Family<ResultLabels, Counter>,
    rollup_duration: Histogram,
}

/// What the click recorder reports about each batch it commits.
#[derive(Debug, Clone)]
pub struct RecorderMetrics {
    batch_size: Histogram,
    lag: Histogram,
}

impl RecorderMetrics {
    /// A batch of `size` clicks committed, the oldest of them `lag` after its visit.
    pub fn batch_committed(&self, size: usize, lag: Duration) {
        self.batch_size.observe(size as f64);
        self.lag.observe(lag.as_secs_f64());
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let redirects: Family<OutcomeLabels, Counter> = Family::default();
        // Every outcome is in the family (so shown from the start, at 0), and its counter
        // is kept at hand: the hot path updates it without a lookup.
        let redirect_counters = RedirectOutcome::ALL
            .map(|outcome| redirects.get_or_create(&OutcomeLabels { outcome }).clone());
        Self {
            redirect_counters,
            http_requests: Family::default(),
            http_durations: Family::new_with_constructor(latency_histogram),
            redirects,
            redirect_duration: AtomicHistogram::new(&LATENCY_BUCKETS),
            quota_rejections: Counter::default(),
            recorder: RecorderMetrics {
                batch_size: Histogram::new([
                    1.0, 10.0, 100.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0,
                ]),
                lag: latency_histogram(),
            },
            rollup_runs: Family::default(),
            rollup_duration: Histogram::new([0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0]),
        }
    }

    /// An HTTP request other than a visit was answered.
    pub fn http_request(&self, labels: HttpLabels, duration: Duration) {
        self.http_durations
            .get_or_create(&labels)
            .observe(duration.as_secs_f64());
        self.http_requests.get_or_create(&labels).inc();
    }

    /// A visit to a short link was answered.
    pub fn redirect(&self, outcome: RedirectOutcome, duration: Duration) {
        self.redirect_counters[outcome as usize].inc();
        self.redirect_duration.observe(duration);
    }

    /// An API request was refused because its token's daily quota was used up.
    pub fn quota_rejected(&self) {
        self.quota_rejections.inc();
    }

    /// A roll-up pass ended.
    pub fn rollup_ran(&self, ok: bool, duration: Duration) {
        let result = if ok { RunResult::Ok } else { RunResult::Error };
        self.rollup_runs
            .get_or_create(&ResultLabels { result })
            .inc();
        self.rollup_duration.observe(duration.as_secs_f64());
    }

    /// Registers every handle (under the `openpxl_` prefix) in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        let r = registry;
        r.register(
            "http_requests",
            "HTTP requests answered (visits to short links excepted), by method, route template and status",
            self.http_requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests (visits excepted), by method, route template and status",
            self.http_durations.clone(),
        );
        r.register(
            "redirects",
            "Visits to short links answered, by outcome",
            self.redirects.clone(),
        );
        r.register(
            "redirect_duration_seconds",
            "Time to answer visits to short links",
            self.redirect_duration.clone(),
        );
        r.register(
            "quota_rejections",
            "API requests refused with 429 because the token's daily quota was used up",
            self.quota_rejections.clone(),
        );
        r.register(
            "recorder_batch_size",
            "Clicks per batch the recorder committed",
            self.recorder.batch_size.clone(),
        );
        r.register(
            "recorder_lag_seconds",
            "Time from a visit to the commit of its click, for the oldest click of each batch",
            self.recorder.lag.clone(),
        );
        r.register(
            "rollup_runs",
            "Roll-up passes over the closed days of clicks, by result",
            self.rollup_runs.clone(),
        );
        r.register(
            "rollup_duration_seconds",
            "Time a roll-up pass took",
            self.rollup_duration.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_indexes_its_own_counter() {
        for (index, outcome) in RedirectOutcome::ALL.into_iter().enumerate() {
            assert_eq!(outcome as usize, index, "{outcome:?}");
        }
    }

    #[test]
    fn a_redirect_moves_only_its_outcome() {
        let metrics = Metrics::new();
        metrics.redirect(RedirectOutcome::Preview, Duration::from_millis(1));
        let count = |outcome| {
            metrics
                .redirects
                .get_or_create(&OutcomeLabels { outcome })
                .get()
        };
        assert_eq!(count(RedirectOutcome::Preview), 1);
        assert_eq!(count(RedirectOutcome::Redirect), 0);
    }
}
