//! The shapes of what clients send, for the document only. Bodies are documented as JSON;
//! the same fields may be sent form-encoded (strings; an empty value means "not set";
//! docs/API.md §1), which the document says in words: a form cannot say `null`, so the
//! JSON schemas do not describe it. The handlers read bodies
//! field by field ([`crate::links::fields::FieldReader`]) so that every bad field gets its
//! own sentence; these types describe the same fields, rules and defaults (docs/API.md
//! §4.2, §6.1, §8), and the contract fuzzing in CI (schemathesis) checks that the server
//! accepts what they allow and refuses what they do not.

#![allow(dead_code)] // read by the OpenAPI derive macros, never built at run time

use utoipa::{IntoParams, ToSchema};

/// `<domain>/<route>`, URL-encoded (`pxl.example%2Flaunch`) or as two path segments, or
/// the bare route.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ShortId {
    /// The link: `pxl.example%2Flaunch`, `pxl.example/launch` or the bare route `launch`
    /// (your link with that route on the default domain, else your only link with it).
    #[param(pattern = "^([^/]+/)?[A-Za-z0-9_-]{1,100}$")]
    id: String,
}

/// A new short link (docs/API.md §4.2).
#[derive(ToSchema)]
#[schema(as = NewShort, rename_all = "camelCase")]
pub struct NewShort {
    /// Absolute `http://` or `https://` URL with a host, at most 4096 bytes, not on one of
    /// this server's short domains.
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    destination: String,
    /// 1–100 ASCII letters, digits, `-` and `_`; case-sensitive. Random (7 characters)
    /// when not given. Reserved on the default domain: `api`, `healthz`, `readyz`,
    /// `metrics`, `static`, `assets`, `dashboard`, `login`, `logout`, `docs`, `openapi`,
    /// `admin`, `favicon`, `robots`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,100}$")]
    route: Option<String>,
    /// `host[:port]`: the server's default domain (when not given) or one added to your
    /// organization. An openpxl extension.
    domain: Option<String>,
    /// At most 500 characters.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    title: Option<String>,
    /// At most 2000 characters.
    #[schema(
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    description: Option<String>,
    /// Absolute http(s) URL of the link-preview image, at most 4096 bytes.
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    image: Option<String>,
    /// Absolute http(s) URL of a favicon shown before the redirect, at most 4096 bytes.
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    favicon: Option<String>,
    /// Ask visitors for consent before continuing (default `false`).
    consent: Option<bool>,
    /// From this instant (ISO 8601 with its offset) the link no longer sends visitors to
    /// its destination. An openpxl extension.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    /// Where visitors go once the link has expired; without it they get a 410 page. An
    /// openpxl extension.
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    expired_destination: Option<String>,
    /// Switched off: visitors get the 404 page (default `false`). An openpxl extension.
    disabled: Option<bool>,
    /// After this many human clicks the link counts as expired (exact across instances).
    /// An openpxl extension.
    #[schema(minimum = 1)]
    max_clicks: Option<i64>,
    /// Visitors must give this password first (4–128 characters; only its argon2id hash
    /// is kept; never shown). An openpxl extension.
    #[schema(
        min_length = 4,
        max_length = 128,
        write_only,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    password: Option<String>,
    /// Let link-preview crawlers see a protected link's card (default `false`). An openpxl
    /// extension.
    password_preview: Option<bool>,
    /// Targeting rules, tried in order; the first that holds picks the destination (at
    /// most 20). An openpxl extension.
    #[schema(max_items = 20)]
    rules: Option<Vec<RuleInput>>,
    /// A/B variants for what no rule catches: 2 to 10, or an empty list for none. An
    /// openpxl extension.
    #[schema(max_items = 10)]
    variants: Option<Vec<VariantInput>>,
    /// Tags: at most 20 names of 1–50 characters without commas, case-insensitive (names
    /// that differ only in case are one tag). An openpxl extension.
    #[schema(max_items = 20)]
    tags: Option<Vec<TagName>>,
}

/// Changes to a short link: only the fields present change, `null` clears an optional one.
#[derive(ToSchema)]
#[schema(as = ShortChanges, rename_all = "camelCase")]
pub struct ShortChanges {
    /// A new destination (never `null`: a link always has one).
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    destination: Option<String>,
    /// A new route.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,100}$")]
    route: Option<String>,
    /// Only the link's current domain (a link cannot move; create one on the other domain).
    domain: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        nullable
    )]
    title: Option<Option<String>>,
    #[schema(
        max_length = 2000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        nullable
    )]
    description: Option<Option<String>>,
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096, nullable)]
    image: Option<Option<String>>,
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096, nullable)]
    favicon: Option<Option<String>>,
    /// `null` means `false`.
    #[schema(nullable)]
    consent: Option<Option<bool>>,
    /// A new expiry instant; `null` clears it.
    #[schema(format = DateTime, nullable)]
    expires_at: Option<Option<String>>,
    /// A new expired destination; `null` clears it (expired visits then get a 410 page).
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096, nullable)]
    expired_destination: Option<Option<String>>,
    /// Switch the link off or on; `null` means `false`.
    #[schema(nullable)]
    disabled: Option<Option<bool>>,
    /// A new visit limit; `null` removes it. Set on a link without one, it counts the
    /// clicks the link already has.
    #[schema(minimum = 1, nullable)]
    max_clicks: Option<Option<i64>>,
    /// A new password; `null` removes it.
    #[schema(
        min_length = 4,
        max_length = 128,
        write_only,
        nullable,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    password: Option<Option<String>>,
    /// Let link-preview crawlers see a protected link's card; `null` means `false`.
    #[schema(nullable)]
    password_preview: Option<Option<bool>>,
    /// New rules (the whole list); `null` or `[]` removes them.
    #[schema(max_items = 20, nullable)]
    rules: Option<Option<Vec<RuleInput>>>,
    /// New variants (the whole list); `null` or `[]` removes them.
    #[schema(max_items = 10, nullable)]
    variants: Option<Option<Vec<VariantInput>>>,
    /// New tags (the whole list); `null` or `[]` removes them.
    #[schema(max_items = 20, nullable)]
    tags: Option<Option<Vec<TagName>>>,
}

/// A tag: 1–50 characters, no commas or control characters, no spaces at either end
/// (the server trims them). Written by hand: the derive takes no constraints on a newtype.
pub struct TagName;

impl utoipa::PartialSchema for TagName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(50))
            .pattern(Some(
                "^[^,\\s\\u0000-\\u001F\\u007F-\\u009F]\
                 ([^,\\u0000-\\u001F\\u007F-\\u009F]*[^,\\s\\u0000-\\u001F\\u007F-\\u009F])?$",
            ))
            .into()
    }
}

impl ToSchema for TagName {}

/// A targeting rule as sent: conditions (all must hold) and where it sends visitors.
#[derive(ToSchema)]
pub struct RuleInput {
    when: ConditionsInput,
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    destination: String,
}

/// One value, or a list of 1 to 50 meaning "any of".
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
pub enum OneOrMore {
    One(String),
    Many(Vec<String>),
}

/// A rule's conditions (at least one): docs/API.md §4.10.
#[derive(ToSchema)]
pub struct ConditionsInput {
    /// `Desktop`, `Mobile` or `Tablet` (any case).
    device: Option<OneOrMore>,
    /// OS families as the analytics show them (`iOS`, `Android`), any case.
    os: Option<OneOrMore>,
    /// Browser families as the analytics show them (`Chrome`), any case.
    browser: Option<OneOrMore>,
    /// ISO 3166-1 alpha-2 codes (any case), from the GeoIP database.
    country: Option<OneOrMore>,
    /// Primary language tags (`de`), matched against the visitor's preferred language.
    language: Option<OneOrMore>,
    /// Query parameters of the short URL and the values they must have.
    query: Option<std::collections::BTreeMap<String, String>>,
    /// From this instant on (ISO 8601 with offset).
    #[schema(format = DateTime)]
    from: Option<String>,
    /// Before this instant.
    #[schema(format = DateTime)]
    until: Option<String>,
}

/// One arm of an A/B split.
#[derive(ToSchema)]
pub struct VariantInput {
    #[schema(pattern = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://", max_length = 4096)]
    destination: String,
    /// 1–100, relative to the other variants' weights.
    #[schema(minimum = 1, maximum = 100)]
    weight: u32,
}

/// How to draw a QR code (docs/API.md §8.1).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// `svg` (default) or `png`, any case.
    #[param(pattern = "^\\s*([Ss][Vv][Gg]|[Pp][Nn][Gg])\\s*$")]
    format: Option<String>,
    /// Width and height in pixels (default 512).
    #[param(minimum = 64, maximum = 2048)]
    size: Option<u32>,
    /// The quiet zone, in modules (default 4).
    #[param(minimum = 0, maximum = 16)]
    margin: Option<u32>,
    /// Error correction: `L`, `M` (default), `Q` or `H`, any case.
    #[param(pattern = "^\\s*[LMQHlmqh]\\s*$")]
    ecc: Option<String>,
    /// Foreground colour, six hex digits with or without `#` (default `000000`).
    #[param(pattern = "^\\s*#?[0-9A-Fa-f]{6}\\s*$")]
    fg: Option<String>,
    /// Background colour, six hex digits with or without `#` (default `ffffff`); not the
    /// foreground's.
    #[param(pattern = "^\\s*#?[0-9A-Fa-f]{6}\\s*$")]
    bg: Option<String>,
}

/// The question of an insight (docs/API.md §6.1). Filters combine with AND.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InsightQuery {
    /// First day (`YYYY-MM-DD`, in `timezone`, included); default 7 days before `dateto`.
    #[param(pattern = "^\\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\\s*$")]
    datefrom: Option<String>,
    /// Last day (`YYYY-MM-DD`, in `timezone`, included); default today. At most 366 days
    /// from `datefrom`.
    #[param(pattern = "^\\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\\s*$")]
    dateto: Option<String>,
    /// An IANA zone name such as `Europe/Berlin` (default `UTC`).
    timezone: Option<String>,
    /// A short id of one of your live links (as in `/short/{id}`).
    link: Option<String>,
    /// Links on this domain.
    domain: Option<String>,
    /// `Desktop`, `Mobile`, `Tablet` or `Other`.
    device: Option<String>,
    /// A browser family as the breakdown shows it (`Chrome`).
    browser: Option<String>,
    /// An OS family as the breakdown shows it (`iOS`); also `OS`.
    os: Option<String>,
    /// ISO 3166-1 alpha-2, any case, or `Unknown`.
    country: Option<String>,
    /// A city as the breakdown shows it.
    city: Option<String>,
    /// A source as the breakdown shows it (`google`, `direct`).
    source: Option<String>,
    /// A medium as the breakdown shows it (`organic`, `social`).
    medium: Option<String>,
    /// (openpxl extension) What answered the clicks: `destination`, `rule:N`,
    /// `variant:N` (`N` the index in the link's `rules` or `variants`, from 0), `expired`
    /// or `password`.
    #[param(pattern = "^\\s*(destination|expired|password|(rule|variant):(0|[1-9]|1[0-9]))?\\s*$")]
    outcome: Option<String>,
}

/// A new API token (docs/API.md §8.2).
#[derive(ToSchema)]
#[schema(as = NewToken, rename_all = "camelCase")]
pub struct NewToken {
    /// What the token is for: 1–100 characters, not only spaces.
    #[schema(pattern = "\\S", max_length = 100)]
    name: String,
    /// Days until it expires (default: never).
    #[schema(minimum = 1, maximum = 36500)]
    expires_in_days: Option<i64>,
    /// Requests per UTC day, up to the server's `OPENPXL_DAILY_LIMIT` (default: the
    /// server's).
    #[schema(minimum = 1)]
    daily_limit: Option<i64>,
}

/// A domain to add (docs/API.md §8.3).
#[derive(ToSchema)]
#[schema(as = NewDomain)]
pub struct NewDomain {
    /// `host[:port]` in any spelling; stored in its normal form.
    host: String,
}

/// A person to add to the team (docs/API.md §8.4).
#[derive(ToSchema)]
#[schema(as = NewMember)]
pub struct NewMember {
    #[schema(format = Email)]
    email: String,
    /// `owner`, `admin` or `member` (default), any case.
    #[schema(pattern = "^(?:[Oo][Ww][Nn][Ee][Rr]|[Aa][Dd][Mm][Ii][Nn]|[Mm][Ee][Mm][Bb][Ee][Rr])$")]
    role: Option<String>,
}

/// A member's new role.
#[derive(ToSchema)]
#[schema(as = RoleChange)]
pub struct RoleChange {
    /// `owner`, `admin` or `member`, any case.
    #[schema(pattern = "^(?:[Oo][Ww][Nn][Ee][Rr]|[Aa][Dd][Mm][Ii][Nn]|[Mm][Ee][Mm][Bb][Ee][Rr])$")]
    role: String,
}
