//! The targeting decision for one visit, measured with divan: `cargo bench --bench
//! targeting`. The target (docs/API.md §4.10) is at most 2 µs for a link with 20 rules.
//! Not part of `cargo test`; figures in bench/README.md.

use openpxl::{
    clicks::user_agent::software,
    links::targeting::{Choice, Targeting, Visit, read_rules, read_variants},
};
use std::sync::Arc;

use serde_json::json;

const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

fn main() {
    divan::main();
}

/// Twenty rules, none of which holds for a German Chrome user on Windows, so every one is
/// tried; and three variants for what is left.
fn worst_case() -> Targeting {
    let mut rules = Vec::new();
    for n in 0..18 {
        rules.push(json!({
            "when": {"device": ["Mobile", "Tablet"], "os": ["iOS", "Android"],
                     "country": ["US", "FR"], "language": "fr",
                     "query": {"campaign": format!("c{n}")}},
            "destination": format!("https://example.com/rule-{n}"),
        }));
    }
    rules.push(json!({"when": {"from": "2099-01-01T00:00:00Z"},
                      "destination": "https://example.com/future"}));
    rules.push(json!({"when": {"browser": "Firefox", "country": "DE"},
                      "destination": "https://example.com/firefox"}));
    let rules = read_rules(&json!(rules)).expect("valid rules");
    let variants = read_variants(&json!([
        {"destination": "https://example.com/a", "weight": 50},
        {"destination": "https://example.com/b", "weight": 30},
        {"destination": "https://example.com/c", "weight": 20},
    ]))
    .expect("valid variants");
    Targeting::compile(1, &rules, &variants).expect("targeting")
}

#[divan::bench]
fn twenty_rules_then_three_variants(bencher: divan::Bencher) {
    let targeting = worst_case();
    // The User-Agent really parsed on every decision (the server keeps parses; this does
    // not, to show the worst case).
    let software = || {
        let found = software(divan::black_box(CHROME_WINDOWS));
        Arc::new((found.device.to_owned(), found.os, found.browser))
    };
    let country = || Some("DE".to_owned());
    let language = || Some("de-DE".to_owned());
    bencher.bench_local(|| {
        let visit = Visit {
            now: 1_800_000_000_000,
            query: divan::black_box(Some("utm_source=news&campaign=spring")),
            language: &language,
            software: &software,
            country: &country,
            visitor: &[&[203, 0, 113, 7], CHROME_WINDOWS.as_bytes()],
        };
        let choice = targeting.choose(&visit);
        assert!(matches!(choice, Choice::Variant(_)));
        choice
    });
}

#[divan::bench]
fn the_user_agent_parse_alone(bencher: divan::Bencher) {
    bencher.bench_local(|| software(divan::black_box(CHROME_WINDOWS)));
}
