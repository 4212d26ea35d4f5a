//! Telling people from machines by their User-Agent.
//!
//! Link-preview crawlers of social networks and chat apps get the Open Graph page; every
//! other automated client is a bot too. Bot visits are recorded as such and never counted
//! as clicks.
//!
//! Three lists decide, in this order:
//! 1. [`PREVIEW_CRAWLERS`]: the unfurlers that want the preview page;
//! 2. the isbot patterns (`data/isbot/patterns.json`, the maintained list of the `isbot`
//!    project, public domain): crawlers, monitors, headless browsers and HTTP tools of
//!    every kind, matched case-insensitively as isbot does;
//! 3. [`HTTP_LIBRARIES`]: HTTP client libraries and tools isbot does not name.
//!
//! Matching the whole list costs microseconds, so the answer for each User-Agent is kept
//! in a bounded cache: a busy link sees the same few thousand agents again and again, and
//! the hot path pays one hash lookup.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use quick_cache::sync::Cache;

/// Crawlers that unfurl links into cards. Matched case-insensitively as substrings.
const PREVIEW_CRAWLERS: &[&str] = &[
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "linkedinbot",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "whatsapp",
    "telegrambot",
    "applebot",
    "googlebot",
    "google-inspectiontool",
    "bingbot",
    "pinterestbot",
    "pinterest/0.",
    "redditbot",
    "embedly",
    "skypeuripreview",
    "vkshare",
    "iframely",
    "mastodon",
    "snap url preview",
    "line-poker",
    "kakaotalk-scrap",
    "bluesky",
    "yandexbot",
    "duckduckbot",
    "msnbot",
    "qwantify",
];

/// HTTP client libraries and tools, beyond what the isbot patterns name (a library's
/// request is never a person clicking). Matched case-insensitively as substrings.
const HTTP_LIBRARIES: &[&str] = &[
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww",
    "axios/",
    "node-fetch",
    "undici",
    "got (",
    "scrapy",
    "postmanruntime",
    "insomnia",
    "apache-httpclient",
    "httpie",
    "guzzlehttp",
    "restsharp",
    "reqwest",
    "hyper/",
    "dart:io",
    "ruby",
    "faraday",
    "lwp::",
    "winhttp",
    "cfnetwork/",
    "dalvik/",
    "headlesschrome",
];

/// What kind of client a User-Agent says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    /// A person's browser.
    Human,
    /// A social or chat crawler that wants the link preview.
    PreviewCrawler,
    /// Any other automated client.
    Bot,
}

/// The isbot patterns (public domain; see `data/isbot/README.md`).
const ISBOT_PATTERNS: &str = include_str!("../../data/isbot/patterns.json");

/// User-Agents remembered with their answer.
const CACHED_AGENTS: usize = 16_384;

/// Every list, compiled once.
struct Classifier {
    /// Preview crawlers first, then HTTP libraries.
    substrings: AhoCorasick,
    /// The isbot patterns that the `regex` crate takes, as one alternation.
    patterns: regex::Regex,
    /// The few isbot patterns with look-around, which only `fancy-regex` takes.
    look_around: Vec<fancy_regex::Regex>,
    answers: Cache<String, Visitor>,
}

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::new);

impl Classifier {
    fn new() -> Self {
        let substrings = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PREVIEW_CRAWLERS.iter().chain(HTTP_LIBRARIES))
            .expect("the substrings are plain strings");
        let (plain, look_around) = isbot_patterns();
        let patterns = regex::RegexBuilder::new(&plain.join("|"))
            .case_insensitive(true)
            .size_limit(64 << 20)
            .build()
            .expect("the isbot patterns compile (checked by a test)");
        let look_around = look_around
            .iter()
            .map(|pattern| {
                fancy_regex::Regex::new(&format!("(?i){pattern}"))
                    .expect("the isbot look-around patterns compile (checked by a test)")
            })
            .collect();
        Self {
            substrings,
            patterns,
            look_around,
            answers: Cache::new(CACHED_AGENTS),
        }
    }

    fn classify(&self, user_agent: &str) -> Visitor {
        let mut library = false;
        for found in self.substrings.find_overlapping_iter(user_agent) {
            if found.pattern().as_usize() < PREVIEW_CRAWLERS.len() {
                return Visitor::PreviewCrawler;
            }
            library = true;
        }
        let bot = library
            || self.patterns.is_match(user_agent)
            || self
                .look_around
                .iter()
                .any(|pattern| pattern.is_match(user_agent).unwrap_or(true));
        if bot { Visitor::Bot } else { Visitor::Human }
    }
}

/// The isbot patterns, split into those the `regex` crate compiles and those that need
/// look-around. isbot writes them for JavaScript; the one difference that matters here is
/// a `-` after a class escape inside brackets (`[\w\d-.]`), which JavaScript reads as a
/// literal and `regex` refuses: it is escaped.
fn isbot_patterns() -> (Vec<String>, Vec<String>) {
    let all: Vec<String> =
        serde_json::from_str(ISBOT_PATTERNS).expect("data/isbot/patterns.json is a JSON list");
    all.into_iter()
        .map(|pattern| pattern.replace("\\d-.", "\\d\\-."))
        .partition(|pattern| !["(?<", "(?!", "(?="].iter().any(|l| pattern.contains(l)))
}

impl Visitor {
    pub fn of(user_agent: &str) -> Self {
        if user_agent.trim().is_empty() {
            return Self::Bot;
        }
        let classifier = &*CLASSIFIER;
        if let Some(known) = classifier.answers.get(user_agent) {
            return known;
        }
        let answer = classifier.classify(user_agent);
        classifier.answers.insert(user_agent.to_owned(), answer);
        answer
    }

    pub fn is_bot(self) -> bool {
        self != Self::Human
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_crawlers_want_the_preview() {
        for ua in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Twitterbot/1.0",
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
            "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
        ] {
            assert_eq!(Visitor::of(ua), Visitor::PreviewCrawler, "{ua}");
        }
    }

    #[test]
    fn every_isbot_pattern_compiles() {
        let (plain, look_around) = isbot_patterns();
        assert!(plain.len() > 150, "the list is there");
        for pattern in &plain {
            regex::RegexBuilder::new(pattern)
                .case_insensitive(true)
                .build()
                .unwrap_or_else(|e| panic!("{pattern}: {e}"));
        }
        for pattern in &look_around {
            fancy_regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        }
    }

    #[test]
    fn tools_and_other_bots_are_bots() {
        for ua in [
            "curl/8.5.0",
            "curl",
            "Wget/1.21",
            "Wget",
            "python-requests/2.31",
            "Go-http-client/1.1",
            "",
            "  ",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Scrapy/2.11.2 (+https://scrapy.org)",
            "PostmanRuntime/7.39.0",
            "insomnia/2023.5.8",
            "Apache-HttpClient/4.5.14 (Java/17.0.9)",
            "HTTPie/3.2.2",
            "node",
            "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
            "undici",
            "axios/1.6.8",
            "okhttp/4.12.0",
            "Java/17.0.9",
            "Ruby",
            "GuzzleHttp/7",
            "Mozilla",
            "Something",
            "a",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
            "UptimeRobot/2.0",
        ] {
            assert_eq!(Visitor::of(ua), Visitor::Bot, "{ua:?}");
        }
    }

    #[test]
    fn the_user_agent_table_tells_people_from_machines() {
        for (ua, device, ..) in crate::clicks::user_agent::tests::table() {
            let expected_bot = *device == "Other";
            assert_eq!(Visitor::of(ua).is_bot(), expected_bot, "{ua}");
        }
    }

    #[test]
    fn browsers_are_people() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            // In-app browsers are people too.
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
            "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 Snapchat/12.86.0.42 (like Safari/604.1)",
            "Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7 Build/SP1A.210812.016) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        ] {
            assert_eq!(Visitor::of(ua), Visitor::Human, "{ua}");
        }
    }
}
