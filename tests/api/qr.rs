//! QR codes of links (an openpxl extension): the API's `GET /api/v1/short/{id}/qr` and the
//! dashboard's download serve the same codes, and the codes scan.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    dashboard_helpers::owner,
    helpers::{DEFAULT_DOMAIN, TestApp, error_message},
};

/// What a PNG QR code says, read back with a QR decoder.
fn scan_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.buffer_size() / (width * height);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        buffer[(y * width + x) * channels]
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code in the picture");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_api_serves_a_links_qr_code_that_scans_to_its_short_url() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "launch"}))
        .await;
    for id in ["launch", "short.test/launch", "short.test%2Flaunch"] {
        let response = app
            .request(
                Method::GET,
                &format!("/api/v1/short/{id}/qr?format=png&size=300&ecc=H&fg=%23202020"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{id}");
        assert_eq!(response.headers()["content-type"], "image/png");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(scan_png(&bytes), "http://short.test/launch");
    }
    let svg = app
        .request(Method::GET, "/api/v1/short/launch/qr")
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<svg"));
}

#[tokio::test]
async fn bad_qr_options_are_a_400_naming_each_option() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "launch"}))
        .await;
    let response = app
        .request(
            Method::GET,
            "/api/v1/short/launch/qr?format=gif&size=9999&ecc=Z&bg=blue",
        )
        .send()
        .await
        .unwrap();
    let message = error_message(response, 400).await;
    for option in [
        "format must be",
        "size must be",
        "ecc must be",
        "bg must be",
    ] {
        assert!(message.contains(option), "{message}");
    }
    let missing = app
        .request(Method::GET, "/api/v1/short/nowhere/qr")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_link_whose_route_is_qr_is_still_reachable() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com/menu", "route": "qr"}))
        .await;
    let link = app.get_short(&format!("{DEFAULT_DOMAIN}/qr")).await;
    assert_eq!(link.status(), 200);
    assert_eq!(link.json::<Value>().await.unwrap()["data"]["route"], "qr");
    let code = app
        .request(Method::GET, "/api/v1/short/qr/qr")
        .send()
        .await
        .unwrap();
    assert_eq!(
        code.headers()["content-type"],
        "image/svg+xml",
        "the code of the link qr"
    );
}

#[tokio::test]
async fn the_dashboard_shows_the_code_and_downloads_it_as_a_file() {
    let app = TestApp::spawn().await;
    app.created(json!({"destination": "https://example.com", "route": "launch"}))
        .await;
    let number = app.link_id(DEFAULT_DOMAIN, "launch").await;
    let mut person = owner(&app).await;
    let page = person.get(&format!("/dashboard/links/{number}")).await;
    assert!(page.contains(&format!("src=\"/dashboard/links/{number}/qr?size=240\"")));
    let download = person
        .client
        .get(app.url(&format!(
            "/dashboard/links/{number}/qr?download=1&format=png&size=256&margin=4&ecc=M&fg=%23000000&bg=%23ffffff"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"qr-short.test-launch.png\""
    );
    assert_eq!(
        scan_png(&download.bytes().await.unwrap()),
        "http://short.test/launch"
    );
    let bad = person
        .get(&format!("/dashboard/links/{number}/qr?size=1"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("Size must be"), "{}", bad.html);
}
