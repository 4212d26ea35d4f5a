//! The links pages: the searchable, paginated table; a link's page; the create and edit
//! forms (the API's own rules and sentences, shown next to each field); deleting with a
//! confirmation. Every change goes through `links::operations`, as the API's does.

use super::targeting_form::TargetingForm;
use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    error::WebError,
    form::SignedForm,
    page::{self, Layout},
    session::Signed,
};
use crate::{
    links::{
        ShortLink,
        input::{LinkInput, Purpose},
        operations, qr,
        search::LinkFilter,
        tags::split_tags,
    },
    operation_error::OperationError,
    state::AppState,
    timestamp,
};

const PER_PAGE: i64 = 25;

/// A link as the pages show it.
pub struct LinkView {
    pub number: i64,
    pub short: String,
    pub url: String,
    pub destination: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub favicon: Option<String>,
    pub consent: bool,
    pub clicks: i64,
    /// When it expires (or expired), ISO 8601 UTC.
    pub expires_iso: Option<String>,
    pub expired: bool,
    pub expired_destination: Option<String>,
    pub disabled: bool,
    pub max_clicks: Option<i64>,
    pub password_protected: bool,
    /// How many targeting rules and A/B variants it has.
    pub rules: usize,
    pub variants: usize,
    /// Its tags, each with the address of the links that carry it.
    pub tags: Vec<(String, String)>,
    pub created_iso: String,
    pub created_day: String,
}

impl LinkView {
    pub fn new(state: &AppState, link: ShortLink) -> Self {
        let scheme = state.settings.public_url.scheme();
        let created_iso = timestamp::iso(link.created_at);
        let (rules, variants) = (link.rules().len(), link.variants().len());
        let tags = link
            .tags()
            .into_iter()
            .map(|tag| {
                let href = list_href("", &tag, 1);
                (tag, href)
            })
            .collect();
        Self {
            number: link.id,
            url: link.url(scheme),
            short: link.short_id(),
            destination: link.destination,
            title: link.title,
            description: link.description,
            image: link.image,
            favicon: link.favicon,
            consent: link.consent,
            clicks: link.clicks,
            expires_iso: link.expires_at.map(timestamp::iso),
            expired: link
                .expires_at
                .is_some_and(|at| state.settings.clock.now() >= at),
            expired_destination: link.expired_destination,
            disabled: link.disabled,
            max_clicks: link.max_clicks,
            password_protected: link.password_hash.is_some(),
            rules,
            variants,
            tags,
            created_day: created_iso[..10].to_owned(),
            created_iso,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/links.html")]
struct LinksPage {
    layout: Layout,
    links: Vec<LinkView>,
    q: String,
    /// The tag the list is filtered by ('' for none).
    tag: String,
    /// The organization's tags in use, with how many links carry each.
    tags_in_use: Vec<(String, i64)>,
    /// Why `q` or `tag` cannot be searched for.
    problem: Option<String>,
    total: i64,
    page: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    notice: Option<String>,
    api_base: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    page: Option<String>,
    deleted: Option<String>,
}

/// The list's address with these words, tag and page.
fn list_href(q: &str, tag: &str, page: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if !tag.is_empty() {
        query.append_pair("tag", tag);
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        "/dashboard/links".to_owned()
    } else {
        format!("/dashboard/links?{query}")
    }
}

/// `GET /dashboard/links?q=&tag=&page=`
pub async fn index(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let q = query.q.trim().to_owned();
    let tag = query.tag.trim().to_owned();
    let tags: Vec<String> = (!tag.is_empty()).then(|| tag.clone()).into_iter().collect();
    let (filter, problem) = match LinkFilter::read(Some(&q), &tags) {
        Ok(filter) => (Some(filter), None),
        Err(problems) => (None, Some(problems.join(" "))),
    };
    let (links, total) = match &filter {
        Some(filter) => {
            operations::list(
                &state,
                &signed.caller,
                filter,
                PER_PAGE,
                (page - 1).saturating_mul(PER_PAGE),
            )
            .await?
        }
        None => (Vec::new(), 0),
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let view = LinksPage {
        layout: Layout::new(&state, &signed, "links").await?,
        links: links
            .into_iter()
            .map(|l| LinkView::new(&state, l))
            .collect(),
        total,
        page,
        pages,
        previous: (page > 1).then(|| list_href(&q, &tag, page - 1)),
        next: (page < pages).then(|| list_href(&q, &tag, page + 1)),
        q,
        tag,
        tags_in_use: operations::tags_in_use(&state, &signed.caller).await?,
        problem,
        notice: query.deleted.map(|short| format!("Deleted {short}.")),
        api_base: state
            .settings
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
    };
    Ok(page::ok(view.render()))
}

/// The values of the form's fields, as typed.
#[derive(Debug, Default)]
struct FormValues {
    domain: String,
    route: String,
    destination: String,
    title: String,
    description: String,
    image: String,
    favicon: String,
    consent: bool,
    /// As typed: an ISO 8601 instant, or empty for none.
    expires_at: String,
    expired_destination: String,
    disabled: bool,
    /// As typed: a whole number, or empty for no limit.
    max_clicks: String,
    /// A new password (empty: keep the one there is, if any).
    password: String,
    /// Whether the link has a password now (editing; set from the link, never the form).
    password_protected: bool,
    /// "Remove the password" ticked.
    remove_password: bool,
    /// Link-preview crawlers may see the card of a protected link.
    password_preview: bool,
    /// The rule builder's rows.
    targeting: TargetingForm,
    /// Tags, separated by commas.
    tags: String,
}

impl FormValues {
    fn of_link(link: &ShortLink) -> Self {
        Self {
            domain: link.domain.clone(),
            route: link.route.clone(),
            destination: link.destination.clone(),
            title: link.title.clone().unwrap_or_default(),
            description: link.description.clone().unwrap_or_default(),
            image: link.image.clone().unwrap_or_default(),
            favicon: link.favicon.clone().unwrap_or_default(),
            consent: link.consent,
            expires_at: link.expires_at.map(timestamp::iso).unwrap_or_default(),
            expired_destination: link.expired_destination.clone().unwrap_or_default(),
            disabled: link.disabled,
            max_clicks: link.max_clicks.map(|n| n.to_string()).unwrap_or_default(),
            password: String::new(),
            password_protected: link.password_hash.is_some(),
            remove_password: false,
            password_preview: link.password_preview,
            targeting: TargetingForm::of(&link.rules(), &link.variants()),
            tags: link.tags().join(", "),
        }
    }

    fn of_form(form: &SignedForm) -> Self {
        Self {
            domain: form.text("domain"),
            route: form.text("route"),
            destination: form.text("destination"),
            title: form.text("title"),
            description: form.text("description"),
            image: form.text("image"),
            favicon: form.text("favicon"),
            consent: matches!(form.get("consent"), Some("true" | "on")),
            expires_at: form.text("expiresAt"),
            expired_destination: form.text("expiredDestination"),
            disabled: matches!(form.get("disabled"), Some("true" | "on")),
            max_clicks: form.text("maxClicks"),
            password: form.text("password"),
            password_protected: false,
            remove_password: matches!(form.get("removePassword"), Some("true" | "on")),
            password_preview: matches!(form.get("passwordPreview"), Some("true" | "on")),
            targeting: TargetingForm::of_form(form),
            tags: form.text("tags"),
        }
    }

    /// The fields as the link input reader takes them (a form: empty means "not set").
    fn as_fields(&self, editing: bool) -> Map<String, Value> {
        let mut fields = Map::new();
        let texts = [
            ("route", &self.route),
            ("destination", &self.destination),
            ("title", &self.title),
            ("description", &self.description),
            ("image", &self.image),
            ("favicon", &self.favicon),
            ("expiresAt", &self.expires_at),
            ("expiredDestination", &self.expired_destination),
            ("maxClicks", &self.max_clicks),
        ];
        for (name, value) in texts {
            fields.insert(name.into(), Value::String(value.clone()));
        }
        if !editing {
            fields.insert("domain".into(), Value::String(self.domain.clone()));
        }
        // An unticked box is not sent by the browser: it means false.
        fields.insert("consent".into(), Value::Bool(self.consent));
        fields.insert("disabled".into(), Value::Bool(self.disabled));
        fields.insert("passwordPreview".into(), Value::Bool(self.password_preview));
        self.targeting.as_fields(&mut fields);
        // The whole list: an emptied field removes every tag.
        let tags = split_tags(&self.tags)
            .into_iter()
            .map(Value::String)
            .collect();
        fields.insert("tags".into(), Value::Array(tags));
        // An empty password box keeps the password there is; only the box removes it.
        if self.remove_password {
            fields.insert("password".into(), Value::Null);
        } else if !self.password.is_empty() {
            fields.insert("password".into(), Value::String(self.password.clone()));
        }
        fields
    }
}

#[derive(Template)]
#[template(path = "dashboard/link_form.html")]
struct LinkFormPage {
    layout: Layout,
    heading: String,
    action: String,
    submit: &'static str,
    cancel: String,
    editing: bool,
    domains: Vec<String>,
    form: FormValues,
    errors: HashMap<&'static str, String>,
}

/// The domains a new link may go on: the server's, then the organization's own.
async fn usable_domains(state: &AppState, org_id: i64) -> Result<Vec<String>, WebError> {
    let mut domains = vec![state.settings.default_domain.clone()];
    domains.extend(state.store.org_domains(org_id).await?);
    Ok(domains)
}

/// An operation's refusal as messages next to the fields (`form` for the rest).
fn field_errors(error: OperationError) -> Result<HashMap<&'static str, String>, WebError> {
    match error {
        OperationError::Invalid(problems) => Ok(problems
            .into_iter()
            .map(|p| (known_field(p.field), p.message))
            .collect()),
        OperationError::Conflict(message) => Ok(HashMap::from([("route", message)])),
        other => Err(other.into()),
    }
}

fn known_field(field: &'static str) -> &'static str {
    match field {
        "domain" | "route" | "destination" | "title" | "description" | "image" | "favicon"
        | "expiresAt" | "expiredDestination" | "maxClicks" | "password" | "rules" | "variants"
        | "tags" => field,
        _ => "form",
    }
}

/// `GET /dashboard/links/new`
pub async fn new(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let domains = usable_domains(&state, signed.caller.org_id).await?;
    let page = LinkFormPage {
        layout: Layout::new(&state, &signed, "links").await?,
        heading: "New link".into(),
        action: "/dashboard/links".into(),
        submit: "Create link",
        cancel: "/dashboard/links".into(),
        editing: false,
        form: FormValues {
            domain: domains[0].clone(),
            targeting: TargetingForm::of(&[], &[]),
            ..FormValues::default()
        },
        domains,
        errors: HashMap::new(),
    };
    Ok(page::ok(page.render()))
}

/// `POST /dashboard/links`
pub async fn create(State(state): State<AppState>, form: SignedForm) -> Result<Response, WebError> {
    let values = FormValues::of_form(&form);
    let signed = &form.signed;
    let created = match LinkInput::read(values.as_fields(false), true, Purpose::Create) {
        Ok(input) => operations::create(&state, &signed.caller, input).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(link) => {
            Ok(Redirect::to(&format!("/dashboard/links/{}?created=1", link.id)).into_response())
        }
        Err(error) => {
            let errors = field_errors(error)?;
            let page = LinkFormPage {
                layout: Layout::new(&state, signed, "links").await?,
                heading: "New link".into(),
                action: "/dashboard/links".into(),
                submit: "Create link",
                cancel: "/dashboard/links".into(),
                editing: false,
                domains: usable_domains(&state, signed.caller.org_id).await?,
                form: values,
                errors,
            };
            Ok(page::html(StatusCode::BAD_REQUEST, page.render()))
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/link.html")]
struct LinkPage {
    layout: Layout,
    link: LinkView,
    editable: bool,
    notice: Option<String>,
    panel: super::analytics::InsightPanel,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    created: Option<String>,
    updated: Option<String>,
}

/// `GET /dashboard/links/{number}`: the link, its analytics and its QR code.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<i64>,
    Query(query): Query<ShowQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let link = operations::find_by_number(&state, &signed.caller, number).await?;
    let panel = super::analytics::for_link(
        &state,
        &signed.caller,
        number,
        link.short_id(),
        raw.as_deref().unwrap_or_default(),
    )
    .await?;
    let notice = if query.created.is_some() {
        Some("Link created.".to_owned())
    } else {
        query.updated.map(|_| "Changes saved.".to_owned())
    };
    let page = LinkPage {
        layout: Layout::new(&state, &signed, "links").await?,
        editable: operations::may_edit(&signed.caller, &link),
        link: LinkView::new(&state, link),
        notice,
        panel,
    };
    Ok(page::ok(page.render()))
}

fn edit_page(
    layout: Layout,
    number: i64,
    form: FormValues,
    errors: HashMap<&'static str, String>,
) -> LinkFormPage {
    LinkFormPage {
        layout,
        heading: format!("Edit {}/{}", form.domain, form.route),
        action: format!("/dashboard/links/{number}"),
        submit: "Save changes",
        cancel: format!("/dashboard/links/{number}"),
        editing: true,
        domains: Vec::new(),
        form,
        errors,
    }
}

/// `GET /dashboard/links/{number}/edit`
pub async fn edit(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<i64>,
) -> Result<Response, WebError> {
    let link = operations::find_by_number(&state, &signed.caller, number).await?;
    if !operations::may_edit(&signed.caller, &link) {
        return Err(forbidden(&link));
    }
    let layout = Layout::new(&state, &signed, "links").await?;
    let page = edit_page(layout, number, FormValues::of_link(&link), HashMap::new());
    Ok(page::ok(page.render()))
}

fn forbidden(link: &ShortLink) -> WebError {
    WebError::Forbidden(format!(
        "{} was created by someone else in your organization; as a member you may change and \
         delete only the links you created.",
        link.short_id()
    ))
}

/// `POST /dashboard/links/{number}`: saves the edit form.
pub async fn update(
    State(state): State<AppState>,
    Path(number): Path<i64>,
    form: SignedForm,
) -> Result<Response, WebError> {
    let signed = &form.signed;
    let link = operations::find_by_number(&state, &signed.caller, number).await?;
    let mut values = FormValues::of_form(&form);
    values.domain = link.domain.clone();
    // Known from the link, not from the form: whether to offer "Remove the password".
    values.password_protected = link.password_hash.is_some();
    let updated = match LinkInput::read(values.as_fields(true), true, Purpose::Update) {
        Ok(input) => operations::update(&state, &signed.caller, &link.short_id(), input).await,
        Err(error) => Err(error),
    };
    match updated {
        Ok(link) => {
            Ok(Redirect::to(&format!("/dashboard/links/{}?updated=1", link.id)).into_response())
        }
        Err(error) => {
            let errors = field_errors(error)?;
            let layout = Layout::new(&state, signed, "links").await?;
            let page = edit_page(layout, number, values, errors);
            Ok(page::html(StatusCode::BAD_REQUEST, page.render()))
        }
    }
}

/// `GET /dashboard/links/{number}/qr?format=&size=&margin=&ecc=&fg=&bg=[&download=1]`:
/// the link's QR code, as the API draws it; with `download`, as a file.
pub async fn qr_code(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<i64>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let link = operations::find_by_number(&state, &signed.caller, number).await?;
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let options = qr::QrOptions::parse(&pairs)?;
    let (content_type, bytes) =
        qr::render(&link.url(state.settings.public_url.scheme()), &options)?;
    let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if pairs.iter().any(|(k, _)| k == "download") {
        let extension = match options.format {
            qr::Format::Svg => "svg",
            qr::Format::Png => "png",
        };
        let name = format!(
            "qr-{}-{}.{extension}",
            link.domain.replace(':', "_"),
            link.route
        );
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "dashboard/link_delete.html")]
struct DeletePage {
    layout: Layout,
    link: LinkView,
}

/// `GET /dashboard/links/{number}/delete`: the confirmation.
pub async fn confirm_delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<i64>,
) -> Result<Response, WebError> {
    let link = operations::find_by_number(&state, &signed.caller, number).await?;
    if !operations::may_edit(&signed.caller, &link) {
        return Err(forbidden(&link));
    }
    let page = DeletePage {
        layout: Layout::new(&state, &signed, "links").await?,
        link: LinkView::new(&state, link),
    };
    Ok(page::ok(page.render()))
}

/// `POST /dashboard/links/{number}/delete`
pub async fn delete(
    State(state): State<AppState>,
    Path(number): Path<i64>,
    form: SignedForm,
) -> Result<Response, WebError> {
    let caller = &form.signed.caller;
    let link = operations::find_by_number(&state, caller, number).await?;
    let deleted = operations::delete(&state, caller, &link.short_id()).await?;
    let short: String =
        url::form_urlencoded::byte_serialize(deleted.short_id().as_bytes()).collect();
    Ok(Redirect::to(&format!("/dashboard/links?deleted={short}")).into_response())
}
