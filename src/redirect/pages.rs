//! The small HTML pages of the redirector: the link preview for social crawlers, the
//! favicon/consent page for people, and the 404. Askama templates (`templates/`), so every
//! value is HTML-escaped. Each page is sent with a strict Content-Security-Policy: no
//! scripts at all, styles only the one inline sheet by its hash, images from http(s).

use std::sync::LazyLock;

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::link_cache::RedirectTarget;

/// The one style sheet, inlined in every page and allowed by its hash.
const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f7f7f8;color:#1c1c1e}\
main{max-width:32rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.08);text-align:center}h1{font-size:1.3rem;overflow-wrap:anywhere}\
p{line-height:1.5;overflow-wrap:anywhere}.icon{border-radius:8px}.small{font-size:.85rem;color:#666}\
.choices{display:flex;gap:.75rem;justify-content:center;flex-wrap:wrap}\
.button{display:inline-block;padding:.6rem 1rem;border-radius:8px;border:1px solid #ccc;\
color:#1c1c1e;text-decoration:none}.primary{background:#2f6fed;border-color:#2f6fed;color:#fff}\
form{display:grid;gap:.6rem;text-align:left}input{font:inherit;padding:.55rem;border:1px solid #bbb;\
border-radius:8px}button{font:inherit;padding:.6rem 1rem;border-radius:8px;border:0;\
background:#2f6fed;color:#fff;cursor:pointer}";

static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| policy("'none'"));

/// The password page posts its form to itself.
static PASSWORD_PAGE_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| policy("'self'"));

fn policy(form_action: &str) -> HeaderValue {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    let policy = format!(
        "default-src 'none'; img-src http: https: data:; style-src 'sha256-{hash}'; \
         base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
}

#[derive(Template)]
#[template(path = "preview.html")]
struct PreviewPage<'a> {
    css: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    image: Option<&'a str>,
    destination: &'a str,
    short_url: String,
}

#[derive(Template)]
#[template(path = "interstitial.html")]
struct InterstitialPage<'a> {
    css: &'a str,
    title: &'a str,
    favicon: Option<&'a str>,
    consent: bool,
    destination: &'a str,
    destination_host: &'a str,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    css: &'a str,
}

#[derive(Template)]
#[template(path = "gone.html")]
struct GonePage<'a> {
    css: &'a str,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    css: &'a str,
    problem: Option<&'a str>,
}

fn page(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(body) => {
            let mut response = (status, Html(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY.clone(),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=0"),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer-when-downgrade"),
            );
            response
        }
        Err(error) => {
            tracing::error!(%error, "page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn title_of(target: &RedirectTarget) -> &str {
    target
        .title
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| target.destination.host_str().unwrap_or("Link"))
}

/// The Open Graph / Twitter card page for link-preview crawlers.
pub fn preview(target: &RedirectTarget) -> Response {
    let rendered = PreviewPage {
        css: CSS,
        title: title_of(target),
        description: target.description.as_deref(),
        image: target.image.as_deref(),
        destination: target.destination.as_str(),
        short_url: format!("https://{}/{}", target.domain, target.route),
    }
    .render();
    page(StatusCode::OK, rendered)
}

/// The page people see for links with a favicon or consent: shows them, then continues.
pub fn interstitial(target: &RedirectTarget, location: &str) -> Response {
    let rendered = InterstitialPage {
        css: CSS,
        title: title_of(target),
        favicon: target.favicon.as_deref(),
        consent: target.consent,
        destination: location,
        destination_host: target.destination.host_str().unwrap_or_default(),
    }
    .render();
    page(StatusCode::OK, rendered)
}

/// 404 for an unknown host or route.
pub fn not_found() -> Response {
    page(StatusCode::NOT_FOUND, NotFoundPage { css: CSS }.render())
}

/// The form a protected link asks for its password with (`problem`: why the last try
/// failed). It shows nothing of the link: not its destination, title or image.
pub fn password(status: StatusCode, problem: Option<&str>) -> Response {
    let mut response = page(status, PasswordPage { css: CSS, problem }.render());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        PASSWORD_PAGE_POLICY.clone(),
    );
    response
}

/// 410 for a link that has expired and has nowhere else to send visitors.
pub fn gone() -> Response {
    page(StatusCode::GONE, GonePage { css: CSS }.render())
}
