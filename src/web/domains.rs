//! The domains page: the organization's custom short domains with their live links, adding
//! and removing them (owners and admins; removal refused while links use the domain, with
//! a message), and what to set at the DNS provider.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    error::WebError,
    form::SignedForm,
    page::{self, Layout},
    session::Signed,
};
use crate::{accounts, operation_error::OperationError, state::AppState};

pub struct DomainRow {
    pub host: String,
    pub links: i64,
}

#[derive(Template)]
#[template(path = "dashboard/domains.html")]
struct DomainsPage {
    layout: Layout,
    default_domain: String,
    server_host: String,
    domains: Vec<DomainRow>,
    notice: Option<String>,
    error: Option<String>,
    form_host: String,
    host_error: Option<String>,
}

#[derive(Deserialize)]
pub struct DomainsQuery {
    added: Option<String>,
    removed: Option<String>,
}

async fn page(state: &AppState, signed: &Signed) -> Result<DomainsPage, WebError> {
    let mut domains = Vec::new();
    for host in accounts::domains(&state.store, &signed.caller).await? {
        let links = state.store.count_links_on(&host).await?;
        domains.push(DomainRow { host, links });
    }
    Ok(DomainsPage {
        layout: Layout::new(state, signed, "domains").await?,
        default_domain: state.settings.default_domain.clone(),
        server_host: state
            .settings
            .public_url
            .host_str()
            .unwrap_or_default()
            .to_owned(),
        domains,
        notice: None,
        error: None,
        form_host: String::new(),
        host_error: None,
    })
}

/// `GET /dashboard/domains`
pub async fn index(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<DomainsQuery>,
) -> Result<Response, WebError> {
    let mut view = page(&state, &signed).await?;
    view.notice = query
        .added
        .map(|host| format!("Added {host}. Point its DNS at this server (below)."))
        .or_else(|| query.removed.map(|host| format!("Removed {host}.")));
    Ok(page::ok(view.render()))
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `POST /dashboard/domains`
pub async fn add(State(state): State<AppState>, form: SignedForm) -> Result<Response, WebError> {
    let signed = &form.signed;
    match accounts::add_domain_as(&state.store, &signed.caller, &form.text("host")).await {
        Ok(host) => {
            state.links.invalidate_all();
            Ok(Redirect::to(&format!(
                "/dashboard/domains?added={}",
                encode(host.as_str())
            ))
            .into_response())
        }
        Err(error @ (OperationError::Invalid(_) | OperationError::Conflict(_))) => {
            let mut view = page(&state, signed).await?;
            view.form_host = form.text("host");
            view.host_error = Some(error.to_string());
            Ok(page::html(StatusCode::BAD_REQUEST, view.render()))
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /dashboard/domains/remove`
pub async fn remove(State(state): State<AppState>, form: SignedForm) -> Result<Response, WebError> {
    let signed = &form.signed;
    let host = form.text("host");
    match accounts::remove_domain_as(&state.store, &signed.caller, &host).await {
        Ok(()) => {
            state.links.invalidate_all();
            Ok(
                Redirect::to(&format!("/dashboard/domains?removed={}", encode(&host)))
                    .into_response(),
            )
        }
        Err(OperationError::Conflict(message)) => {
            let mut view = page(&state, signed).await?;
            view.error = Some(message);
            Ok(page::html(StatusCode::CONFLICT, view.render()))
        }
        Err(error) => Err(error.into()),
    }
}
