//! Values read when Prometheus scrapes, from where they already live: the click
//! recorder's counters, the database pools, the link cache.

use std::{fmt, sync::Arc};

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::{counter::ConstCounter, gauge::ConstGauge},
};

use crate::{clicks::ClickRecorder, link_cache::LinkResolver, store::Store};

/// Everything the server reports at scrape time.
pub struct ServerCollector {
    pub clicks: ClickRecorder,
    pub store: Store,
    pub links: Arc<LinkResolver>,
}

impl fmt::Debug for ServerCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCollector").finish_non_exhaustive()
    }
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> fmt::Result {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn as_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Collector for ServerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let e = &mut encoder;
        let clicks = self.clicks.status();
        counter(
            e,
            "clicks_queued",
            "Clicks handed to the recorder (one per visit served)",
            clicks.received,
        )?;
        counter(
            e,
            "clicks_written",
            "Clicks committed to the database",
            clicks.written,
        )?;
        gauge(
            e,
            "clicks_waiting",
            "Clicks handed over and not committed yet: what a crash now would lose",
            as_i64(clicks.pending),
        )?;
        gauge(
            e,
            "clicks_backlog_limit",
            "How many clicks may wait in memory right now (visits wait beyond it)",
            as_i64(clicks.backlog_limit),
        )?;
        counter(
            e,
            "clicks_dropped",
            "Clicks not stored: only rows the database refuses as invalid, each logged; \
             the recorder never drops a click for lack of room (visits wait instead)",
            clicks.refused,
        )?;

        let pools = self.store.pool_usage();
        let mut connections = e.encode_descriptor(
            "db_connections",
            "Database connections open, by pool (main, analytics) and state (in_use, idle)",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for pool in &pools {
            for (state, value) in [("in_use", pool.in_use), ("idle", pool.idle)] {
                ConstGauge::new(i64::from(value))
                    .encode(connections.encode_family(&[("pool", pool.name), ("state", state)])?)?;
            }
        }
        let mut most = e.encode_descriptor(
            "db_connections_max",
            "Most connections each pool may open",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for pool in &pools {
            ConstGauge::new(i64::from(pool.max))
                .encode(most.encode_family(&[("pool", pool.name)])?)?;
        }

        let cache = self.links.stats();
        counter(
            e,
            "link_cache_hits",
            "Visits whose link (or its absence) the cache knew",
            cache.hits,
        )?;
        counter(
            e,
            "link_cache_misses",
            "Visits whose link the cache did not know: looked up in the database, or waiting for \
             the lookup of the same link by another visit",
            cache.misses,
        )?;
        gauge(
            e,
            "link_cache_entries",
            "Links (and known absences) in the cache",
            as_i64(cache.entries),
        )?;
        gauge(
            e,
            "link_cache_capacity",
            "Most entries the cache keeps (OPENPXL_LINK_CACHE_SIZE)",
            i64::try_from(cache.capacity).unwrap_or(i64::MAX),
        )?;
        Ok(())
    }
}
