//! Faults of the database under a running server: a full disk and read-only files on
//! SQLite (on a small filesystem the test makes), and a Postgres outage. In each, every
//! visit answered keeps its click, `/readyz` says not ready while writes fail, the API
//! answers 503 (never 500), and once the fault is gone everything is written and the API
//! works again — without a restart.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, TestApp, TestDatabase};
use crate::small_disk::SmallDisk;

/// Polls `condition` every 20 ms until it holds, failing the test after `limit`.
pub async fn eventually<F: AsyncFnMut() -> bool>(limit: Duration, what: &str, mut condition: F) {
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn readyz(app: &TestApp) -> u16 {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Visits `route` `count` times at once; returns how many were answered with a redirect.
async fn visits(app: &TestApp, route: &str, count: usize) -> u64 {
    let path = format!("/{route}");
    let answered = join_all((0..count).map(|_| app.visit(DEFAULT_DOMAIN, &path, CHROME_WINDOWS)));
    answered.await.iter().filter(|r| r.status() == 302).count() as u64
}

/// An API write during a fault: it succeeds or says "try again" (503 with Retry-After);
/// never a 500.
async fn api_write_is_201_or_503(app: &TestApp, route: &str) -> u16 {
    let response = app
        .create_short(json!({"destination": "https://example.com/during", "route": route}))
        .await;
    let status = response.status().as_u16();
    assert!(
        matches!(status, 201 | 503),
        "API write during a fault: {status}"
    );
    if status == 503 {
        assert!(response.headers().contains_key("retry-after"));
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("try again"),
            "{body}"
        );
    }
    status
}

/// After a fault: every click served is stored exactly once, the counters agree, and the
/// API writes again.
async fn healed(app: &TestApp, route: &str, served: u64) {
    tokio::time::timeout(Duration::from_secs(30), app.flush_clicks())
        .await
        .expect("every click is written once the fault is gone");
    let status = app.server.state.clicks.status();
    assert_eq!(
        status.received, served,
        "every visit answered was handed over"
    );
    assert_eq!(status.pending, 0);
    let id = app.link_id(DEFAULT_DOMAIN, route).await;
    let (human, bot) = app.store().count_link_clicks(id).await.unwrap();
    assert_eq!(
        (human, bot),
        (served as i64, 0),
        "clicks stored == visits served"
    );
    assert_eq!(
        status.written, served,
        "what was reported written is what is stored"
    );
    eventually(
        Duration::from_secs(10),
        "/readyz is 200 again",
        async || readyz(app).await == 200,
    )
    .await;
    let short = app.get_short(&format!("{DEFAULT_DOMAIN}/{route}")).await;
    assert_eq!(short.status(), 200);
    assert_eq!(
        short.json::<Value>().await.unwrap()["data"]["clicks"],
        served
    );
    let created = app
        .create_short(json!({"destination": "https://example.com/after", "route": "after"}))
        .await;
    assert_eq!(
        created.status(),
        201,
        "the API writes again without a restart"
    );
    assert_eq!(visits(app, "after", 3).await, 3);
    app.flush_clicks().await;
    let id = app.link_id(DEFAULT_DOMAIN, "after").await;
    assert_eq!(app.store().count_link_clicks(id).await.unwrap(), (3, 0));
}

#[tokio::test]
async fn sqlite_on_a_full_disk_keeps_every_click_and_heals_without_a_restart() {
    let test = "sqlite_on_a_full_disk_keeps_every_click_and_heals_without_a_restart";
    let Some(disk) = SmallDisk::mount(16, test) else {
        return;
    };
    let db = TestDatabase::sqlite_at(&disk.path().join("openpxl.db"));
    let app = TestApp::spawn_on(db, |_| {}).await;
    app.created(json!({"destination": "https://example.com/full", "route": "full"}))
        .await;
    disk.fill();

    let mut served = 0;
    while app.server.state.clicks.status().last_error.is_none() {
        assert!(served < 50_000, "the recorder never met the full disk");
        served += visits(&app, "full", 250).await;
        app.server
            .state
            .clicks
            .flush_within(Duration::from_millis(300))
            .await;
    }
    assert_eq!(
        readyz(&app).await,
        503,
        "not ready while clicks cannot be written"
    );
    for attempt in 0..3 {
        api_write_is_201_or_503(&app, &format!("during{attempt}")).await;
    }
    // More visits are still answered, from the cache; their clicks wait in memory.
    served += visits(&app, "full", 100).await;
    let status = app.server.state.clicks.status();
    let id = app.link_id(DEFAULT_DOMAIN, "full").await;
    let (stored, _) = app.store().count_link_clicks(id).await.unwrap();
    assert_eq!(
        status.written, stored as u64,
        "nothing is reported written that is not stored"
    );
    assert_eq!(status.pending as u64, served - stored as u64);

    disk.free();
    healed(&app, "full", served).await;
}

#[tokio::test]
async fn sqlite_with_read_only_files_keeps_every_click_and_heals_without_a_restart() {
    let test = "sqlite_with_read_only_files_keeps_every_click_and_heals_without_a_restart";
    let Some(disk) = SmallDisk::mount(16, test) else {
        return;
    };
    let path = disk.path().join("openpxl.db");
    // The link and the token exist; then the server stops and the files become immutable
    // (read-only even for root): the next server opens them read-only.
    let token = {
        let mut app = TestApp::spawn_on(TestDatabase::sqlite_at(&path), |_| {}).await;
        app.created(json!({"destination": "https://example.com/ro", "route": "ro"}))
            .await;
        app.server.stop().await;
        app.token.clone()
    };
    let files = ["openpxl.db", "openpxl.db-wal", "openpxl.db-shm"].map(|f| disk.path().join(f));
    let chattr = |flag: &str| {
        for file in files.iter().filter(|f| f.exists()) {
            let status = std::process::Command::new("chattr")
                .arg(flag)
                .arg(file)
                .status()
                .expect("run chattr");
            assert!(status.success(), "chattr {flag} {}", file.display());
        }
    };
    chattr("+i");
    let mut app = TestApp::start_on(TestDatabase::sqlite_at(&path), |_| {}).await;
    app.token = token;
    let served = visits(&app, "ro", 50).await;
    assert!(
        app.request(Method::GET, "/api/v1/short")
            .send()
            .await
            .unwrap()
            .status()
            == 503,
        "the API says try again while the files are read-only"
    );
    eventually(
        Duration::from_secs(10),
        "the recorder meets the read-only files",
        async || app.server.state.clicks.status().last_error.is_some(),
    )
    .await;
    assert_eq!(readyz(&app).await, 503);

    chattr("-i");
    healed(&app, "ro", served).await;
}

#[tokio::test]
async fn a_postgres_outage_keeps_every_click_and_heals_without_a_restart() {
    let app = TestApp::spawn().await;
    if !app.db.postgres_only(
        "a_postgres_outage_keeps_every_click_and_heals_without_a_restart",
        "the outage is made by refusing connections to the Postgres database",
    ) {
        return;
    }
    app.created(json!({"destination": "https://example.com/pg", "route": "pg"}))
        .await;
    let mut served = visits(&app, "pg", 5).await;
    app.flush_clicks().await;

    app.db.set_reachable(false).await;
    served += visits(&app, "pg", 50).await;
    assert_eq!(
        served, 55,
        "redirects are served from the cache during the outage"
    );
    assert_eq!(readyz(&app).await, 503);
    let response = app
        .request(Method::GET, "/api/v1/short")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503, "an outage is 503, not 500");
    assert!(response.headers().contains_key("retry-after"));

    app.db.set_reachable(true).await;
    healed(&app, "pg", served).await;
}
