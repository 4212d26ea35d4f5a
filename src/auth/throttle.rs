//! Slowing down password guessing: failed sign-ins are counted per account and per client
//! address (in memory, on this instance; the address is never stored or logged). The
//! first few failures in a window cost nothing; after them each attempt must wait longer,
//! doubling up to a cap. A success clears the account's count.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures allowed before waits begin.
const FREE_FAILURES: u32 = 5;
/// Failures older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest wait.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Entries kept per map before old ones are swept.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// When the next attempt is allowed.
    fn next_allowed(&self) -> Instant {
        if self.count < FREE_FAILURES {
            return self.last;
        }
        let doublings = (self.count - FREE_FAILURES).min(16);
        let wait = Duration::from_secs(1 << doublings).min(MAX_WAIT);
        self.last + wait
    }
}

/// Which of the two limits holds an attempt back, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Account(Duration),
    Address(Duration),
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
}

impl SignInThrottle {
    /// Whether an attempt for `account` from `address` may go ahead now.
    pub fn check(&self, account: &str, address: IpAddr, now: Instant) -> Result<(), Held> {
        if let Some(wait) = wait(&self.accounts, account, now) {
            return Err(Held::Account(wait));
        }
        if let Some(wait) = wait(&self.addresses, &address, now) {
            return Err(Held::Address(wait));
        }
        Ok(())
    }

    pub fn failed(&self, account: &str, address: IpAddr, now: Instant) {
        count(&self.accounts, account.to_owned(), now);
        count(&self.addresses, address, now);
    }

    pub fn succeeded(&self, account: &str) {
        self.accounts.lock().expect("throttle lock").remove(account);
    }
}

fn wait<K, Q>(map: &Mutex<HashMap<K, Failures>>, key: &Q, now: Instant) -> Option<Duration>
where
    K: Eq + Hash + std::borrow::Borrow<Q>,
    Q: Eq + Hash + ?Sized,
{
    let map = map.lock().expect("throttle lock");
    let failures = map.get(key)?;
    let next = failures.next_allowed();
    (next > now && now.duration_since(failures.last) < WINDOW).then(|| next - now)
}

fn count<K: Eq + Hash>(map: &Mutex<HashMap<K, Failures>>, key: K, now: Instant) {
    let mut map = map.lock().expect("throttle lock");
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, f| now.duration_since(f.last) < WINDOW);
    }
    let entry = map.entry(key).or_insert(Failures {
        count: 0,
        last: now,
    });
    if now.duration_since(entry.last) >= WINDOW {
        entry.count = 0;
    }
    entry.count += 1;
    entry.last = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn a_few_failures_are_free_then_waits_double() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(throttle.check("a@x", HOME, start).is_ok());
            throttle.failed("a@x", HOME, start);
        }
        assert_eq!(
            throttle.check("a@x", OTHER, start),
            Err(Held::Account(Duration::from_secs(1)))
        );
        throttle.failed("a@x", HOME, start);
        assert_eq!(
            throttle.check("a@x", OTHER, start),
            Err(Held::Account(Duration::from_secs(2)))
        );
        assert!(
            throttle
                .check("a@x", OTHER, start + Duration::from_secs(2))
                .is_ok()
        );
        // The address that failed is held for every account.
        assert!(matches!(
            throttle.check("b@x", HOME, start),
            Err(Held::Address(_))
        ));
        // A success clears the account, and an old window is forgotten.
        throttle.succeeded("a@x");
        assert!(throttle.check("a@x", OTHER, start).is_ok());
        assert!(throttle.check("b@x", HOME, start + WINDOW).is_ok());
    }
}
