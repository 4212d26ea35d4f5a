//! The time a visit is judged by (has the link expired?): the system's, or one a test
//! sets and moves, so expiry is tested at its instant without waiting for it.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use crate::timestamp::{self, Millis};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that shows `at` until it is [`set`](Self::set) to another time.
    pub fn manual(at: Millis) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(at))),
        }
    }

    /// Moves a manual clock (and every clone of it) to `at`; ignored by the system clock.
    pub fn set(&self, at: Millis) {
        if let Some(manual) = &self.manual {
            manual.store(at, Ordering::Relaxed);
        }
    }

    pub fn now(&self) -> Millis {
        match &self.manual {
            Some(manual) => manual.load(Ordering::Relaxed),
            None => timestamp::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_set_and_its_clones_follow() {
        let clock = Clock::manual(1_000);
        let clone = clock.clone();
        assert_eq!(clone.now(), 1_000);
        clock.set(5_000);
        assert_eq!(clone.now(), 5_000);
        let before = timestamp::now();
        assert!(Clock::system().now() >= before);
    }
}
