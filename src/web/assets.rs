//! The dashboard's static files, embedded in the binary: one style sheet and one small
//! script. Each is served under a name that carries a hash of its content
//! (`dashboard.3f9a…css`), so browsers may keep it for a year: a new build has new names.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    /// The name pages link to: stem, content hash, extension.
    name: String,
    content_type: &'static str,
    body: &'static [u8],
}

fn asset(stem: &str, extension: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    Asset {
        name: format!("{stem}.{hash}.{extension}"),
        content_type,
        body,
    }
}

static ASSETS: LazyLock<[Asset; 3]> = LazyLock::new(|| {
    [
        asset(
            "dashboard",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../../assets/dashboard.css"),
        ),
        asset(
            "dashboard",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/dashboard.js"),
        ),
        asset(
            "icon",
            "svg",
            "image/svg+xml",
            include_bytes!("../../assets/icon.svg"),
        ),
    ]
});

/// The URL of the style sheet.
pub fn stylesheet() -> String {
    format!("/dashboard/assets/{}", ASSETS[0].name)
}

/// The URL of the script.
pub fn script() -> String {
    format!("/dashboard/assets/{}", ASSETS[1].name)
}

/// The URL of the icon.
pub fn icon() -> String {
    format!("/dashboard/assets/{}", ASSETS[2].name)
}

/// `GET /dashboard/assets/{name}`
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        assert!(stylesheet().starts_with("/dashboard/assets/dashboard."));
        assert!(stylesheet().ends_with(".css"));
        assert_ne!(stylesheet(), script());
    }
}
