//! Tenants are isolated in capacity too: one organization flooding the insight API gets
//! 429s beyond its share and cannot slow another organization's API calls, and a question
//! that runs too long is cut off with a clear 503.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use openpxl::{store::ClickRow, timestamp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_DOMAIN, TestApp, error_message};

/// `count` human clicks of today on one new link of the app's organization, written
/// straight to the store (raw clicks: no roll-up answers for today).
async fn seed_clicks(app: &TestApp, count: usize) {
    app.created(json!({"destination": "https://example.com/busy", "route": "busy"}))
        .await;
    let link_id = app.link_id(DEFAULT_DOMAIN, "busy").await;
    let org_id = app
        .store()
        .find_org_id(crate::helpers::ORG)
        .await
        .unwrap()
        .unwrap();
    let now = timestamp::now();
    let rows: Vec<ClickRow> = (0..count)
        .map(|i| ClickRow {
            org_id,
            link_id,
            at: now - (i as i64 % 3_600_000),
            bot: false,
            outcome: openpxl::clicks::Outcome::Destination,
            visitor: (i as u64 % 5_000).to_be_bytes().to_vec(),
            country: ["DE", "US", "JP", "FR"][i % 4].into(),
            city: format!("city {}", i % 50),
            device: ["Desktop", "Mobile"][i % 2].into(),
            browser: ["Chrome", "Safari", "Firefox"][i % 3].into(),
            os: ["Windows", "iOS", "Android"][i % 3].into(),
            referrer: format!("site{}.example", i % 20),
            source: ["google", "direct"][i % 2].into(),
            medium: ["organic", "none"][i % 2].into(),
            campaign: None,
            language: ["en", "de"][i % 2].into(),
        })
        .collect();
    for chunk in rows.chunks(10_000) {
        app.store().record_clicks(chunk).await.unwrap();
    }
}

async fn timed_list(app: &TestApp, token: &str) -> Duration {
    let started = Instant::now();
    let response = app
        .request_as(token, Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "another organization's API call");
    started.elapsed()
}

#[tokio::test]
async fn one_organization_flooding_insight_cannot_slow_another_ones_api() {
    let app = TestApp::spawn().await;
    seed_clicks(&app, 100_000).await;
    // Its own daily quota must not be what stops it: a loop of two seconds may ask more
    // than the default 500 times.
    let other = app
        .issue_token("globex", "someone@globex.test", Some(1_000_000))
        .await;
    let mut normal = Vec::new();
    for _ in 0..20 {
        normal.push(timed_list(&app, &other).await);
    }
    normal.sort();
    let normal = normal[normal.len() / 2];

    // The flood: 24 insight requests at a time, again and again, for two seconds.
    let flood_until = Instant::now() + Duration::from_secs(2);
    let flood = async {
        let (mut answered, mut refused) = (0, 0);
        while Instant::now() < flood_until {
            let wave = (0..24).map(|_| app.request(Method::GET, "/api/v1/insight").send());
            for response in join_all(wave).await {
                let response = response.unwrap();
                match response.status().as_u16() {
                    200 => answered += 1,
                    429 => {
                        assert_eq!(response.headers()["retry-after"], "1");
                        refused += 1;
                    }
                    other => panic!("insight during the flood: {other}"),
                }
            }
        }
        (answered, refused)
    };
    let others = async {
        let mut slowest = Duration::ZERO;
        while Instant::now() < flood_until {
            slowest = slowest.max(timed_list(&app, &other).await);
        }
        slowest
    };
    let ((answered, refused), slowest) = tokio::join!(flood, others);
    eprintln!(
        "flood: {answered} insights answered, {refused} refused; another organization's \
         GET /short: normally {normal:?}, at worst {slowest:?} during the flood"
    );
    assert!(answered > 0, "the flooding organization still gets answers");
    assert!(refused > 0, "beyond its share it gets 429");
    assert!(
        slowest < normal + Duration::from_millis(500),
        "another organization's calls keep their time: normally {normal:?}, at worst {slowest:?}"
    );
}

#[tokio::test]
async fn an_insight_that_runs_too_long_is_cut_off_with_a_503() {
    let app = TestApp::spawn_with(|s| {
        s.analytics_timeout = Duration::from_millis(1);
        s.pools.analytics_timeout = Duration::from_millis(1);
    })
    .await;
    seed_clicks(&app, 20_000).await;
    let response = app
        .request(Method::GET, "/api/v1/insight")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("retry-after"));
    let message = error_message(response, 503).await;
    assert!(message.contains("took longer than"), "{message}");
    // The API itself is not affected.
    let list = app.list_shorts("").await;
    assert_eq!(list.status(), 200);
    assert_eq!(
        list.json::<Value>().await.unwrap()["data"][0]["route"],
        "busy"
    );
}
