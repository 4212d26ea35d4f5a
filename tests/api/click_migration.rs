//! Migration 0019 (and, on SQLite, 0022) on a database with clicks written before it:
//! every click reads back with the values it had (through the view `clicks` over narrow
//! rows and dictionaries, Postgres's since 0019, SQLite's since 0022), visitor keys become
//! their first 8 bytes on both databases, and clicks written after it follow the older
//! ones.

use openpxl::{
    clicks::Outcome,
    store::{ClickRow, Pools, Store},
};
use sqlx::Connection;

use crate::helpers::TestDatabase;

/// The migrations of `backend` before 0019, in a directory of their own.
fn migrations_before_0019(backend: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0019" {
            std::fs::copy(&path, dir.path().join(name)).unwrap();
        }
    }
    dir
}

/// Runs `statements` on the database, migrated up to 0018.
async fn at_0018(db: &TestDatabase, statements: &[&str]) {
    let backend = if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let dir = migrations_before_0019(backend);
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await.unwrap();
    if db.is_postgres() {
        let mut connection = sqlx::PgConnection::connect(&db.url).await.unwrap();
        migrator.run(&mut connection).await.unwrap();
        connection.close().await.unwrap();
        db.execute_on_postgres(statements).await;
    } else {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
            .unwrap()
            .create_if_missing(true);
        let mut connection = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        migrator.run(&mut connection).await.unwrap();
        for statement in statements {
            let statement = statement.replace("FALSE", "0").replace("TRUE", "1");
            sqlx::query(&statement)
                .execute(&mut connection)
                .await
                .unwrap();
        }
        connection.close().await.unwrap();
    }
}

#[tokio::test]
async fn migration_0019_keeps_every_click_and_cuts_visitor_keys_to_eight_bytes() {
    let db = TestDatabase::new().await;
    let blob = |hex: &str| {
        if db.is_postgres() {
            format!("'\\x{hex}'::bytea")
        } else {
            format!("x'{hex}'")
        }
    };
    let columns = "INSERT INTO clicks (org_id, link_id, at, bot, outcome, visitor, country, \
                   city, device, browser, os, referrer, source, medium, campaign, language) VALUES";
    let human = format!(
        "{columns} (1, 1, 1000, FALSE, '', {}, 'DE', 'Berlin', 'Desktop', 'Chrome', 'Windows', \
         'news.example', 'news.example', 'referral', NULL, 'de')",
        blob("000102030405060708090a0b0c0d0e0f")
    );
    let same_traits = format!(
        "{columns} (1, 1, 2000, FALSE, 'variant:1', {}, 'DE', 'Berlin', 'Desktop', 'Chrome', \
         'Windows', '', 'spring', 'email', 'launch', 'de')",
        blob("ffeeddccbbaa99887766554433221100")
    );
    let bot = format!(
        "{columns} (1, 1, 3000, TRUE, 'expired', {}, 'US', '', 'Desktop', 'curl', 'Unknown', \
         '', 'direct', 'none', '', 'en')",
        blob("00ff")
    );
    // A click without a visitor key (none is written today; a hand-made import could
    // once): it stays without one, on both databases, and counts as no visitor.
    let keyless = format!(
        "{columns} (1, 2, 4000, FALSE, '', NULL, 'DE', '', 'Desktop', 'Chrome', 'Windows', \
         '', 'direct', 'none', '', 'de')"
    );
    at_0018(
        &db,
        &[
            "INSERT INTO organizations (name, created_at) VALUES ('acme', 0)",
            "INSERT INTO links (org_id, domain, route, destination, created_at, updated_at) \
             VALUES (1, 'short.test', 'a', 'https://example.com/', 0, 0)",
            &human,
            &same_traits,
            &bot,
            "INSERT INTO links (org_id, domain, route, destination, created_at, updated_at) \
             VALUES (1, 'short.test', 'b', 'https://example.com/', 0, 0)",
            &keyless,
        ],
    )
    .await;

    let store = Store::open(&db.url, Pools::for_command()).await.unwrap();
    let rows = store.link_clicks(1).await.unwrap();
    let expected = [
        ClickRow {
            org_id: 1,
            link_id: 1,
            at: 1000,
            visitor: vec![0, 1, 2, 3, 4, 5, 6, 7],
            country: "DE".into(),
            city: "Berlin".into(),
            device: "Desktop".into(),
            browser: "Chrome".into(),
            os: "Windows".into(),
            referrer: "news.example".into(),
            source: "news.example".into(),
            medium: "referral".into(),
            language: "de".into(),
            ..ClickRow::empty()
        },
        ClickRow {
            org_id: 1,
            link_id: 1,
            at: 2000,
            outcome: Outcome::Variant(1),
            visitor: vec![0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88],
            country: "DE".into(),
            city: "Berlin".into(),
            device: "Desktop".into(),
            browser: "Chrome".into(),
            os: "Windows".into(),
            source: "spring".into(),
            medium: "email".into(),
            campaign: Some("launch".into()),
            language: "de".into(),
            ..ClickRow::empty()
        },
        ClickRow {
            org_id: 1,
            link_id: 1,
            at: 3000,
            bot: true,
            outcome: Outcome::Expired,
            visitor: vec![0, 0xff, 0, 0, 0, 0, 0, 0],
            country: "US".into(),
            device: "Desktop".into(),
            browser: "curl".into(),
            os: "Unknown".into(),
            source: "direct".into(),
            medium: "none".into(),
            language: "en".into(),
            ..ClickRow::empty()
        },
    ];
    assert_eq!(rows, expected);
    assert_eq!(store.count_link_clicks(1).await.unwrap(), (2, 1));
    let keyless: i64 = {
        let mut connection = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        let count = sqlx::query_scalar("SELECT COUNT(*) FROM clicks WHERE visitor IS NULL")
            .fetch_one(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
        count
    };
    assert_eq!(keyless, 1, "a click without a key keeps none");

    // A click written after the migration (a new combination of values, and one seen
    // before) comes after them.
    let later = ClickRow {
        at: 4000,
        visitor: vec![9; 8],
        country: "FR".into(),
        ..expected[0].clone()
    };
    let again = ClickRow {
        at: 5000,
        ..expected[1].clone()
    };
    store
        .record_clicks(&[later.clone(), again.clone()])
        .await
        .unwrap();
    let rows = store.link_clicks(1).await.unwrap();
    assert_eq!(rows[3..], [later, again]);
    assert_eq!(rows[..3], expected);
}
