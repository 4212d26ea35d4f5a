//! The daily request quota of a token (docs/API.md §3): the arithmetic and the response headers.
//!
//! Counting happens in the database ([`crate::store::Store::take_quota`]); this module is
//! pure, takes `now` as a parameter, and is unit-tested on its own.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, header::RETRY_AFTER};

use crate::timestamp::{Millis, iso, next_utc_midnight};

pub const LIMIT_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const REMAINING_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RESET_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-reset");
pub const LATENCY_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-latency");

/// A token's quota as it stands after the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyQuota {
    pub limit: i64,
    /// Requests left today after this one, never negative.
    pub remaining: i64,
    /// When the window resets: the next UTC midnight.
    pub reset_at: Millis,
}

impl DailyQuota {
    /// The quota after a request that brought today's count to `used`.
    pub fn after(limit: i64, used: i64, now: Millis) -> Self {
        Self {
            limit,
            remaining: (limit - used).max(0),
            reset_at: next_utc_midnight(now),
        }
    }

    /// The quota of a token that has no requests left today.
    pub fn exhausted(limit: i64, now: Millis) -> Self {
        Self::after(limit, limit, now)
    }

    /// Whole seconds until the reset, rounded up, at least 1: the `Retry-After` value.
    pub fn retry_after_secs(&self, now: Millis) -> i64 {
        ((self.reset_at - now + 999) / 1000).max(1)
    }

    /// The sentence a 429 carries.
    pub fn exhausted_message(&self, now: Millis) -> String {
        format!(
            "daily request limit of {} reached for this token; the quota resets at {} \
             (in {} seconds)",
            self.limit,
            iso(self.reset_at),
            self.retry_after_secs(now)
        )
    }

    /// Writes the `x-ratelimit-*` headers, and `Retry-After` when nothing is left.
    pub fn write_headers(&self, headers: &mut HeaderMap, latency: Duration, now: Millis) {
        headers.insert(LIMIT_HEADER, HeaderValue::from(self.limit));
        headers.insert(REMAINING_HEADER, HeaderValue::from(self.remaining));
        headers.insert(RESET_HEADER, HeaderValue::from(self.reset_at / 1000));
        let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        headers.insert(LATENCY_HEADER, HeaderValue::from(latency_ms));
        if self.remaining == 0 {
            headers.insert(RETRY_AFTER, HeaderValue::from(self.retry_after_secs(now)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIDNIGHT: Millis = 1_735_257_600_000; // 2024-12-27T00:00:00Z

    #[test]
    fn remaining_counts_down_and_never_goes_negative() {
        let now = MIDNIGHT + 1000;
        assert_eq!(DailyQuota::after(500, 1, now).remaining, 499);
        assert_eq!(DailyQuota::after(500, 500, now).remaining, 0);
        assert_eq!(DailyQuota::after(500, 501, now).remaining, 0);
    }

    #[test]
    fn the_window_resets_at_the_next_utc_midnight() {
        let quota = DailyQuota::after(10, 1, MIDNIGHT + 3_600_000);
        assert_eq!(quota.reset_at, MIDNIGHT + 86_400_000);
        assert_eq!(quota.retry_after_secs(MIDNIGHT + 3_600_000), 82_800);
        // A request at midnight itself belongs to the new day.
        assert_eq!(
            DailyQuota::after(10, 1, MIDNIGHT).reset_at,
            MIDNIGHT + 86_400_000
        );
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one_second() {
        let next = MIDNIGHT + 86_400_000;
        let quota = DailyQuota::exhausted(10, next - 1);
        assert_eq!(quota.retry_after_secs(next - 1), 1);
        assert_eq!(quota.retry_after_secs(next - 1500), 2);
    }

    #[test]
    fn headers_carry_the_numbers() {
        let now = MIDNIGHT + 5;
        let mut headers = HeaderMap::new();
        DailyQuota::after(3, 1, now).write_headers(&mut headers, Duration::from_millis(7), now);
        assert_eq!(headers[LIMIT_HEADER], "3");
        assert_eq!(headers[REMAINING_HEADER], "2");
        assert_eq!(
            headers[RESET_HEADER],
            ((MIDNIGHT + 86_400_000) / 1000).to_string().as_str()
        );
        assert_eq!(headers[LATENCY_HEADER], "7");
        assert!(headers.get(RETRY_AFTER).is_none());

        DailyQuota::exhausted(3, now).write_headers(&mut headers, Duration::ZERO, now);
        assert_eq!(headers[REMAINING_HEADER], "0");
        assert!(headers.get(RETRY_AFTER).is_some());
    }

    #[test]
    fn the_message_says_when_the_quota_resets() {
        let message = DailyQuota::exhausted(500, MIDNIGHT).exhausted_message(MIDNIGHT);
        assert!(message.contains("500"), "{message}");
        assert!(message.contains("2024-12-28T00:00:00.000Z"), "{message}");
    }
}
