//! How many insight requests one organization may have running at once on this instance.
//! An insight is the heaviest thing the API does (eleven aggregations side by side on the
//! analytics pool); without a limit one organization asking many at once would keep every
//! other organization's questions waiting. Beyond the limit the API answers 429 with
//! `Retry-After` at once, rather than queueing.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Insight requests running, per organization.
#[derive(Debug)]
pub struct InsightLimiter {
    per_org: usize,
    running: Arc<Mutex<HashMap<i64, usize>>>,
}

/// One running insight request; the place is given back when it is dropped.
#[derive(Debug)]
pub struct InsightPermit {
    org_id: i64,
    running: Arc<Mutex<HashMap<i64, usize>>>,
}

impl InsightLimiter {
    pub fn new(per_org: usize) -> Self {
        Self {
            per_org: per_org.max(1),
            running: Arc::default(),
        }
    }

    /// The most an organization may run at once.
    pub fn per_org(&self) -> usize {
        self.per_org
    }

    /// A place for one more insight of `org_id`, if it has fewer than the limit running.
    pub fn try_start(&self, org_id: i64) -> Option<InsightPermit> {
        let mut running = self.running.lock().expect("limiter lock");
        let count = running.entry(org_id).or_insert(0);
        if *count >= self.per_org {
            return None;
        }
        *count += 1;
        Some(InsightPermit {
            org_id,
            running: self.running.clone(),
        })
    }
}

impl Drop for InsightPermit {
    fn drop(&mut self) {
        let mut running = self.running.lock().expect("limiter lock");
        if let Some(count) = running.get_mut(&self.org_id) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.org_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_organization_has_its_own_limit_and_places_come_back() {
        let limiter = InsightLimiter::new(2);
        let a1 = limiter.try_start(1).unwrap();
        let _a2 = limiter.try_start(1).unwrap();
        assert!(limiter.try_start(1).is_none());
        let _b1 = limiter
            .try_start(2)
            .expect("another organization is not held back");
        drop(a1);
        assert!(limiter.try_start(1).is_some());
    }
}
