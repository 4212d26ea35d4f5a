//! Link counters, folded in the background (migrations 0020 and 0021 on Postgres, 0024 on
//! SQLite): a batch of clicks leaves its counts per link pending, and folds move them into
//! the counters. A flush folds what any instance left pending, and folds running at the
//! same time as each other and as new batches count every click exactly once (on both
//! databases); a fold held up elsewhere holds up no timer's fold (Postgres, where several
//! instances fold at once).

use futures_util::future::join_all;
use openpxl::store::{ClickRow, Fold};
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{DEFAULT_DOMAIN, ORG, TestApp};

/// An app with the links `routes`; its organization's id and the links'. `None` on SQLite
/// for a test `postgres_only` (what it checks is Postgres's alone: rows of the previous
/// version's arrays, row locks).
async fn app_with_links(
    test: &str,
    routes: &[&str],
    postgres_only: bool,
) -> Option<(TestApp, i64, Vec<i64>)> {
    let app = TestApp::spawn().await;
    if postgres_only
        && !app.db.postgres_only(
            test,
            "rows of arrays and row locks of pending counts are Postgres's",
        )
    {
        return None;
    }
    let mut ids = Vec::new();
    for route in routes {
        app.created(json!({"destination": "https://example.com/", "route": route}))
            .await;
        ids.push(app.link_id(DEFAULT_DOMAIN, route).await);
    }
    let org_id = app.store().find_org_id(ORG).await.unwrap().unwrap();
    Some((app, org_id, ids))
}

fn human_click(org_id: i64, link_id: i64, at: i64) -> ClickRow {
    ClickRow {
        org_id,
        link_id,
        at,
        visitor: at.to_be_bytes().to_vec(),
        ..ClickRow::empty()
    }
}

async fn clicks_of(app: &TestApp, route: &str) -> i64 {
    let response = app.get_short(route).await;
    assert_eq!(response.status(), 200);
    response.json::<serde_json::Value>().await.unwrap()["data"]["clicks"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_flush_folds_the_counts_another_instance_left_pending() {
    let Some((app, org_id, links)) = app_with_links(
        "a_flush_folds_the_counts_another_instance_left_pending",
        &["elsewhere"],
        false,
    )
    .await
    else {
        return;
    };
    // Another instance writes three clicks and stops before folding them.
    let other = app.other_instances(1).await.remove(0);
    let clicks: Vec<ClickRow> = (1..=3)
        .map(|at| human_click(org_id, links[0], at))
        .collect();
    other.record_clicks(&clicks).await.unwrap();
    other.close().await;

    app.flush_clicks().await;
    assert_eq!(clicks_of(&app, "elsewhere").await, 3);
    // Folded once: another flush adds nothing.
    app.flush_clicks().await;
    assert_eq!(clicks_of(&app, "elsewhere").await, 3);
}

#[tokio::test]
async fn counts_an_instance_of_the_previous_version_left_as_arrays_are_folded_with_the_packed_ones()
{
    let Some((app, org_id, links)) = app_with_links(
        "counts_an_instance_of_the_previous_version_left_as_arrays_are_folded_with_the_packed_ones",
        &["old", "both"],
        true,
    )
    .await
    else {
        return;
    };
    // An instance of the previous version (migration 0020) left a batch's counts pending
    // as a row of arrays: 4 clicks of one link, 2 of the other, the last at 9,000.
    let mut old = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
    sqlx::query(
        "INSERT INTO link_counts_pending (links, orgs, clicks, last_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(vec![links[0], links[1]])
    .bind(vec![org_id, org_id])
    .bind(vec![4_i64, 2])
    .bind(vec![9_000_i64, 9_000])
    .execute(&mut old)
    .await
    .unwrap();
    // This version leaves 3 clicks of the second link pending, packed.
    let other = app.other_instances(1).await.remove(0);
    let clicks: Vec<ClickRow> = (1..=3)
        .map(|at| human_click(org_id, links[1], at))
        .collect();
    other.record_clicks(&clicks).await.unwrap();

    app.flush_clicks().await;
    assert_eq!(clicks_of(&app, "old").await, 4);
    assert_eq!(clicks_of(&app, "both").await, 5);
    let last: Vec<i64> = sqlx::query_scalar(
        "SELECT last_click_at FROM link_counters WHERE link_id = ANY($1) ORDER BY link_id",
    )
    .bind(vec![links[0], links[1]])
    .fetch_all(&mut old)
    .await
    .unwrap();
    assert_eq!(last, [9_000, 9_000], "the latest click of every row counts");
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM link_counts_pending) + (SELECT count(*) FROM link_counts_packed)",
    )
    .fetch_one(&mut old)
    .await
    .unwrap();
    assert_eq!(left, 0, "both kinds of rows are taken");
    // Folded once: another flush adds nothing.
    app.flush_clicks().await;
    assert_eq!(clicks_of(&app, "both").await, 5);
    other.close().await;
}

#[tokio::test]
async fn folds_at_the_same_time_as_each_other_and_as_new_batches_count_every_click_once() {
    let routes = ["f0", "f1", "f2"];
    let Some((app, org_id, links)) = app_with_links(
        "folds_at_the_same_time_as_each_other_and_as_new_batches_count_every_click_once",
        &routes,
        false,
    )
    .await
    else {
        return;
    };
    let instances = app.other_instances(4).await;
    // Each instance writes 10 batches (a click of each link, and more of the first) and
    // folds after each, all at once: half of them every pending row, half the rows no
    // other fold holds.
    let work = instances.iter().enumerate().map(|(instance, store)| {
        let links = links.clone();
        async move {
            for batch in 0..10_i64 {
                let at = 1_000 * (100 * instance as i64 + batch);
                let mut clicks: Vec<ClickRow> = links
                    .iter()
                    .map(|&link| human_click(org_id, link, at))
                    .collect();
                clicks.push(human_click(org_id, links[0], at + 1));
                store.record_clicks(&clicks).await.unwrap();
                let fold = if instance % 2 == 0 {
                    Fold::All
                } else {
                    Fold::Unclaimed
                };
                store.fold_link_counts(fold).await.unwrap();
            }
        }
    });
    join_all(work).await;
    app.flush_clicks().await;

    assert_eq!(clicks_of(&app, "f0").await, 80);
    assert_eq!(clicks_of(&app, "f1").await, 40);
    assert_eq!(clicks_of(&app, "f2").await, 40);
    for (route, link) in routes.iter().zip(&links) {
        let (human, _) = app.store().count_link_clicks(*link).await.unwrap();
        assert_eq!(clicks_of(&app, route).await, human, "{route}");
    }
    for store in instances {
        store.close().await;
    }
}

#[tokio::test]
async fn a_fold_held_up_elsewhere_is_skipped_by_the_timer_and_waited_for_by_a_flush_for_at_most_its_lock_timeout()
 {
    let Some((app, org_id, links)) = app_with_links(
        "a_fold_held_up_elsewhere_is_skipped_by_the_timer_and_waited_for_by_a_flush_for_at_most_its_lock_timeout",
        &["held"],
        true,
    )
    .await
    else {
        return;
    };
    let other = app.other_instances(1).await.remove(0);
    let clicks = |from: i64, count: i64| -> Vec<ClickRow> {
        (from..from + count)
            .map(|at| human_click(org_id, links[0], at))
            .collect()
    };
    // Two clicks pending, their row held by a fold that stalled on another instance (a
    // transaction that locked it and went quiet).
    other.record_clicks(&clicks(1, 2)).await.unwrap();
    let mut stalled = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
    let mut stalled_fold = stalled.begin().await.unwrap();
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM link_counts_packed FOR UPDATE) AS held",
    )
    .fetch_one(&mut *stalled_fold)
    .await
    .unwrap();
    assert_eq!(held, 1);
    other.record_clicks(&clicks(10, 3)).await.unwrap();

    // The timer's fold takes what no one holds, at once.
    other.fold_link_counts(Fold::Unclaimed).await.unwrap();
    assert_eq!(clicks_of(&app, "held").await, 3);
    // A fold of every row waits for the held one, but not for ever.
    let error = other.fold_link_counts(Fold::All).await.unwrap_err();
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|code| code.into_owned());
    assert_eq!(
        code.as_deref(),
        Some("55P03"),
        "lock_not_available: {error}"
    );
    assert_eq!(clicks_of(&app, "held").await, 3);

    // Once the stalled fold is gone, a flush folds the rest: nothing lost, nothing twice.
    stalled_fold.rollback().await.unwrap();
    app.flush_clicks().await;
    assert_eq!(clicks_of(&app, "held").await, 5);
    let (human, _) = app.store().count_link_clicks(links[0]).await.unwrap();
    assert_eq!(human, 5);
    other.close().await;
}
