//! Visits answered before the router: `GET`/`HEAD /{route}` with a well-formed route
//! goes straight to [`super::serve`], with the connection's peer address, instead of
//! through axum's router, which would match the path, insert the peer address and the
//! path parameters into the request's extensions and box the handler's future in a
//! service: a sixth of a redirect's CPU (`bench/README.md`, "The redirect before the
//! router").
//!
//! The shortcut claims only what the router would send to [`super::visit`] anyway, so the
//! answer is the same either way: it leaves to the router every other method, every path
//! of more or fewer than one segment, every route that is not well formed as it stands (a
//! percent-encoded one, which the router decodes) and every reserved route — the router's
//! own paths of one segment (`/healthz`, `/readyz`, `/dashboard`) are all reserved.

use std::{convert::Infallible, net::SocketAddr};

use axum::{
    body::HttpBody,
    http::{HeaderValue, Method, Request, header},
    response::Response,
};
use futures_util::future::BoxFuture;
use hyper::body::Incoming;

use crate::{links::Route, server::Shortcut, state::AppState};

/// The shortcut to [`super::serve`].
#[derive(Clone)]
pub struct Visits(AppState);

impl Visits {
    pub fn new(state: AppState) -> Self {
        Self(state)
    }
}

impl Shortcut for Visits {
    fn take(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<BoxFuture<'static, Result<Response, Infallible>>, Request<Incoming>> {
        if route_claimed(request.method(), request.uri().path()).is_none() {
            return Err(request);
        }
        let state = self.0.clone();
        let (parts, _body) = request.into_parts();
        Ok(Box::pin(async move {
            // Claimed above: the path is `/` and the route.
            let route = &parts.uri.path()[1..];
            let response = super::serve(&state, peer, route, &parts).await;
            Ok(if parts.method == Method::HEAD {
                with_content_length(response)
            } else {
                response
            })
        }))
    }
}

/// The answer to a `HEAD` with the `Content-Length` of its body, as axum's router gives
/// every answer whose body's size is known: hyper adds one itself to any other answer,
/// but not to an answer to `HEAD` (whose body it does not send).
fn with_content_length(mut response: Response) -> Response {
    if !response.headers().contains_key(header::CONTENT_LENGTH)
        && let Some(size) = HttpBody::size_hint(response.body()).exact()
    {
        let length = HeaderValue::from(size);
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length);
    }
    response
}

/// The route of a visit the shortcut answers, if it is one.
fn route_claimed<'a>(method: &Method, path: &'a str) -> Option<&'a str> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let route = path.strip_prefix('/')?;
    (Route::is_well_formed(route) && !Route::is_reserved_text(route)).then_some(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_of_a_well_formed_route_is_claimed() {
        assert_eq!(route_claimed(&Method::GET, "/abc-1_Z"), Some("abc-1_Z"));
        assert_eq!(route_claimed(&Method::HEAD, "/abc"), Some("abc"));
    }

    #[test]
    fn everything_the_router_must_see_is_left_to_it() {
        for (method, path) in [
            (Method::POST, "/abc"),         // the password form
            (Method::OPTIONS, "/abc"),      // the router's 405
            (Method::GET, "/"),             // no route
            (Method::GET, "/abc/"),         // two segments
            (Method::GET, "/api/v1/links"), // the API
            (Method::GET, "/%61bc"),        // percent-encoded: the router decodes it
            (Method::GET, "/healthz"),      // the router's own paths
            (Method::GET, "/readyz"),
            (Method::GET, "/dashboard"),
            (Method::GET, "/Dashboard"), // reserved whatever its case
            (Method::GET, "/favicon.ico"),
        ] {
            assert_eq!(route_claimed(&method, path), None, "{method} {path}");
        }
    }
}
