//! Dashboard sessions: a random 256-bit id in an HttpOnly, SameSite=Lax cookie (Secure when
//! the public URL is https), limited to `/dashboard`; only its SHA-256 digest is stored.
//! A session ends after [`IDLE_LIMIT`] without use or [`ABSOLUTE_LIMIT`] after sign-in,
//! at sign-out, when the person's password changes elsewhere, or when they leave their
//! last organization.
//!
//! [`load`] runs before every dashboard page: it finds the session, puts a [`Caller`]
//! (with `Credential::Session`) and a [`WebSession`] in the request, and refreshes the
//! last use at most once a minute. Pages take [`Signed`], which sends whoever is not
//! signed in to the sign-in page (and whoever must change their password to that page).

use axum::{
    extract::{FromRequestParts, OriginalUri, Request, State},
    http::{HeaderMap, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::csrf;
use crate::{
    auth::{Caller, Credential},
    state::AppState,
    store::Store,
    timestamp::{self, Millis},
};

pub const COOKIE: &str = "openpxl_session";
pub const COOKIE_PATH: &str = "/dashboard";
/// A session unused this long has ended.
pub const IDLE_LIMIT: Millis = 7 * 24 * 3600 * 1000;
/// A session this old has ended, however busy.
pub const ABSOLUTE_LIMIT: Millis = 30 * 24 * 3600 * 1000;
/// Last use is written at most this often.
const TOUCH_RESOLUTION: Millis = 60_000;

/// A signed-in person's session, as the pages need it.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub digest: Vec<u8>,
    pub email: String,
    /// The form token every POST must carry ([`csrf`]).
    pub csrf: String,
    pub must_change_password: bool,
}

/// What a signed-in page gets: who acts, and their session.
#[derive(Debug, Clone)]
pub struct Signed {
    pub caller: Caller,
    pub session: WebSession,
}

/// The digest stored for a session id.
pub fn digest(secret: &[u8]) -> Vec<u8> {
    Sha256::digest(secret).to_vec()
}

fn decode(cookie_value: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cookie_value)
        .ok()
        .filter(|bytes| bytes.len() == 32)
}

/// A session cookie with its attributes.
fn cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, value))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

/// Starts a session for `user_id` in `org_id`; the cookie to set.
pub async fn start(
    store: &Store,
    user_id: i64,
    org_id: i64,
    secure: bool,
) -> Result<Cookie<'static>, sqlx::Error> {
    let secret = crate::auth::token::random_secret();
    store
        .insert_session(&digest(&secret), user_id, org_id, timestamp::now())
        .await?;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    Ok(cookie(value, secure))
}

/// A cookie that removes the session cookie.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut removal = cookie(String::new(), secure);
    removal.make_removal();
    removal
}

/// Middleware for every dashboard route: loads the session, if any.
pub async fn load(
    State(state): State<AppState>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(secret) = jar.get(COOKIE).and_then(|c| decode(c.value())) else {
        return next.run(request).await;
    };
    match find(&state, &secret).await {
        Ok(Some((caller, session))) => {
            request.extensions_mut().insert(caller);
            request.extensions_mut().insert(session);
            next.run(request).await
        }
        Ok(None) => {
            // Ended or unknown: forget the cookie.
            let response = next.run(request).await;
            (jar.add(removal(state.settings.secure_cookies())), response).into_response()
        }
        Err(error) => super::error::WebError::from(error).into_response(),
    }
}

/// The live session of a secret, ending it if it has expired.
async fn find(
    state: &AppState,
    secret: &[u8],
) -> Result<Option<(Caller, WebSession)>, sqlx::Error> {
    let digest = digest(secret);
    let Some(row) = state.store.find_session(&digest).await? else {
        return Ok(None);
    };
    let now = timestamp::now();
    if expired(row.created_at, row.last_seen_at, now) {
        state.store.delete_session(&digest).await?;
        return Ok(None);
    }
    let (org_id, role) = match row.role() {
        Some(role) => (row.org_id, role),
        // Removed from this organization: go on in another one, if any.
        None => match state.store.memberships_of(row.user_id).await?.first() {
            Some(other) => {
                state.store.set_session_org(&digest, other.org_id).await?;
                (other.org_id, other.role)
            }
            None => {
                state.store.delete_session(&digest).await?;
                return Ok(None);
            }
        },
    };
    if now - row.last_seen_at >= TOUCH_RESOLUTION {
        state.store.touch_session(&digest, now).await?;
    }
    let caller = Caller {
        org_id,
        user_id: row.user_id,
        role,
        via: Credential::Session,
    };
    let session = WebSession {
        digest,
        email: row.email,
        csrf: csrf::token_for(secret),
        must_change_password: row.must_change_password,
    };
    Ok(Some((caller, session)))
}

/// Whether a session created and last used at these times has ended at `now`.
fn expired(created_at: Millis, last_seen_at: Millis, now: Millis) -> bool {
    now - last_seen_at > IDLE_LIMIT || now - created_at > ABSOLUTE_LIMIT
}

/// Where a page that needs a signed-in person sends everyone else.
fn sign_in_redirect(parts: &Parts) -> Response {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.to_string(), |uri| uri.0.to_string());
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Redirect::to(&format!("/dashboard/sign-in?next={next}")).into_response()
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let (Some(caller), Some(session)) = (
            parts.extensions.get::<Caller>().copied(),
            parts.extensions.get::<WebSession>().cloned(),
        ) else {
            return Err(sign_in_redirect(parts));
        };
        let path = parts.extensions.get::<OriginalUri>().map_or_else(
            || parts.uri.path().to_owned(),
            |uri| uri.0.path().to_owned(),
        );
        if session.must_change_password
            && path != "/dashboard/account/password"
            && path != "/dashboard/sign-out"
        {
            return Err(Redirect::to("/dashboard/account/password").into_response());
        }
        Ok(Self { caller, session })
    }
}

/// The client's address for the sign-in throttle (the trusted proxy's view, as for
/// clicks); never stored or logged.
pub fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    peer: std::net::SocketAddr,
) -> std::net::IpAddr {
    crate::redirect::client_ip(state, headers, peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_too_old() {
        let day = 24 * 3600 * 1000;
        assert!(!expired(0, 0, day));
        assert!(!expired(0, 20 * day, 26 * day), "busy and young enough");
        assert!(expired(0, 0, 8 * day), "idle for more than a week");
        assert!(expired(0, 30 * day, 31 * day), "older than thirty days");
    }
}
