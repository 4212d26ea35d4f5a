//! Short links as the rest of the program sees them, and the rules their fields obey.

pub mod fields;
mod host;
pub mod input;
pub mod operations;
pub mod qr;
mod route;
pub mod search;
pub mod tags;
pub mod targeting;
mod web_url;

pub use host::Host;
pub use route::{RANDOM_ROUTE_LEN, Route, random_route};
pub use web_url::WebUrl;

use serde::Serialize;

use crate::timestamp::{Millis, serialize_iso};

/// A short link as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ShortLink {
    pub id: i64,
    pub org_id: i64,
    pub domain: String,
    pub route: String,
    pub destination: String,
    #[sqlx(try_from = "crate::store::DbBool")]
    pub consent: bool,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub favicon: Option<String>,
    /// Who created it (`None` for links made before creators were recorded).
    pub created_by: Option<i64>,
    /// From this instant the link no longer sends visitors to its destination.
    pub expires_at: Option<Millis>,
    /// Where visitors go once the link has expired (else a 410 page).
    pub expired_destination: Option<String>,
    /// Switched off: visits get the 404 page.
    #[sqlx(try_from = "crate::store::DbBool")]
    pub disabled: bool,
    /// After this many human visits the link counts as expired.
    pub max_clicks: Option<i64>,
    /// The argon2id hash of its password, if it has one (never shown).
    pub password_hash: Option<String>,
    /// Link-preview crawlers may see the card of a protected link.
    #[sqlx(try_from = "crate::store::DbBool")]
    pub password_preview: bool,
    /// Targeting rules as JSON (see [`targeting`]); `None`: none.
    #[sqlx(rename = "rules")]
    pub rules_json: Option<String>,
    /// A/B variants as JSON; `None`: none.
    #[sqlx(rename = "variants")]
    pub variants_json: Option<String>,
    /// Its tags' names, one per line, in the order of their keys; `None`: none.
    #[sqlx(rename = "tags")]
    pub tags_text: Option<String>,
    pub clicks: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl ShortLink {
    /// Its targeting rules (stored validated; unreadable JSON reads as none).
    pub fn rules(&self) -> Vec<targeting::Rule> {
        self.rules_json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }

    /// Its A/B variants.
    pub fn variants(&self) -> Vec<targeting::Variant> {
        self.variants_json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }

    /// Its tags, in the order of their keys.
    pub fn tags(&self) -> Vec<String> {
        self.tags_text
            .as_deref()
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// `<domain>/<route>`: the link's id on the wire.
    pub fn short_id(&self) -> String {
        format!("{}/{}", self.domain, self.route)
    }

    /// The short URL people open, with the scheme the server is reached by.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}/{}", self.domain, self.route)
    }
}

/// The short object of the Pxl API (docs/API.md §4.1), plus `domain` as an extension.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Short)]
pub struct ShortLinkView {
    /// `<domain>/<route>`, such as `pxl.example/launch`; `https://` + id is the short URL.
    pub id: String,
    /// The path of the link on its domain.
    pub route: String,
    /// The link's domain (an openpxl extension; also the part of `id` before `/`).
    pub domain: String,
    /// The absolute http(s) URL the link redirects to.
    pub destination: String,
    /// Ask visitors for consent before any cookie or tracking pixel.
    pub consent: bool,
    /// Link-preview title for social cards.
    pub title: Option<String>,
    /// Link-preview description.
    pub description: Option<String>,
    /// Link-preview image URL.
    pub image: Option<String>,
    /// Favicon shown while the redirect page is displayed.
    pub favicon: Option<String>,
    /// Human clicks recorded (bots excluded).
    pub clicks: i64,
    /// From this instant the link no longer sends visitors to its destination (an openpxl
    /// extension).
    #[serde(serialize_with = "crate::timestamp::serialize_iso_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Millis>,
    /// Where visitors go once the link has expired; without it they get a 410 page (an
    /// openpxl extension).
    pub expired_destination: Option<String>,
    /// Switched off: visitors get the 404 page (an openpxl extension).
    pub disabled: bool,
    /// After this many human clicks the link counts as expired (an openpxl extension).
    pub max_clicks: Option<i64>,
    /// Visitors must give a password first (an openpxl extension; the password itself is
    /// write-only).
    pub password_protected: bool,
    /// Link-preview crawlers may see a protected link's card (title, description, image,
    /// destination); default `false` (an openpxl extension).
    pub password_preview: bool,
    /// Targeting rules, tried in order (an openpxl extension).
    pub rules: Vec<targeting::Rule>,
    /// A/B variants for what no rule catches (an openpxl extension).
    pub variants: Vec<targeting::Variant>,
    /// Its tags, alphabetically (case-insensitive); each in the spelling the organization
    /// first gave it (an openpxl extension).
    pub tags: Vec<String>,
    /// Creation time.
    #[serde(serialize_with = "serialize_iso")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    /// Last change, including the last click.
    #[serde(serialize_with = "serialize_iso")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Millis,
}

impl From<ShortLink> for ShortLinkView {
    fn from(link: ShortLink) -> Self {
        let (rules, variants, tags) = (link.rules(), link.variants(), link.tags());
        Self {
            id: link.short_id(),
            route: link.route,
            domain: link.domain,
            destination: link.destination,
            consent: link.consent,
            title: link.title,
            description: link.description,
            image: link.image,
            favicon: link.favicon,
            clicks: link.clicks,
            expires_at: link.expires_at,
            expired_destination: link.expired_destination,
            disabled: link.disabled,
            max_clicks: link.max_clicks,
            password_protected: link.password_hash.is_some(),
            password_preview: link.password_preview,
            rules,
            variants,
            tags,
            created_at: link.created_at,
            updated_at: link.updated_at,
        }
    }
}
