//! Postgres's click dictionaries (migration 0019), as several instances use them: two
//! servers adding the same new values at the same time agree on one code each, and every
//! click reads back with exactly the values it was written with.

use futures_util::future::join_all;
use openpxl::store::{ClickRow, Pools, Store};
use serde_json::json;

use crate::helpers::{DEFAULT_DOMAIN, ORG, TestApp};

#[tokio::test]
async fn instances_adding_the_same_new_values_at_once_agree_on_their_codes() {
    let app = TestApp::spawn().await;
    if !app.db.postgres_only(
        "instances_adding_the_same_new_values_at_once_agree_on_their_codes",
        "the click dictionaries are Postgres's",
    ) {
        return;
    }
    app.created(json!({"destination": "https://example.com/", "route": "shared"}))
        .await;
    let link_id = app.link_id(DEFAULT_DOMAIN, "shared").await;
    let org_id = app.store().find_org_id(ORG).await.unwrap().unwrap();
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
    let mut instances = Vec::new();
    for _ in 0..4 {
        instances.push(
            Store::open(&app.db.url, Pools::for_command())
                .await
                .unwrap(),
        );
    }
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
    let url = app.db.url.clone();
    let entries = |sql: &'static str| {
        let url = url.clone();
        async move {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
            let count: i64 = sqlx::query_scalar(sql)
                .fetch_one(&mut connection)
                .await
                .unwrap();
            connection.close().await.unwrap();
            count
        }
    };
    let traits = "SELECT COUNT(*) FROM click_traits WHERE device LIKE 'Device %'";
    assert_eq!(entries(traits).await, 10);
    let origins = "SELECT COUNT(*) FROM click_origins WHERE source LIKE 'source %'";
    assert_eq!(entries(origins).await, 10);
    for store in instances {
        store.close().await;
    }
}
