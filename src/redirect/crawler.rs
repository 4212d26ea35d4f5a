//! Telling people from machines by their User-Agent.
//!
//! Link-preview crawlers of social networks and chat apps get the Open Graph page; every
//! other automated client is a bot too. Bot visits are recorded as such and never counted
//! as clicks.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

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

/// Signs of other automated clients.
/// (Not a bare "bot": phone models such as CUBOT carry it.)
const BOT_MARKERS: &[&str] = &[
    "bot/",
    "bot;",
    "bot)",
    "bot+",
    "bot-",
    "robot",
    "crawl",
    "spider",
    "slurp",
    "scraper",
    "preview",
    "fetch",
    "curl/",
    "wget/",
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
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "uptimerobot",
    "monitor",
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

/// Every pattern in one case-insensitive automaton: one pass over the User-Agent.
static PATTERNS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(PREVIEW_CRAWLERS.iter().chain(BOT_MARKERS))
        .expect("the patterns are plain strings")
});

impl Visitor {
    pub fn of(user_agent: &str) -> Self {
        if user_agent.trim().is_empty() {
            return Self::Bot;
        }
        let mut bot = false;
        for found in PATTERNS.find_overlapping_iter(user_agent) {
            if found.pattern().as_usize() < PREVIEW_CRAWLERS.len() {
                return Self::PreviewCrawler;
            }
            bot = true;
        }
        if bot { Self::Bot } else { Self::Human }
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
    fn tools_and_other_bots_are_bots() {
        for ua in [
            "curl/8.5.0",
            "Wget/1.21",
            "python-requests/2.31",
            "Go-http-client/1.1",
            "",
            "  ",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        ] {
            assert_eq!(Visitor::of(ua), Visitor::Bot, "{ua:?}");
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
