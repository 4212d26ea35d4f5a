//! The analytics of the dashboard: the organization's page, and the same panel on each
//! link's page. The numbers are the insight API's, from the same code
//! (`analytics::ask`); the whole state — range, zone, filters — lives in the query string,
//! so every view is a bookmarkable URL. Presets and custom dates; hourly buckets for one
//! day, daily ones otherwise; the browser's time zone (the script adds it; UTC without
//! one); breakdowns as bar lists whose rows add a filter; the link page's figures refresh
//! live through `/dashboard/links/{n}/live`.

use askama::Template;
use axum::{
    Json,
    extract::{Path, RawQuery, State},
    response::Response,
};
use jiff::ToSpan;
use serde_json::{Value, json};

use super::{
    chart,
    error::WebError,
    page::{self, Layout},
    session::Signed,
};
use crate::{
    analytics::{DateRange, Insight, PropertyCounts, ask::ask, params, range},
    auth::Caller,
    links::operations,
    operation_error::OperationError,
    state::AppState,
};

/// The parameters a view keeps in its address.
const KEPT: [&str; 12] = [
    "datefrom", "dateto", "timezone", "domain", "device", "browser", "OS", "country", "city",
    "medium", "source", "outcome",
];

/// The filters a breakdown row can add, with the names the query uses.
const FILTERABLE: [(&str, &str); 8] = [
    ("country", "country"),
    ("city", "city"),
    ("device", "device"),
    ("browser", "browser"),
    ("os", "OS"),
    ("source", "source"),
    ("medium", "medium"),
    ("outcome", "outcome"),
];

pub struct Preset {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

pub struct Filter {
    pub label: String,
    pub remove_href: String,
}

pub struct Row {
    pub value: String,
    pub total: i64,
    pub unique: i64,
    /// Share of the breakdown's largest row, 0–100.
    pub percent: i64,
    /// The address with this value as a filter (`None`: not filterable).
    pub href: Option<String>,
}

pub struct Breakdown {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

pub struct Point {
    pub label: String,
    pub total: i64,
    pub unique: i64,
}

/// Everything the analytics panel shows.
pub struct InsightPanel {
    pub base: String,
    pub presets: Vec<Preset>,
    pub datefrom: String,
    pub dateto: String,
    pub timezone: String,
    pub hidden: Vec<(String, String)>,
    pub filters: Vec<Filter>,
    pub recent: i64,
    pub total: i64,
    pub unique: i64,
    pub chart: String,
    pub points: Vec<Point>,
    pub breakdowns: Vec<Breakdown>,
    pub live_url: Option<String>,
    pub error: Option<String>,
}

/// The query's pairs, kept ones only.
fn kept_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, v)| KEPT.contains(&k.as_str()) && !v.trim().is_empty())
        .collect()
}

fn href(base: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return base.to_owned();
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{base}?{}", query.finish())
}

/// `pairs` with `name` set to `value` (or removed).
fn with(pairs: &[(String, String)], name: &str, value: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(value) = value {
        out.push((name.to_owned(), value.to_owned()));
    }
    out
}

/// Builds the panel of `query` for `link_id` (one link) or the whole organization.
async fn panel(
    state: &AppState,
    caller: &Caller,
    base: &str,
    query: &str,
    link: Option<String>,
    live_url: Option<String>,
) -> Result<InsightPanel, WebError> {
    let now = state.settings.clock.now();
    let pairs = kept_pairs(query);
    let timezone = pairs
        .iter()
        .find(|(k, _)| k == "timezone")
        .map_or_else(|| "UTC".to_owned(), |(_, v)| v.clone());
    let mut full_query = href("", &pairs).trim_start_matches('?').to_owned();
    if let Some(link) = &link {
        let mut serializer = url::form_urlencoded::Serializer::new(full_query);
        serializer.append_pair("link", link);
        full_query = serializer.finish();
    }
    let parsed = params::parse(&full_query, caller.org_id, now);
    let (insight, range, error) = match parsed {
        Ok(params) => {
            let range = params.range.clone();
            match ask(state, caller, params, now).await {
                Ok(insight) => (Some(insight), Some(range), None),
                Err(OperationError::Busy(message) | OperationError::TimedOut(message)) => {
                    (None, Some(range), Some(sentence(&message)))
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(problems) => (None, None, Some(sentence(&problems.join("; ")))),
    };
    let zone = range::zone(&timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let range = range.unwrap_or_else(|| DateRange::default_ending_today(zone.clone(), now));
    let today = DateRange::default_ending_today(zone, now).to;
    let presets = [
        ("Today", 0),
        ("7 days", 6),
        ("30 days", 29),
        ("90 days", 89),
    ]
    .into_iter()
    .map(|(label, days)| {
        let from = today.checked_sub(days.days()).unwrap_or(today);
        let chosen = with(
            &with(&pairs, "datefrom", Some(&from.to_string())),
            "dateto",
            Some(&today.to_string()),
        );
        Preset {
            label,
            href: href(base, &chosen),
            active: range.from == from && range.to == today,
        }
    })
    .collect();
    let filters = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "datefrom" | "dateto" | "timezone"))
        .map(|(k, v)| Filter {
            label: format!("{}: {v}", if k == "OS" { "OS" } else { k.as_str() }),
            remove_href: href(base, &with(&pairs, k, None)),
        })
        .collect();
    let hidden = pairs
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "datefrom" | "dateto" | "timezone"))
        .cloned()
        .collect();
    let insight = insight.unwrap_or_else(empty_insight);
    Ok(InsightPanel {
        base: base.to_owned(),
        presets,
        datefrom: range.from.to_string(),
        dateto: range.to.to_string(),
        timezone,
        hidden,
        filters,
        recent: insight.recent,
        total: insight.total,
        unique: insight.unique,
        chart: chart::series(&insight.grouped),
        points: insight
            .grouped
            .iter()
            .map(|g| Point {
                label: g.date.clone(),
                total: g.total,
                unique: g.unique,
            })
            .collect(),
        breakdowns: breakdowns(&insight, base, &pairs),
        live_url,
        error,
    })
}

fn empty_insight() -> Insight {
    Insight {
        recent: 0,
        total: 0,
        unique: 0,
        grouped: Vec::new(),
        properties: Default::default(),
    }
}

fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn breakdowns(insight: &Insight, base: &str, pairs: &[(String, String)]) -> Vec<Breakdown> {
    let p = &insight.properties;
    let lists: [(&'static str, &'static str, &Vec<PropertyCounts>); 10] = [
        ("Countries", "country", &p.country),
        ("Cities", "city", &p.city),
        ("Devices", "device", &p.device),
        ("Browsers", "browser", &p.browser),
        ("Operating systems", "os", &p.os),
        ("Sources", "source", &p.source),
        ("Media", "medium", &p.medium),
        ("Referrers", "referrer", &p.referrer),
        ("Languages", "language", &p.language),
        ("Outcomes", "outcome", &p.outcome),
    ];
    lists
        .into_iter()
        .map(|(title, dimension, counts)| {
            let top = counts.first().map_or(1, |c| c.total.max(1));
            let filter_name = FILTERABLE
                .iter()
                .find(|(d, _)| *d == dimension)
                .map(|(_, name)| *name);
            Breakdown {
                title,
                rows: counts
                    .iter()
                    .take(10)
                    .map(|c| Row {
                        value: c.value.clone(),
                        total: c.total,
                        unique: c.unique,
                        percent: c.total * 100 / top,
                        href: filter_name
                            .map(|name| href(base, &with(pairs, name, Some(&c.value)))),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard/analytics.html")]
struct AnalyticsPage {
    layout: Layout,
    panel: InsightPanel,
}

/// `GET /dashboard/analytics?...`: the organization's analytics.
pub async fn organization(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let panel = panel(
        &state,
        &signed.caller,
        "/dashboard/analytics",
        query.as_deref().unwrap_or_default(),
        None,
        None,
    )
    .await?;
    let page = AnalyticsPage {
        layout: Layout::new(&state, &signed, "analytics").await?,
        panel,
    };
    Ok(page::ok(page.render()))
}

/// The panel of one link's page.
pub async fn for_link(
    state: &AppState,
    caller: &Caller,
    number: i64,
    short_id: String,
    query: &str,
) -> Result<InsightPanel, WebError> {
    let base = format!("/dashboard/links/{number}");
    let live = href(&format!("{base}/live"), &kept_pairs(query));
    panel(state, caller, &base, query, Some(short_id), Some(live)).await
}

/// `GET /dashboard/links/{n}/live?...`: the link's figures now, for the live page.
pub async fn live(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<i64>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, WebError> {
    let link = operations::find_by_number(&state, &signed.caller, number).await?;
    let panel = for_link(
        &state,
        &signed.caller,
        number,
        link.short_id(),
        query.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(json!({
        "clicks": link.clicks,
        "recent": panel.recent,
        "total": panel.total,
        "unique": panel.unique,
        "chart": panel.chart,
    })))
}
