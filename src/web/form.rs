//! `SignedForm`: what every form of a signed-in page is read with. It takes the session
//! ([`Signed`]), refuses a cross-site request, reads the url-encoded fields, and checks the
//! form token ([`super::csrf`]) — so a handler that takes it cannot forget any of those.

use axum::{
    Form,
    extract::{FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{csrf, error::WebError, session::Signed};
use crate::state::AppState;

pub struct SignedForm {
    pub signed: Signed,
    pub fields: Vec<(String, String)>,
}

impl SignedForm {
    /// The last value of a field, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field's value, or "" if it was not sent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }
}

/// The answer to a form from another site, or with a stale token.
pub fn refused() -> Response {
    WebError::BadRequest(
        "This form has expired or did not come from this dashboard. Go back, reload the page \
         and send it again."
            .into(),
    )
    .into_response()
}

impl FromRequest<AppState> for SignedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        if csrf::cross_site(request.headers()) {
            return Err(refused());
        }
        let (mut parts, body) = request.into_parts();
        let signed = <Signed as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, state,
        )
        .await?;
        let request = Request::from_parts(parts, body);
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    WebError::BadRequest("The form is too large to send.".into()).into_response()
                } else {
                    WebError::BadRequest(format!("The form could not be read: {rejection}"))
                        .into_response()
                }
            })?;
        let form = Self { signed, fields };
        if !csrf::same(
            &form.signed.session.csrf,
            form.get("csrf").unwrap_or_default(),
        ) {
            return Err(refused());
        }
        Ok(form)
    }
}
