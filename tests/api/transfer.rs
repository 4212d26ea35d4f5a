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
    assert_eq!(lines[2]["visitor"].as_str().unwrap().len(), 16);
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

/// The short object without `updatedAt` (an import's is its own).
async fn link_of(app: &TestApp, route: &str) -> Value {
    let mut link: Value = app.get_short(route).await.json().await.unwrap();
    link["data"].as_object_mut().unwrap().remove("updatedAt");
    link
}

async fn export_to(app: &TestApp, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("acme.jsonl");
    let output = openpxl(
        &app.db,
        &[
            "export",
            "--org",
            "acme",
            "--clicks",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    path
}

fn import(app: &TestApp, path: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = vec!["import", "jsonl", path.to_str().unwrap(), "--org", "acme"];
    args.extend_from_slice(extra);
    openpxl(&app.db, &args)
}

#[tokio::test]
async fn an_export_imported_into_an_empty_database_has_the_same_links_tags_and_history() {
    let source = app_with_history().await;
    let dir = tempfile::tempdir().unwrap();
    let path = export_to(&source, dir.path()).await;
    let target = TestApp::spawn().await;

    let dry = import(&target, &path, &["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stderr).contains("would create 2 links with 4 clicks"),
        "{}",
        text(&dry.stderr)
    );
    assert_eq!(target.list_shorts("").await.headers()["x-total-count"], "0");

    let imported = import(&target, &path, &[]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    assert!(
        text(&imported.stderr).contains("created 2 links with 4 clicks; skipped 0; failed 0"),
        "{}",
        text(&imported.stderr)
    );
    for route in ["a", "b"] {
        assert_eq!(
            link_of(&target, route).await,
            link_of(&source, route).await,
            "{route}"
        );
    }
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    // Per link: the organization's totals also hold the deleted link's click, which stays
    // behind (an export holds live links).
    for question in [
        "&link=a",
        "&link=b",
        "&link=a&outcome=variant:0",
        "&link=b&timezone=Asia/Tokyo",
    ] {
        let question = format!("?datefrom={today}&dateto={today}{question}");
        assert_eq!(
            crate::insight::insight(&target, &question).await,
            crate::insight::insight(&source, &question).await,
            "{question}"
        );
    }
    // The password still opens the imported link.
    let form = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(target.url("/b"))
        .header("host", DEFAULT_DOMAIN)
        .header("user-agent", CHROME_WINDOWS)
        .form(&[("password", "open sesame")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);

    // Again: everything is there, nothing is duplicated.
    let again = import(&target, &path, &[]);
    assert!(
        text(&again.stderr).contains("created 0 links with 0 clicks; skipped 2"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(link_of(&target, "a").await["data"]["clicks"], 3);
}

#[tokio::test]
async fn an_import_stopped_by_a_damaged_line_resumes_without_losing_or_doubling_anything() {
    let source = app_with_history().await;
    let dir = tempfile::tempdir().unwrap();
    let path = export_to(&source, dir.path()).await;
    let full = std::fs::read_to_string(&path).unwrap();
    // The header, link a with its three clicks, link b; then damage before b's click.
    let mut damaged: Vec<&str> = full.lines().take(6).collect();
    damaged.push("{\"type\": \"click\", \"link\": ");
    let damaged_path = dir.path().join("damaged.jsonl");
    std::fs::write(&damaged_path, damaged.join("\n")).unwrap();
    let target = TestApp::spawn().await;

    let stopped = import(&target, &damaged_path, &[]);
    assert!(!stopped.status.success());
    assert!(
        text(&stopped.stderr).contains("line 7"),
        "{}",
        text(&stopped.stderr)
    );
    assert_eq!(link_of(&target, "a").await["data"]["clicks"], 3);
    assert_eq!(
        target.get_short("b").await.status(),
        404,
        "b's clicks were cut off: not yet"
    );

    let resumed = import(&target, &path, &[]);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stderr).contains("created 1 links with 1 clicks; skipped 1"),
        "{}",
        text(&resumed.stderr)
    );
    for route in ["a", "b"] {
        assert_eq!(
            link_of(&target, route).await,
            link_of(&source, route).await,
            "{route}"
        );
    }
}

#[tokio::test]
async fn links_that_cannot_be_imported_are_named_with_their_reason() {
    let target = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let lines = [
        json!({"type": "openpxl-export", "version": 1, "organization": "x", "exportedAt": "2026-01-01T00:00:00Z"}),
        json!({"type": "link", "domain": DEFAULT_DOMAIN, "route": "ok", "destination": "https://example.com/", "createdAt": "2026-01-01T00:00:00Z"}),
        json!({"type": "link", "domain": DEFAULT_DOMAIN, "route": "bad dest", "destination": "ftp://x", "createdAt": "2026-01-01T00:00:00Z"}),
        json!({"type": "link", "domain": DEFAULT_DOMAIN, "route": "loop", "destination": format!("https://{DEFAULT_DOMAIN}/ok"), "createdAt": "2026-01-01T00:00:00Z"}),
        json!({"type": "link", "domain": "go.imported.test", "route": "x", "destination": "https://example.com/x", "createdAt": "2026-01-01T00:00:00Z"}),
        json!({"type": "link", "domain": DEFAULT_DOMAIN, "route": "ok", "destination": "https://example.com/twice", "createdAt": "2026-01-01T00:00:00Z"}),
    ];
    let text_lines: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&path, text_lines.join("\n")).unwrap();
    let output = import(&target, &path, &[]);
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert!(
        said.contains("created 2 links with 0 clicks; skipped 1; failed 2"),
        "{said}"
    );
    assert!(
        said.contains(&format!("failed {DEFAULT_DOMAIN}/bad dest:")),
        "{said}"
    );
    assert!(said.contains("redirect in a loop"), "{said}");
    assert!(said.contains("added the domain go.imported.test"), "{said}");
    assert_eq!(target.get_short("go.imported.test%2Fx").await.status(), 200);
    // Imported links keep their creation time.
    assert_eq!(
        link_of(&target, "ok").await["data"]["createdAt"],
        "2026-01-01T00:00:00.000Z"
    );
}

/// A click line for `link` (`domain/route`) at `at`, with the given text values.
fn click_line(link: &str, at: &str, values: &[(&str, &str)]) -> Value {
    let mut click = json!({"type": "click", "link": link, "at": at, "bot": false,
        "outcome": "destination", "visitor": "00112233445566ff", "country": "DE",
        "city": "Berlin", "device": "Mobile", "browser": "Safari", "os": "iOS",
        "referrer": "", "source": "direct", "medium": "none", "language": "de"});
    for (field, value) in values {
        click[*field] = json!(value);
    }
    click
}

#[tokio::test]
async fn clicks_keep_the_longest_values_the_recorder_writes_and_longer_ones_are_refused() {
    let target = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.jsonl");
    // 100 four-byte characters: the most the recorder keeps of a utm value.
    let widest = "\u{1F600}".repeat(100);
    let host = format!("{}.example", "a".repeat(245));
    let longest = [
        ("country", widest.as_str()),
        ("city", &widest),
        ("device", &widest),
        ("browser", &widest),
        ("os", &widest),
        ("language", &widest),
        ("referrer", &host),
        ("source", &widest),
        ("medium", &widest),
        ("campaign", &widest),
    ];
    let link = |route: &str| {
        json!({"type": "link", "domain": DEFAULT_DOMAIN, "route": route,
               "destination": "https://example.com/", "createdAt": "2026-01-01T00:00:00Z"})
    };
    let at = "2026-01-02T00:00:00.000Z";
    let longer = format!("{widest}a");
    let lines = [
        json!({"type": "openpxl-export", "version": 1, "organization": "x",
               "exportedAt": "2026-01-03T00:00:00Z"}),
        link("long"),
        click_line(&format!("{DEFAULT_DOMAIN}/long"), at, &longest),
        link("longer"),
        click_line(
            &format!("{DEFAULT_DOMAIN}/longer"),
            at,
            &[("campaign", &longer)],
        ),
        link("early"),
        click_line(
            &format!("{DEFAULT_DOMAIN}/early"),
            "1970-01-01T00:30:00+01:00",
            &[],
        ),
    ];
    let text_lines: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&path, text_lines.join("\n")).unwrap();

    let output = import(&target, &path, &[]);
    let said = text(&output.stderr);
    assert!(
        said.contains("created 1 links with 1 clicks; skipped 0; failed 2"),
        "{said}"
    );
    assert!(
        said.contains("click 0: campaign is 401 bytes long; a click keeps at most 400"),
        "{said}"
    );
    assert!(
        said.contains("between the years 1970 and 9999 in UTC"),
        "{said}"
    );

    // The kept click reads back with every value whole.
    let exported = export_to(&target, dir.path()).await;
    let clicks: Vec<Value> = std::fs::read_to_string(exported)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|record| record["type"] == "click")
        .collect();
    assert_eq!(clicks.len(), 1);
    for (field, value) in longest {
        assert_eq!(clicks[0][field], value, "{field}");
    }
}

#[tokio::test]
async fn the_dashboard_downloads_the_same_export() {
    let app = app_with_history().await;
    let mut person = crate::dashboard_helpers::owner(&app).await;
    let list = person.get("/dashboard/links").await;
    assert!(
        list.contains("/dashboard/links/export?format=jsonl&amp;clicks=1"),
        "{}",
        list.html
    );

    let download = person
        .get("/dashboard/links/export?format=jsonl&clicks=1")
        .await;
    assert_eq!(download.status, 200);
    let cli = openpxl(&app.db, &["export", "--org", "acme", "--clicks"]);
    // The same lines after the header (whose time differs).
    let body: Vec<&str> = download.html.lines().skip(1).collect();
    let printed = text(&cli.stdout);
    let expected: Vec<&str> = printed.lines().skip(1).collect();
    assert_eq!(body, expected);
    assert!(
        download
            .html
            .starts_with(r#"{"type":"openpxl-export","version":1,"organization":"acme""#)
    );

    let csv = person.get("/dashboard/links/export?format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.html.starts_with("domain,route,destination,"),
        "{}",
        csv.html
    );
    assert_eq!(csv.html.lines().count(), 3);
    let refused = person
        .get("/dashboard/links/export?format=csv&clicks=1")
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.contains("a CSV file holds one table"),
        "{}",
        refused.html
    );

    // Signed-out visitors get nothing.
    let stranger = crate::dashboard_helpers::Person::new(&app)
        .get("/dashboard/links/export?format=jsonl")
        .await;
    assert_ne!(stranger.status, 200);
    assert!(!stranger.html.contains("example.com"));
}

#[tokio::test]
async fn a_csv_file_is_read_by_its_column_names_and_a_rerun_doubles_nothing() {
    let target = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("links.csv");
    std::fs::write(
        &path,
        "Long URL,Slug,Title,Tags,Created_At,Clicks\n\
         https://example.com/spring,spring,Spring sale,\"Sale, 2027\",2024-05-01,12\n\
         https://example.com/no-route,,No route,,2024-05-02T10:00:00+02:00,0\n\
         ftp://example.com/,bad,Bad,,,\n\
         \"https://example.com/with,comma\",comma,\"Title, with comma\",,,\n",
    )
    .unwrap();
    let run = || {
        openpxl(
            &target.db,
            &["import", "csv", path.to_str().unwrap(), "--org", "acme"],
        )
    };
    let first = run();
    let said = text(&first.stderr);
    assert!(
        said.contains("created 3 links with 0 clicks; skipped 0; failed 1"),
        "{said}"
    );
    assert!(
        said.contains("failed short.test/bad: destination"),
        "{said}"
    );
    let spring = link_of(&target, "spring").await;
    assert_eq!(spring["data"]["tags"], json!(["2027", "Sale"]));
    assert_eq!(spring["data"]["createdAt"], "2024-05-01T00:00:00.000Z");
    let comma = link_of(&target, "comma").await;
    assert_eq!(
        comma["data"]["destination"],
        "https://example.com/with,comma"
    );
    assert_eq!(comma["data"]["title"], "Title, with comma");
    let found: Value = target
        .list_shorts("?q=no-route")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["data"][0]["createdAt"], "2024-05-02T08:00:00.000Z");

    let again = run();
    assert!(
        text(&again.stderr).contains("created 0 links with 0 clicks; skipped 3; failed 1"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(target.list_shorts("").await.headers()["x-total-count"], "3");

    // Without a destination column there is nothing to import.
    let headless = dir.path().join("headless.csv");
    std::fs::write(&headless, "name,link\na,b\n").unwrap();
    let refused = openpxl(
        &target.db,
        &["import", "csv", headless.to_str().unwrap(), "--org", "acme"],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("no destination column"),
        "{}",
        text(&refused.stderr)
    );
}

#[tokio::test]
async fn a_bitly_export_keeps_its_back_halves_and_branded_domains() {
    let target = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bitly.csv");
    std::fs::write(
        &path,
        "Title,Bitly link,Long URL,Custom back-halves,Tags,Date created,Clicks\n\
         Launch,https://bit.ly/3AbCdEf,https://example.com/launch,go.acme.test/launch,\"spring, web\",2024-05-01T10:00:00+0000,40\n\
         Plain,bit.ly/4XyZ,https://example.com/plain,,,2024-05-02 08:30:00,3\n\
         Broken,bit.ly/,https://example.com/broken,,,,\n",
    )
    .unwrap();
    let run = || {
        openpxl(
            &target.db,
            &["import", "csv", path.to_str().unwrap(), "--org", "acme"],
        )
    };
    let said = text(&run().stderr);
    assert!(
        said.contains("created 2 links with 0 clicks; skipped 0; failed 1"),
        "{said}"
    );
    assert!(said.contains("no back-half"), "{said}");
    assert!(said.contains("added the domain go.acme.test"), "{said}");

    let launch: Value = target.list_shorts("?q=launch").await.json().await.unwrap();
    let launch = &launch["data"][0];
    assert_eq!(launch["domain"], "go.acme.test");
    assert_eq!(launch["route"], "launch");
    assert_eq!(launch["tags"], json!(["spring", "web"]));
    assert_eq!(launch["createdAt"], "2024-05-01T10:00:00.000Z");
    // A link on Bitly's own domain keeps its back-half on this server's default domain.
    let plain = link_of(&target, "4XyZ").await;
    assert_eq!(plain["data"]["destination"], "https://example.com/plain");
    assert_eq!(plain["data"]["createdAt"], "2024-05-02T08:30:00.000Z");

    assert!(text(&run().stderr).contains("created 0 links with 0 clicks; skipped 2; failed 1"));
}

/// YOURLS's two tables as its installer creates them (includes/functions-install.php).
const YOURLS_TABLES: [&str; 2] = [
    "CREATE TABLE `yourls_url` (
       `keyword` varchar(100) BINARY NOT NULL,
       `url` text BINARY NOT NULL,
       `title` text CHARACTER SET utf8mb4,
       `timestamp` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
       `ip` varchar(41) NOT NULL,
       `clicks` INT(10) UNSIGNED NOT NULL,
       PRIMARY KEY (`keyword`), KEY `ip` (`ip`), KEY `timestamp` (`timestamp`)
     ) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    "CREATE TABLE `yourls_log` (
       `click_id` int(11) NOT NULL auto_increment,
       `click_time` datetime NOT NULL,
       `shorturl` varchar(100) BINARY NOT NULL,
       `referrer` varchar(200) NOT NULL,
       `user_agent` varchar(255) NOT NULL,
       `ip_address` varchar(41) NOT NULL,
       `country_code` char(2) NOT NULL,
       PRIMARY KEY (`click_id`), KEY `shorturl` (`shorturl`)
     ) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
];

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// A YOURLS database on the MariaDB server of the machine, with three links and their
/// clicks; its URL.
async fn yourls_database() -> String {
    use sqlx::Executor;
    let admin =
        std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let name = format!("yourls_{}", uuid::Uuid::new_v4().simple());
    let server = sqlx::MySqlPool::connect(&format!("{admin}/mysql")).await.expect(
        "MariaDB must run at 127.0.0.1:3306 (root, no password) for the YOURLS importer's tests",
    );
    server
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    server.close().await;
    let url = format!("{admin}/{name}");
    let yourls = sqlx::MySqlPool::connect(&url).await.unwrap();
    for table in YOURLS_TABLES {
        yourls.execute(table).await.unwrap();
    }
    yourls
        .execute(
            "INSERT INTO yourls_url (keyword, url, title, `timestamp`, ip, clicks) VALUES \
             ('launch', 'https://example.com/launch', 'Launch day', '2024-06-01 10:00:00', '127.0.0.1', 3), \
             ('Docs2', 'https://example.com/docs', '', '2024-06-02 11:00:00', '127.0.0.1', 1), \
             ('quiet', 'https://example.com/quiet', NULL, '2024-06-03 12:00:00', '127.0.0.1', 0)",
        )
        .await
        .unwrap();
    let log = format!(
        "INSERT INTO yourls_log (click_time, shorturl, referrer, user_agent, ip_address, country_code) VALUES \
         ('2024-06-05 08:00:00', 'launch', 'direct', '{IPHONE}', '203.0.113.1', 'DE'), \
         ('2024-06-05 09:00:00', 'launch', 'https://www.google.com/', '{IPHONE}', '203.0.113.1', 'DE'), \
         ('2024-06-06 09:00:00', 'launch', 'direct', '{CHROME_WINDOWS}', '198.51.100.7', 'JP'), \
         ('2024-06-06 10:00:00', 'Docs2', 'https://t.co/x', '{CHROME_WINDOWS}', '198.51.100.7', ''), \
         ('2024-06-06 11:00:00', 'launch', 'direct', 'curl/8.0', '192.0.2.1', ''), \
         ('2024-06-06 12:00:00', 'gone', 'direct', '{CHROME_WINDOWS}', '192.0.2.2', '')"
    );
    yourls.execute(log.as_str()).await.unwrap();
    yourls.close().await;
    url
}

#[tokio::test]
async fn a_yourls_database_moves_in_with_its_click_history() {
    let yourls = yourls_database().await;
    let target = TestApp::spawn().await;
    let run = |extra: &[&str]| {
        let mut args = vec!["import", "yourls", yourls.as_str(), "--org", "acme"];
        args.extend_from_slice(extra);
        openpxl(&target.db, &args)
    };
    let dry = run(&["--dry-run"]);
    assert!(
        text(&dry.stderr).contains("would create 3 links with 5 clicks"),
        "{}",
        text(&dry.stderr)
    );
    let first = run(&[]);
    let said = text(&first.stderr);
    assert!(first.status.success(), "{said}");
    assert!(
        said.contains("created 3 links with 5 clicks; skipped 0; failed 0"),
        "{said}"
    );
    assert!(
        !said.contains("203.0.113.1"),
        "no address in the output: {said}"
    );

    let launch = link_of(&target, "launch").await;
    assert_eq!(launch["data"]["destination"], "https://example.com/launch");
    assert_eq!(launch["data"]["title"], "Launch day");
    assert_eq!(launch["data"]["createdAt"], "2024-06-01T10:00:00.000Z");
    assert_eq!(launch["data"]["clicks"], 3, "the curl visit is a bot's");
    assert_eq!(
        link_of(&target, "Docs2").await["data"]["title"],
        Value::Null
    );
    assert_eq!(link_of(&target, "quiet").await["data"]["clicks"], 0);

    let insight = crate::insight::insight(
        &target,
        "?datefrom=2024-06-05&dateto=2024-06-06&link=launch",
    )
    .await;
    assert_eq!(
        (insight["total"].as_i64(), insight["unique"].as_i64()),
        (Some(3), Some(2))
    );
    let countries: Vec<(String, i64)> = insight["properties"]["country"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].as_str().unwrap().to_owned(),
                r["total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(countries, [("DE".to_owned(), 2), ("JP".to_owned(), 1)]);
    assert_eq!(insight["properties"]["source"][1]["value"], "google");
    assert_eq!(insight["properties"]["os"][0]["value"], "iOS");

    // Again: nothing doubled.
    let again = run(&[]);
    assert!(
        text(&again.stderr).contains("created 0 links with 0 clicks; skipped 3"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(link_of(&target, "launch").await["data"]["clicks"], 3);

    let (server, name) = yourls.rsplit_once('/').unwrap();
    let admin = sqlx::MySqlPool::connect(&format!("{server}/mysql"))
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_import_killed_halfway_resumes_to_exactly_the_whole_file() {
    const LINKS: usize = 20_000;
    let target = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut file = String::from(
        "{\"type\":\"openpxl-export\",\"version\":1,\"organization\":\"x\",\"exportedAt\":\"2026-01-01T00:00:00Z\"}\n",
    );
    for n in 0..LINKS {
        file.push_str(&format!(
            "{{\"type\":\"link\",\"domain\":\"{DEFAULT_DOMAIN}\",\"route\":\"k{n}\",\"destination\":\"https://example.com/{n}\",\"createdAt\":\"2026-01-01T00:00:00Z\"}}\n"
        ));
        for second in [1, 2] {
            file.push_str(&format!(
                "{{\"type\":\"click\",\"link\":\"{DEFAULT_DOMAIN}/k{n}\",\"at\":\"2026-01-02T00:00:0{second}Z\",\"bot\":false,\"outcome\":\"destination\",\"visitor\":\"{n:016x}0000000000000000\",\"country\":\"DE\",\"city\":\"Berlin\",\"device\":\"Desktop\",\"browser\":\"Chrome\",\"os\":\"Windows\",\"referrer\":\"\",\"source\":\"direct\",\"medium\":\"none\",\"language\":\"de\"}}\n"
            ));
        }
    }
    std::fs::write(&path, file).unwrap();
    let mut child = std::process::Command::new(BIN)
        .args(["import", "jsonl", path.to_str().unwrap(), "--org", "acme"])
        .env("DATABASE_URL", &target.db.url)
        .env("OPENPXL_DEFAULT_DOMAIN", DEFAULT_DOMAIN)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL: no chance to finish anything) once some batches are in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let done = live_links(&target).await;
        assert!(
            done < LINKS,
            "the import finished before it could be killed; make the file larger"
        );
        if done > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no batch was written in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = live_links(&target).await;
    assert!(killed_at > 0 && killed_at < LINKS, "{killed_at}");
    // Whole batches only: a link that is there has both its clicks.
    let first: Value = target.get_short("k0").await.json().await.unwrap();
    assert_eq!(first["data"]["clicks"], 2);

    let resumed = import(&target, &path, &[]);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stderr).contains(&format!("skipped {killed_at};")),
        "{}",
        text(&resumed.stderr)
    );
    assert_eq!(live_links(&target).await, LINKS);
    let day = crate::insight::insight(&target, "?datefrom=2026-01-02&dateto=2026-01-02").await;
    assert_eq!(day["total"].as_u64(), Some(2 * LINKS as u64));
    assert_eq!(day["unique"].as_u64(), Some(LINKS as u64));
}

/// How many live links there are, read from the database (an API request would also
/// write its quota, and wait behind the import's write transactions on SQLite).
async fn live_links(app: &TestApp) -> usize {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM links WHERE deleted_at IS NULL")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    connection.close().await.unwrap();
    usize::try_from(count).unwrap()
}

#[tokio::test]
async fn an_import_waits_for_a_write_lock_another_connection_holds_instead_of_failing() {
    use sqlx::Connection;
    let source = app_with_history().await;
    let dir = tempfile::tempdir().unwrap();
    let path = export_to(&source, dir.path()).await;
    let target = TestApp::spawn().await;
    // Another writer holds the lock the import's writes need: on SQLite the database's one
    // write lock (an import's transaction reads before it writes, and SQLite refuses a
    // transaction that has read the lock at once instead of letting it wait), on Postgres
    // the counters.
    let mut postgres_holder = None;
    let mut sqlite_holder = None;
    if target.db.is_postgres() {
        let mut connection = sqlx::PgConnection::connect(&target.db.url).await.unwrap();
        for statement in ["BEGIN", "LOCK TABLE link_counters IN EXCLUSIVE MODE"] {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .unwrap();
        }
        postgres_holder = Some(connection);
    } else {
        let mut connection = sqlx::SqliteConnection::connect(&target.db.url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut connection)
            .await
            .unwrap();
        sqlite_holder = Some(connection);
    }

    let mut import = Command::new(BIN)
        .args(["import", "jsonl", path.to_str().unwrap(), "--org", "acme"])
        .env("DATABASE_URL", &target.db.url)
        .env("OPENPXL_DEFAULT_DOMAIN", DEFAULT_DOMAIN)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run openpxl");
    // The lock is held for two seconds: the import must still be waiting when it is let go.
    let held_until = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < held_until {
        if import.try_wait().unwrap().is_some() {
            let output = import.wait_with_output().unwrap();
            panic!(
                "the import ended while another connection held the lock: {}",
                text(&output.stderr)
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if let Some(mut connection) = postgres_holder {
        sqlx::query("ROLLBACK")
            .execute(&mut connection)
            .await
            .unwrap();
    }
    if let Some(mut connection) = sqlite_holder {
        sqlx::query("ROLLBACK")
            .execute(&mut connection)
            .await
            .unwrap();
    }

    let output = tokio::task::spawn_blocking(move || import.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("created 2 links with 4 clicks"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(link_of(&target, "a").await["data"]["clicks"], 3);
}
