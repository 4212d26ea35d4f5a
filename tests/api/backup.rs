//! Backups taken while the server takes traffic, restored into a fresh database: SQLite
//! with `openpxl backup` / `openpxl restore`, PostgreSQL with the documented `pg_dump` /
//! `pg_restore` steps (docs/OPERATIONS.md, "Backups").

use std::{
    path::Path,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use openpxl::store::{Pools, Store, backup::Contents};
use reqwest::{Client, redirect::Policy};
use serde_json::{Value, json};

use crate::{
    helpers::{CHROME_WINDOWS, TestDatabase},
    process::{BIN, start_serve, terminate},
};

const TOKEN: &str = "opxl_backup_test_token_0123456789abcdef01";
const DOMAIN: &str = "short.test";
const LINKS: usize = 30;
const VISITS_PER_LINK: usize = 10;

async fn contents(url: &str) -> Contents {
    let store = Store::open(url, Pools::for_command()).await.unwrap();
    let contents = store.contents().await.unwrap();
    store.close().await;
    contents
}

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

async fn visit(client: &Client, base: &str, route: &str) -> reqwest::Response {
    client
        .get(format!("{base}/{route}"))
        .header("host", DOMAIN)
        .header("user-agent", CHROME_WINDOWS)
        .send()
        .await
        .unwrap()
}

async fn create(client: &Client, base: &str, route: &str) {
    let response = client
        .post(format!("{base}/api/v1/short"))
        .bearer_auth(TOKEN)
        .json(&json!({"destination": format!("https://example.com/{route}"), "route": route}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "create {route}");
}

/// Runs a command to its end, failing the test with its output if it fails.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("the command runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{command:?} failed: {stderr}");
    stderr
}

fn back_up(db: &TestDatabase, file: &Path) {
    if db.is_postgres() {
        run(Command::new("pg_dump")
            .arg("--format=custom")
            .arg(format!("--file={}", file.display()))
            .arg(&db.url));
    } else {
        let said = run(Command::new(BIN)
            .arg("backup")
            .arg(file)
            .env("DATABASE_URL", &db.url));
        assert!(said.contains("backed up"), "{said}");
    }
}

fn restore(fresh: &TestDatabase, file: &Path) {
    if fresh.is_postgres() {
        run(Command::new("pg_restore")
            .arg("--no-owner")
            .arg(format!("--dbname={}", fresh.url))
            .arg(file));
    } else {
        let said = run(Command::new(BIN)
            .arg("restore")
            .arg(file)
            .env("DATABASE_URL", &fresh.url));
        assert!(said.contains("restored"), "{said}");
    }
}

#[tokio::test]
async fn a_backup_taken_under_traffic_restores_every_link_token_and_click() {
    let db = TestDatabase::new().await;
    let env = [
        ("OPENPXL_BOOTSTRAP_TOKEN", TOKEN),
        ("OPENPXL_DEFAULT_DOMAIN", DOMAIN),
    ];
    let (server, address, _) = start_serve(&db, &env);
    let base = format!("http://{address}");
    let client = client();

    // Before the backup: links, a second token, and visits whose clicks are all stored.
    for i in 0..LINKS {
        create(&client, &base, &format!("l{i}")).await;
    }
    let issued: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second_token = issued["data"]["token"].as_str().unwrap().to_owned();
    for i in 0..LINKS * VISITS_PER_LINK {
        assert_eq!(
            visit(&client, &base, &format!("l{}", i % LINKS))
                .await
                .status(),
            302
        );
    }
    let before = LINKS * VISITS_PER_LINK;
    let deadline = Instant::now() + Duration::from_secs(30);
    while (contents(&db.url).await.clicks as usize) < before {
        assert!(
            Instant::now() < deadline,
            "the clicks were not stored in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The backup, while visits and new links keep coming.
    let stop = Arc::new(AtomicBool::new(false));
    let during = Arc::new(AtomicUsize::new(0));
    let traffic = tokio::spawn({
        let (stop, during, base, client) =
            (stop.clone(), during.clone(), base.clone(), client.clone());
        async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(
                    visit(&client, &base, &format!("l{}", i % LINKS))
                        .await
                        .status(),
                    302
                );
                if i % 10 == 0 {
                    create(&client, &base, &format!("during{i}")).await;
                }
                i += 1;
                during.store(i, Ordering::Relaxed);
            }
        }
    });
    while during.load(Ordering::Relaxed) < 20 {
        tokio::task::yield_now().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openpxl.backup");
    back_up(&db, &file);
    stop.store(true, Ordering::Relaxed);
    traffic.await.unwrap();
    assert!(
        during.load(Ordering::Relaxed) > 20,
        "traffic ran during the backup"
    );
    terminate(server);

    // Restored into a fresh database, everything from before the backup is there...
    let fresh = TestDatabase::new().await;
    restore(&fresh, &file);
    let restored = contents(&fresh.url).await;
    assert!(restored.links >= LINKS as i64, "{restored:?}");
    assert!(restored.tokens >= 2, "{restored:?}");
    assert!(restored.clicks >= before as i64, "{restored:?}");
    eprintln!(
        "before the backup: {LINKS} links, 2 tokens, {before} clicks; restored: {restored:?}"
    );

    // ...and the restored server serves it: both tokens, the clicks' counts (read before
    // the visits below add clicks), every link.
    let (server, address, _) = start_serve(&fresh, &env);
    let base = format!("http://{address}");
    for token in [TOKEN, second_token.as_str()] {
        let list = client
            .get(format!("{base}/api/v1/short?limit=1"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), 200, "a restored token works");
        assert_eq!(
            list.headers()["x-total-count"],
            restored.links.to_string().as_str()
        );
    }
    // The link counters came from the same snapshot as the clicks.
    let mut counted = 0;
    for i in 0..LINKS {
        let short: Value = client
            .get(format!("{base}/api/v1/short/{DOMAIN}/l{i}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counted += short["data"]["clicks"].as_i64().unwrap();
    }
    assert_eq!(counted, restored.clicks, "counters and clicks agree");
    for i in 0..LINKS {
        let response = visit(&client, &base, &format!("l{i}")).await;
        assert_eq!(response.status(), 302);
        assert_eq!(
            response.headers()["location"],
            format!("https://example.com/l{i}")
        );
    }
    terminate(server);
}

/// Runs `openpxl ARGS` on `db` and gives its stderr, expecting it to fail.
fn refused(db: &TestDatabase, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn backup_and_restore_refuse_what_would_lose_data_and_say_why() {
    let db = TestDatabase::new().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openpxl.backup");
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    if db.is_postgres() {
        // PostgreSQL has its own tools, and the message says which.
        let said = refused(&db, &[os("backup"), file.as_os_str()]);
        assert!(said.contains("pg_dump --format=custom"), "{said}");
    } else {
        sqlite_refusals(&db, &file).await;
    }
}

async fn sqlite_refusals(db: &TestDatabase, file: &Path) {
    let dir = file.parent().unwrap();
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let (server, _, _) = start_serve(db, &[]);
    back_up(db, file);
    let said = refused(db, &[os("backup"), file.as_os_str()]);
    assert!(said.contains("exists already"), "{said}");
    // The server's database is in use and not empty: not replaced without --replace.
    let said = refused(db, &[os("restore"), file.as_os_str()]);
    assert!(said.contains("restore with --replace"), "{said}");
    terminate(server);
    // Not a backup at all.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let fresh = TestDatabase::new().await;
    let said = refused(&fresh, &[os("restore"), junk.as_os_str()]);
    assert!(said.contains("is not a usable openpxl backup"), "{said}");
    // --replace keeps the old database beside the restored one.
    let restored = run(Command::new(BIN)
        .args([os("restore"), file.as_os_str(), os("--replace")])
        .env("DATABASE_URL", &db.url));
    assert!(restored.contains("before-restore-"), "{restored}");
}
