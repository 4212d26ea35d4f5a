//! `openpxl export` and `openpxl import jsonl`, run as real processes against the test
//! databases: every live link with its tags, rules and clicks, in JSON lines (each link
//! followed by its clicks) or CSV; and the round trip into an empty database.

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::helpers::{CHROME_WINDOWS, DEFAULT_DOMAIN, TestApp, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_openpxl");

pub fn openpxl(db: &TestDatabase, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("OPENPXL_DEFAULT_DOMAIN", DEFAULT_DOMAIN)
        .env_remove("RUST_LOG")
        .output()
        .expect("run openpxl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Three links (one with tags, rules and a password; one deleted), some clicks.
pub async fn app_with_history() -> TestApp {
    let app = TestApp::spawn().await;
    app.created(
        json!({"destination": "https://example.com/a", "route": "a", "title": "A",
                       "tags": ["Launch", "2027"],
                       "rules": [{"when": {"os": "iOS"}, "destination": "https://apps.example/"}],
                       "variants": [{"destination": "https://example.com/a1", "weight": 1},
                                    {"destination": "https://example.com/a2", "weight": 3}]}),
    )
    .await;
    app.created(json!({"destination": "https://example.com/b", "route": "b",
                       "password": "open sesame", "maxClicks": 10}))
        .await;
    app.created(json!({"destination": "https://example.com/gone", "route": "gone"}))
        .await;
    for _ in 0..3 {
        app.visit(DEFAULT_DOMAIN, "/a", CHROME_WINDOWS).await;
    }
    app.visit(DEFAULT_DOMAIN, "/b", CHROME_WINDOWS).await; // the password form
    app.visit(DEFAULT_DOMAIN, "/gone", CHROME_WINDOWS).await;
    app.flush_clicks().await;
    app.delete_short("gone").await;
    app
}

#[tokio::test]
async fn jsonl_holds_each_live_link_followed_by_its_clicks() {
    let app = app_with_history().await;
    let output = openpxl(&app.db, &["export", "--org", "acme", "--clicks"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("exported 2 links and 4 clicks"),
        "{}",
        text(&output.stderr)
    );
    let lines: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "openpxl-export",
            "link",
            "click",
            "click",
            "click",
            "link",
            "click"
        ]
    );
    assert_eq!(lines[0]["organization"], "acme");
    assert_eq!(lines[1]["route"], "a");
    assert_eq!(lines[1]["tags"], json!(["2027", "Launch"]));
    assert_eq!(lines[1]["clicks"], 3);
    assert_eq!(lines[1]["rules"][0]["destination"], "https://apps.example/");
    assert_eq!(lines[2]["link"], format!("{DEFAULT_DOMAIN}/a"));
    assert!(
        lines[2]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("variant:")
    );
    assert_eq!(lines[2]["visitor"].as_str().unwrap().len(), 32);
    assert!(
        lines[5]["passwordHash"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(lines[6]["outcome"], "password");
    assert!(
        !text(&output.stdout).contains("gone"),
        "deleted links stay out"
    );

    // Links only.
    let links_only = openpxl(&app.db, &["export", "--org", "acme"]);
    assert_eq!(text(&links_only.stdout).lines().count(), 3);
}

#[tokio::test]
async fn csv_writes_a_links_table_and_a_clicks_table_beside_it() {
    let app = app_with_history().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("links.csv");
    let path_text = path.to_str().unwrap();
    let output = openpxl(
        &app.db,
        &[
            "export", "--org", "acme", "--clicks", "--format", "csv", "--output", path_text,
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let links = std::fs::read_to_string(&path).unwrap();
    let mut rows = links.lines();
    assert_eq!(
        rows.next().unwrap(),
        "domain,route,destination,title,description,tags,clicks,createdAt,expiresAt,\
         expiredDestination,disabled,maxClicks"
    );
    let first = rows.next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{DEFAULT_DOMAIN},a,https://example.com/a,A,,\"2027,Launch\",3,"
        )),
        "{first}"
    );
    assert_eq!(links.lines().count(), 3);
    let clicks = std::fs::read_to_string(dir.path().join("links.clicks.csv")).unwrap();
    assert!(
        clicks.starts_with("link,at,bot,outcome,visitor,"),
        "{clicks}"
    );
    assert_eq!(clicks.lines().count(), 5);

    // An existing file is never overwritten; two CSV files need a name; an unknown
    // organization is named.
    let again = openpxl(&app.db, &["export", "--org", "acme", "--output", path_text]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("never overwritten"),
        "{}",
        text(&again.stderr)
    );
    let to_stdout = openpxl(
        &app.db,
        &["export", "--org", "acme", "--clicks", "--format", "csv"],
    );
    assert!(text(&to_stdout.stderr).contains("give --output FILE"));
    let unknown = openpxl(&app.db, &["export", "--org", "nobody"]);
    assert!(text(&unknown.stderr).contains("no organization \"nobody\""));
}
