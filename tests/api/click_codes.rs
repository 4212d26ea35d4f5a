//! The click dictionaries (migration 0019 on Postgres, 0022 on SQLite), as several
//! instances use them: two servers adding the same new values at the same time agree on
//! one code each, and every click reads back with exactly the values it was written with.

use futures_util::future::join_all;
use openpxl::store::{ClickRow, Pools, Store};
use serde_json::json;

use crate::helpers::{DEFAULT_DOMAIN, ORG, TestApp};

/// An app with one link; its organization's id and the link's.
async fn app_with_link() -> (TestApp, i64, i64) {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/", "route": "link"}))
        .await;
    let link_id = app.link_id(DEFAULT_DOMAIN, "link").await;
    let org_id = app.store().find_org_id(ORG).await.unwrap().unwrap();
    (app, org_id, link_id)
}

/// The first column of every row `sql` returns, as a number, read straight from the test
/// database.
async fn scalars(app: &TestApp, sql: &'static str) -> Vec<i64> {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    let found = sqlx::query_scalar(sql)
        .fetch_all(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    found
}

#[tokio::test]
async fn instances_adding_the_same_new_values_at_once_agree_on_their_codes() {
    let (app, org_id, link_id) = app_with_link().await;
    // Ten combinations no instance has seen, each written by four instances at once;
    // values that a careless key would run together ("DE" + "Berlin" / "DEB" + "erlin").
    let click = |i: i64, instance: i64| ClickRow {
        org_id,
        link_id,
        at: 1_000 * (10 * instance + i),
        visitor: (10 * instance + i).to_be_bytes().to_vec(),
        country: if i % 2 == 0 { "DE" } else { "DEB" }.into(),
        city: if i % 2 == 0 { "Berlin" } else { "erlin" }.into(),
        device: format!("Device {}", i / 2),
        source: format!("source {i}"),
        campaign: (i % 3 == 0).then(|| format!("campaign {i}")),
        ..ClickRow::empty()
    };
    let instances = app.other_instances(4).await;
    let batches: Vec<Vec<ClickRow>> = (0..4)
        .map(|instance| (0..10).map(|i| click(i, instance)).collect())
        .collect();
    let written = join_all(
        instances
            .iter()
            .zip(&batches)
            .map(|(store, batch)| store.record_clicks(batch)),
    )
    .await;
    assert!(written.iter().all(Result::is_ok), "{written:?}");

    let mut expected: Vec<ClickRow> = batches.concat();
    expected.sort_by_key(|row| row.at);
    let mut stored = app.store().link_clicks(link_id).await.unwrap();
    stored.sort_by_key(|row| row.at);
    assert_eq!(stored, expected);
    // One entry per combination, whichever instance added it.
    let traits = "SELECT COUNT(*) FROM click_traits WHERE device LIKE 'Device %'";
    assert_eq!(scalars(&app, traits).await, [10]);
    let origins = "SELECT COUNT(*) FROM click_origins WHERE source LIKE 'source %'";
    assert_eq!(scalars(&app, origins).await, [10]);
    for store in instances {
        store.close().await;
    }
}

#[tokio::test]
async fn values_already_in_a_dictionary_spend_no_codes() {
    let (app, org_id, link_id) = app_with_link().await;
    let click = |at: i64, city: &str, source: &str| ClickRow {
        org_id,
        link_id,
        at,
        visitor: vec![0; 8],
        city: city.into(),
        source: source.into(),
        ..ClickRow::empty()
    };
    let first = Store::open(&app.db.url, Pools::for_command())
        .await
        .unwrap();
    first
        .record_clicks(&[click(1_000, "Known", "known source")])
        .await
        .unwrap();
    first.close().await;
    // A new instance has nothing cached: it asks for the known values with the new ones.
    let second = Store::open(&app.db.url, Pools::for_command())
        .await
        .unwrap();
    second
        .record_clicks(&[
            click(2_000, "Known", "known source"),
            click(3_000, "New", "new source"),
        ])
        .await
        .unwrap();
    second.close().await;

    // The new entries follow the known ones: asking for a known entry spent no code. (On
    // Postgres an insert spends an identity value even when it conflicts, so this checks
    // that known entries are found first; on SQLite a code is a rowid, which a conflicting
    // insert never spends, so there it holds by construction.)
    let traits = scalars(
        &app,
        "SELECT CAST(id AS BIGINT) FROM click_traits WHERE city IN ('Known', 'New') \
         ORDER BY city",
    )
    .await;
    assert_eq!(traits.len(), 2);
    assert_eq!(traits[1], traits[0] + 1, "{traits:?}");
    let origins = scalars(
        &app,
        "SELECT CAST(id AS BIGINT) FROM click_origins \
         WHERE source IN ('known source', 'new source') ORDER BY source",
    )
    .await;
    assert_eq!(origins.len(), 2);
    assert_eq!(origins[1], origins[0] + 1, "{origins:?}");
    assert_eq!(app.store().link_clicks(link_id).await.unwrap().len(), 3);
}
