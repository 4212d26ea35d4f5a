//! The Prometheus endpoint of a real server process (`OPENPXL_METRICS_LISTEN`): scraped
//! after API calls, visits of every outcome and a quota rejection, its counters must have
//! moved by exactly what was done; and it is off unless asked for, and never on the
//! public listener.

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::json;

use crate::{
    helpers::{CHROME_WINDOWS, TestDatabase},
    process::{issue_token_over_http, start_serve, terminate},
};

const TOKEN: &str = "opxl_metrics_test_token_0123456789abcdef0";
const CRAWLER: &str = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)";

/// The value of one series (`name{labels}` exactly as exposed, or a bare name).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

fn value(scrape: &str, series: &str) -> f64 {
    sample(scrape, series).unwrap_or_else(|| panic!("no series {series} in:\n{scrape}"))
}

async fn scrape(client: &Client, metrics: &str) -> String {
    let response = client
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let body = response.text().await.unwrap();
    assert!(body.ends_with("# EOF\n"), "{body}");
    body
}

/// Scrapes until `done` holds of the scrape, for at most ten seconds.
async fn scrape_until(client: &Client, metrics: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = scrape(client, metrics).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "still not there:\n{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_counters_move_with_the_traffic() {
    let db = TestDatabase::new().await;
    let (server, address, log) = start_serve(
        &db,
        &[
            ("OPENPXL_BOOTSTRAP_TOKEN", TOKEN),
            ("OPENPXL_DEFAULT_DOMAIN", "short.test"),
            ("OPENPXL_METRICS_LISTEN", "127.0.0.1:0"),
        ],
    );
    let metrics = log
        .lines()
        .find_map(|line| line.split("metrics_at=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no metrics address in the log:\n{log}"))
        .to_owned();
    let base = format!("http://{address}");
    let client = Client::builder().redirect(Policy::none()).build().unwrap();

    let before = scrape(&client, &metrics).await;
    for outcome in [
        "redirect",
        "preview",
        "interstitial",
        "not_found",
        "expired",
        "password",
        "unavailable",
    ] {
        let series = format!("openpxl_redirects_total{{outcome=\"{outcome}\"}}");
        assert_eq!(value(&before, &series), 0.0, "{series}");
    }
    assert_eq!(value(&before, "openpxl_clicks_dropped_total"), 0.0);

    // The API: one link made, one token with a daily limit of one, used twice.
    let created = client
        .post(format!("{base}/api/v1/short"))
        .bearer_auth(TOKEN)
        .json(&json!({"destination": "https://example.com/measured", "route": "measured"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let limited = issue_token_over_http(
        &client,
        &base,
        TOKEN,
        json!({"name": "one a day", "dailyLimit": 1}),
    )
    .await;
    for expected in [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS] {
        let listed = client
            .get(format!("{base}/api/v1/short"))
            .bearer_auth(&limited)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status(), expected);
    }

    // Visits: five sent on, one crawler shown the preview, one unknown route.
    let visit = |route: &'static str, user_agent: &'static str| {
        client
            .get(format!("{base}/{route}"))
            .header("host", "short.test")
            .header("user-agent", user_agent)
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            visit("measured", CHROME_WINDOWS).await.unwrap().status(),
            302
        );
    }
    assert_eq!(visit("measured", CRAWLER).await.unwrap().status(), 200);
    assert_eq!(
        visit("nowhere", CHROME_WINDOWS).await.unwrap().status(),
        404
    );

    // Every click answered is written (the crawler's too, marked as a bot), none dropped.
    let after = scrape_until(&client, &metrics, |body| {
        sample(body, "openpxl_clicks_written_total") == Some(6.0)
            && sample(body, "openpxl_rollup_runs_total{result=\"ok\"}").is_some_and(|n| n >= 1.0)
    })
    .await;
    let expected = [
        (
            "openpxl_http_requests_total{method=\"POST\",route=\"/api/v1/short\",status=\"201\"}",
            1.0,
        ),
        (
            "openpxl_http_requests_total{method=\"POST\",route=\"/api/v1/tokens\",status=\"201\"}",
            1.0,
        ),
        (
            "openpxl_http_requests_total{method=\"GET\",route=\"/api/v1/short\",status=\"200\"}",
            1.0,
        ),
        (
            "openpxl_http_requests_total{method=\"GET\",route=\"/api/v1/short\",status=\"429\"}",
            1.0,
        ),
        (
            "openpxl_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/short\",status=\"201\"}",
            1.0,
        ),
        ("openpxl_redirects_total{outcome=\"redirect\"}", 5.0),
        ("openpxl_redirects_total{outcome=\"preview\"}", 1.0),
        ("openpxl_redirects_total{outcome=\"not_found\"}", 1.0),
        ("openpxl_redirects_total{outcome=\"interstitial\"}", 0.0),
        ("openpxl_redirect_duration_seconds_count", 7.0),
        ("openpxl_quota_rejections_total", 1.0),
        ("openpxl_clicks_queued_total", 6.0),
        ("openpxl_clicks_written_total", 6.0),
        ("openpxl_clicks_waiting", 0.0),
        ("openpxl_clicks_dropped_total", 0.0),
        ("openpxl_recorder_batch_size_sum", 6.0),
    ];
    for (series, wanted) in expected {
        assert_eq!(value(&after, series), wanted, "{series} in:\n{after}");
    }
    assert!(value(&after, "openpxl_recorder_batch_size_count") >= 1.0);
    assert!(value(&after, "openpxl_recorder_lag_seconds_count") >= 1.0);
    assert!(value(&after, "openpxl_rollup_duration_seconds_count") >= 1.0);
    // Every visit asked the cache once. The unknown route was looked up (a miss), later
    // visits of the link found it cached; its first visit may have been a miss too,
    // unless the cache had already been told about the new link.
    let hits = value(&after, "openpxl_link_cache_hits_total");
    let misses = value(&after, "openpxl_link_cache_misses_total");
    assert!((1.0..=2.0).contains(&misses), "misses {misses}");
    assert!(hits >= 4.0, "hits {hits}");
    assert_eq!(hits + misses, 7.0);
    assert!(value(&after, "openpxl_link_cache_entries") >= 1.0);
    assert!(value(&after, "openpxl_link_cache_capacity") > 0.0);
    for pool in ["main", "analytics"] {
        assert!(
            value(
                &after,
                &format!("openpxl_db_connections_max{{pool=\"{pool}\"}}")
            ) > 0.0
        );
        let open = value(
            &after,
            &format!("openpxl_db_connections{{pool=\"{pool}\",state=\"idle\"}}"),
        ) + value(
            &after,
            &format!("openpxl_db_connections{{pool=\"{pool}\",state=\"in_use\"}}"),
        );
        assert!(open >= 1.0, "{pool}: {open}");
    }
    assert!(
        !after.contains("/measured") && !after.contains("nowhere"),
        "paths are never label values:\n{after}"
    );

    // The public listener does not serve the metrics: /metrics there is a short route.
    let public = client
        .get(format!("{base}/metrics"))
        .header("host", "short.test")
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    terminate(server);
}

#[tokio::test]
async fn metrics_are_off_unless_asked_for() {
    let db = TestDatabase::new().await;
    let (server, _address, mut log) = start_serve(&db, &[]);
    log.push_str(&terminate(server));
    assert!(log.contains("openpxl is serving"), "{log}");
    assert!(!log.contains("metrics_at"), "{log}");
}
