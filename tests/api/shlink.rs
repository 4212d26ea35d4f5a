//! `openpxl import shlink`: against a stand-in for Shlink's REST API (v3) made here, which
//! answers `GET /rest/v3/short-urls` and `GET /rest/v3/short-urls/{shortCode}/visits` with
//! the documented response shapes, paged, and refuses a wrong `X-Api-Key` as Shlink does.

use axum::{
    Json, Router,
    extract::{Path, Query},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::{
    helpers::{CHROME_WINDOWS, TestApp},
    transfer::openpxl,
};

const KEY: &str = "b6e1a5c0-shlink-api-key";

fn page(data: Vec<Value>, current: usize, count: usize, total: usize) -> Value {
    json!({"data": data, "pagination": {"currentPage": current, "pagesCount": count,
           "itemsPerPage": 2, "itemsInCurrentPage": 0, "totalItems": total}})
}

fn short_url(code: &str, domain: Option<&str>, tags: &[&str], meta: Value) -> Value {
    json!({
        "shortCode": code,
        "shortUrl": format!("https://{}/{code}", domain.unwrap_or("s.test")),
        "longUrl": format!("https://example.com/{code}"),
        "dateCreated": "2024-05-01T10:00:00+02:00",
        "visitsSummary": {"total": 0, "nonBots": 0, "bots": 0},
        "tags": tags,
        "meta": meta,
        "domain": domain,
        "title": if code == "shop" { json!("The shop") } else { Value::Null },
        "crawlable": false,
        "forwardQuery": true,
    })
}

fn visit(date: &str, user_agent: &str, country: &str, bot: bool) -> Value {
    json!({
        "referer": "https://www.google.com/",
        "date": date,
        "userAgent": user_agent,
        "visitLocation": {"countryCode": country, "countryName": "", "regionName": "",
                          "cityName": "Berlin", "latitude": 0.0, "longitude": 0.0,
                          "timezone": "", "isEmpty": false},
        "potentialBot": bot,
        "visitedUrl": "",
    })
}

fn refused(headers: &HeaderMap) -> Option<Response> {
    (headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(KEY)).then(|| {
        let problem = json!({"title": "Invalid API key", "type": "https://shlink.io/api/error/invalid-api-key",
                             "detail": "Provided API key does not exist or is invalid.", "status": 401});
        (StatusCode::UNAUTHORIZED, Json(problem)).into_response()
    })
}

async fn short_urls(headers: HeaderMap, Query(query): Query<Vec<(String, String)>>) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    let page_number = query
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    let all = [
        short_url(
            "shop",
            None,
            &["Sale", "2024"],
            json!({"validSince": null, "validUntil": null, "maxVisits": null}),
        ),
        short_url(
            "docs",
            None,
            &[],
            json!({"validSince": null, "validUntil": "2030-01-01T00:00:00+00:00", "maxVisits": 100}),
        ),
        short_url(
            "promo",
            Some("go.shlink.test"),
            &["Sale"],
            json!({"validSince": null, "validUntil": null, "maxVisits": null}),
        ),
    ];
    let data: Vec<Value> = all
        .iter()
        .skip((page_number - 1) * 2)
        .take(2)
        .cloned()
        .collect();
    Json(json!({"shortUrls": page(data, page_number, 2, 3)})).into_response()
}

async fn visits(
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Some(refusal) = refused(&headers) {
        return refusal;
    }
    let page_number: usize = query
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    let domain = query
        .iter()
        .find(|(k, _)| k == "domain")
        .map(|(_, v)| v.as_str());
    // Newest first, as Shlink lists them; "shop" has two pages.
    let all: Vec<Value> = match (code.as_str(), domain) {
        ("shop", None) => vec![
            visit("2024-06-02T10:00:00+00:00", CHROME_WINDOWS, "JP", false),
            visit("2024-06-01T12:00:00+00:00", "Googlebot/2.1", "US", true),
            visit("2024-06-01T11:00:00+00:00", CHROME_WINDOWS, "DE", false),
        ],
        ("promo", Some("go.shlink.test")) => {
            vec![visit(
                "2024-06-03T09:00:00+00:00",
                CHROME_WINDOWS,
                "DE",
                false,
            )]
        }
        _ => vec![],
    };
    let pages = all.len().div_ceil(2).max(1);
    let data: Vec<Value> = all
        .iter()
        .skip((page_number - 1) * 2)
        .take(2)
        .cloned()
        .collect();
    Json(json!({"visits": page(data, page_number, pages, all.len())})).into_response()
}

/// The stand-in on a port of its own; its base URL.
async fn stand_in() -> String {
    let app = Router::new()
        .route("/rest/v3/short-urls", get(short_urls))
        .route("/rest/v3/short-urls/{code}/visits", get(visits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

// Two worker threads: the stand-in answers while the test waits for the command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shlink_moves_in_through_its_api_with_tags_limits_and_visits() {
    let shlink = stand_in().await;
    let target = TestApp::spawn().await;
    let run = |key: &str| {
        openpxl(
            &target.db,
            &[
                "import",
                "shlink",
                &shlink,
                "--api-key",
                key,
                "--org",
                "acme",
            ],
        )
    };
    let wrong = run("nope");
    assert!(!wrong.status.success());
    let said = String::from_utf8(wrong.stderr).unwrap();
    assert!(
        said.contains("answered 401") && said.contains("Invalid API key"),
        "{said}"
    );

    let first = run(KEY);
    let said = String::from_utf8(first.stderr).unwrap();
    assert!(first.status.success(), "{said}");
    assert!(
        said.contains("created 3 links with 4 clicks; skipped 0; failed 0"),
        "{said}"
    );
    assert!(said.contains("added the domain go.shlink.test"), "{said}");
    assert!(!said.contains(KEY), "the key is never printed: {said}");

    let shop: Value = target.get_short("shop").await.json().await.unwrap();
    assert_eq!(shop["data"]["destination"], "https://example.com/shop");
    assert_eq!(shop["data"]["title"], "The shop");
    assert_eq!(shop["data"]["tags"], json!(["2024", "Sale"]));
    assert_eq!(shop["data"]["createdAt"], "2024-05-01T08:00:00.000Z");
    assert_eq!(shop["data"]["clicks"], 2, "the potential bot is a bot");
    let docs: Value = target.get_short("docs").await.json().await.unwrap();
    assert_eq!(docs["data"]["maxClicks"], 100);
    assert_eq!(docs["data"]["expiresAt"], "2030-01-01T00:00:00.000Z");
    let promo: Value = target
        .get_short("go.shlink.test%2Fpromo")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(promo["data"]["clicks"], 1);

    let insight =
        crate::insight::insight(&target, "?datefrom=2024-06-01&dateto=2024-06-02&link=shop").await;
    assert_eq!(
        (insight["total"].as_i64(), insight["unique"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(insight["properties"]["source"][0]["value"], "google");

    let again = run(KEY);
    let said = String::from_utf8(again.stderr).unwrap();
    assert!(
        said.contains("created 0 links with 0 clicks; skipped 3"),
        "{said}"
    );
}
