//! A hard crash loses a bounded amount: `openpxl serve` killed with SIGKILL under load
//! loses at most the recorder's backlog, which is bounded by time at the write rate (a
//! quarter second of writing, at least 1,000 clicks), plus the clicks of the last flush
//! interval.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use openpxl::store::{Pools, Store};
use serde_json::json;

use crate::{
    helpers::{CHROME_WINDOWS, TestDatabase},
    process::start_serve,
};

#[tokio::test]
async fn sigkill_under_load_loses_no_more_than_the_bounded_backlog() {
    kill_under_load(TestDatabase::new().await, false).await;
}

#[tokio::test]
async fn sigkill_loses_no_more_than_the_bound_when_the_database_is_slow() {
    let db = TestDatabase::new().await;
    if !db.postgres_only(
        "sigkill_loses_no_more_than_the_bound_when_the_database_is_slow",
        "the slow database is a Postgres trigger that sleeps",
    ) {
        return;
    }
    kill_under_load(db, true).await;
}

/// Every statement that writes clicks takes 300 ms longer: the recorder falls behind the
/// visits, and its backlog must stay bounded by time all the same.
async fn slow_down_click_writes(db: &TestDatabase) {
    db.execute_on_postgres(&[
        "CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$",
        "CREATE TRIGGER slow_clicks AFTER INSERT ON click_rows \
         FOR EACH STATEMENT EXECUTE FUNCTION slow_down()",
    ])
    .await;
}

async fn kill_under_load(db: TestDatabase, slow_writes: bool) {
    let token = "opxl_sigkill_test_token_0123456789abcdef";
    let (mut process, address, _) = start_serve(
        &db,
        &[
            ("OPENPXL_BOOTSTRAP_TOKEN", token),
            ("OPENPXL_DEFAULT_DOMAIN", "short.test"),
        ],
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let created = client
        .post(format!("http://{address}/api/v1/short"))
        .bearer_auth(token)
        .json(&json!({"destination": "https://example.com", "route": "load"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    if slow_writes {
        slow_down_click_writes(&db).await;
    }

    let served = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..32)
        .map(|_| {
            let (client, served, stop) = (client.clone(), served.clone(), stop.clone());
            let url = format!("http://{address}/load");
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let visit = client
                        .get(&url)
                        .header("host", "short.test")
                        .header("user-agent", CHROME_WINDOWS)
                        .send()
                        .await;
                    match visit {
                        Ok(response) if response.status() == 302 => {
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(response) => panic!("visit answered {}", response.status()),
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Kill it in full swing: once 10,000 visits have been answered (3,000 when the
    // database is slow: visits then wait for room in the backlog).
    let enough = if slow_writes { 3_000 } else { 10_000 };
    let started = Instant::now();
    while served.load(Ordering::Relaxed) < enough {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the load is too slow"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut child = process.take_child();
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().unwrap();
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    let served = served.load(Ordering::Relaxed);
    let store = Store::open(&db.url, Pools::for_command()).await.unwrap();
    let link = store
        .resolve_link("short.test", "load")
        .await
        .unwrap()
        .unwrap();
    let (stored, bots) = store.count_link_clicks(link.id).await.unwrap();
    store.close().await;
    assert_eq!(bots, 0);
    let stored = stored as u64;
    // A click is handed over before its answer is sent: a visit cut off by the kill may
    // be stored without the client having seen its answer (at most one per connection).
    assert!(stored <= served + 32, "stored {stored}, served {served}");
    let lost = served.saturating_sub(stored);
    let rate = served as f64 / elapsed.as_secs_f64();
    // The backlog bound (a quarter second of writing, at least 1,000) plus the last
    // flush interval (a quarter second of visits).
    let bound = 1_000.0_f64.max(rate * 0.25) + rate * 0.25;
    eprintln!(
        "SIGKILL (slow writes: {slow_writes}) after {elapsed:?} of load: {served} visits served ({rate:.0}/s), {stored} \
         clicks stored, {lost} lost (bound {bound:.0}, {:.0} ms of visits)",
        lost as f64 / rate * 1000.0
    );
    assert!(
        (lost as f64) <= bound,
        "lost {lost} clicks, more than the bound of {bound:.0}"
    );
}
