//! The dashboard end to end in a real browser: `tests/e2e/dashboard.mjs` (Node,
//! playwright-core, headless Debian Chromium, axe-core) against a real server, then the
//! QR code it downloaded is decoded here. `.ci/run` installs Chromium and the Node
//! packages; without them this test says it was skipped.

use std::{path::Path, process::Command};

use openpxl::{accounts, store::Role};

use crate::helpers::{DEFAULT_DOMAIN, EMAIL, ORG, TestApp};

const PASSWORD: &str = "the owner's password";

fn missing_tools() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("no Chromium at {chromium}"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node".into());
    }
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/node_modules");
    if !modules.join("playwright-core").exists() || !modules.join("axe-core").exists() {
        return Some("no tests/e2e/node_modules (npm ci in tests/e2e)".into());
    }
    None
}

/// Runs `node tests/e2e/SCRIPT ARGS... target/screenshots` and fails on its failure,
/// showing what it said either way.
async fn run_script(script: &str, args: Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/e2e").join(script);
    let out = root.join("target/screenshots");
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(args)
            .arg(out)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("{said}");
    assert!(run.status.success(), "the browser run failed:\n{said}");
}

#[tokio::test]
async fn the_dashboard_in_a_real_browser() {
    if let Some(missing) = missing_tools() {
        eprintln!("SKIPPED the_dashboard_in_a_real_browser: {missing}; .ci/run installs them");
        return;
    }
    let app = TestApp::spawn().await;
    let (_, user_id) = accounts::ensure_member(app.store(), ORG, EMAIL, Role::Owner)
        .await
        .unwrap();
    accounts::set_password(app.store(), user_id, PASSWORD.into())
        .await
        .unwrap();
    let address = app.server.address.clone();
    run_script(
        "dashboard.mjs",
        vec![
            address,
            EMAIL.into(),
            PASSWORD.into(),
            DEFAULT_DOMAIN.into(),
        ],
    )
    .await;

    // The QR code it downloaded scans to the link.
    let png =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/qr.png"))
            .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.buffer_size() / (width * height);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        buffer[(y * width + x) * channels]
    });
    let grids = image.detect_grids();
    assert_eq!(grids[0].decode().unwrap().1, "http://short.test/launch");
}

#[tokio::test]
async fn the_api_reference_in_a_real_browser() {
    if let Some(missing) = missing_tools() {
        eprintln!("SKIPPED the_api_reference_in_a_real_browser: {missing}; .ci/run installs them");
        return;
    }
    let app = TestApp::spawn().await;
    run_script(
        "api-docs.mjs",
        vec![app.server.address.clone(), app.token.clone()],
    )
    .await;
}
