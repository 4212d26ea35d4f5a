//! A latency histogram for the redirect path, updated without a lock: fixed buckets
//! counted with relaxed atomics, read and summed only when scraped. (prometheus-client's
//! own `Histogram` takes a mutex per observation, which at tens of thousands of visits a
//! second on every core costs measurable throughput.) The exposition is still the
//! crate's: this type only hands it the sums and bucket counts.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeMetric, MetricEncoder, NoLabelSet},
    metrics::{MetricType, TypedMetric},
};

#[derive(Debug, Clone)]
pub struct AtomicHistogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Upper bounds in seconds, ascending.
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative); the last one is above every bound.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl AtomicHistogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            inner: Arc::new(Inner {
                bounds,
                counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
                sum_nanos: AtomicU64::new(0),
            }),
        }
    }

    pub fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        let bucket = self.inner.bounds.partition_point(|bound| *bound < seconds);
        self.inner.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.inner.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// (upper bound, observations in that bucket), ending with +Inf; and their total.
    fn snapshot(&self) -> (Vec<(f64, u64)>, u64) {
        let counts: Vec<u64> = self
            .inner
            .counts
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect();
        let bounds = self.inner.bounds.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds.zip(counts.iter().copied()).collect();
        (buckets, counts.iter().sum())
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let (buckets, count) = self.snapshot();
        let sum = self.inner.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let histogram = AtomicHistogram::new(&[0.001, 0.01]);
        histogram.observe(Duration::from_micros(500));
        histogram.observe(Duration::from_millis(1)); // on the bound: le="0.001"
        histogram.observe(Duration::from_millis(5));
        histogram.observe(Duration::from_secs(2));
        let (buckets, count) = histogram.snapshot();
        assert_eq!(buckets, [(0.001, 2), (0.01, 1), (f64::INFINITY, 1)]);
        assert_eq!(count, 4);
    }

    #[test]
    fn it_encodes_as_a_cumulative_histogram() {
        let mut registry = prometheus_client::registry::Registry::default();
        let histogram = AtomicHistogram::new(&[0.001]);
        registry.register("visit_seconds", "help", histogram.clone());
        histogram.observe(Duration::from_micros(250));
        histogram.observe(Duration::from_millis(3));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains("visit_seconds_bucket{le=\"0.001\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("visit_seconds_bucket{le=\"+Inf\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("visit_seconds_count 2\n"), "{text}");
        assert!(text.contains("visit_seconds_sum 0.00325\n"), "{text}");
    }
}
