//! Where a visit came from: `source` and `medium`, from `utm_source`/`utm_medium` on the
//! short URL when given, otherwise from the Referer's host.
//!
//! | Referer | source | medium |
//! |---|---|---|
//! | none | `direct` | `none` |
//! | a search engine (Google, Bing, DuckDuckGo, Yahoo, Yandex, Baidu, Ecosia, Qwant, Brave, Startpage) | the engine | `organic` |
//! | a social network or chat app (t.co and X/Twitter, Facebook, Instagram, LinkedIn, Reddit, YouTube, TikTok, Pinterest, Mastodon, Threads, Bluesky, WhatsApp, Telegram, Discord, Slack) | the network | `social` |
//! | webmail (Gmail, Outlook, Yahoo Mail, Proton Mail, iCloud Mail) | the provider | `email` |
//! | any other site | its host without `www.` | `referral` |

/// `(host suffix, source, medium)`, checked in order; a suffix matches the host itself or
/// any subdomain of it.
const KNOWN_REFERRERS: &[(&str, &str, &str)] = &[
    ("mail.google.com", "gmail", "email"),
    ("outlook.live.com", "outlook", "email"),
    ("outlook.office.com", "outlook", "email"),
    ("outlook.office365.com", "outlook", "email"),
    ("mail.yahoo.com", "yahoo mail", "email"),
    ("mail.proton.me", "proton mail", "email"),
    ("mail.protonmail.com", "proton mail", "email"),
    ("icloud.com", "icloud mail", "email"),
    ("t.co", "twitter", "social"),
    ("twitter.com", "twitter", "social"),
    ("x.com", "twitter", "social"),
    ("facebook.com", "facebook", "social"),
    ("fb.com", "facebook", "social"),
    ("fb.me", "facebook", "social"),
    ("messenger.com", "facebook", "social"),
    ("instagram.com", "instagram", "social"),
    ("linkedin.com", "linkedin", "social"),
    ("lnkd.in", "linkedin", "social"),
    ("reddit.com", "reddit", "social"),
    ("youtube.com", "youtube", "social"),
    ("youtu.be", "youtube", "social"),
    ("tiktok.com", "tiktok", "social"),
    ("pinterest.com", "pinterest", "social"),
    ("threads.net", "threads", "social"),
    ("bsky.app", "bluesky", "social"),
    ("mastodon.social", "mastodon", "social"),
    ("whatsapp.com", "whatsapp", "social"),
    ("t.me", "telegram", "social"),
    ("telegram.org", "telegram", "social"),
    ("discord.com", "discord", "social"),
    ("slack.com", "slack", "social"),
    ("news.ycombinator.com", "hacker news", "social"),
    ("duckduckgo.com", "duckduckgo", "organic"),
    ("bing.com", "bing", "organic"),
    ("search.yahoo.com", "yahoo", "organic"),
    ("yandex.ru", "yandex", "organic"),
    ("yandex.com", "yandex", "organic"),
    ("baidu.com", "baidu", "organic"),
    ("ecosia.org", "ecosia", "organic"),
    ("qwant.com", "qwant", "organic"),
    ("search.brave.com", "brave", "organic"),
    ("startpage.com", "startpage", "organic"),
];

/// `source` and `medium` of a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    pub source: String,
    pub medium: String,
    /// The Referer's host (without `www.`), or empty for none.
    pub referrer: String,
}

/// Attributes a visit from its Referer header and its `utm_source`/`utm_medium` values.
pub fn attribute(
    referer: Option<&str>,
    utm_source: Option<&str>,
    utm_medium: Option<&str>,
) -> Attribution {
    let referrer = referer.and_then(referrer_host).unwrap_or_default();
    let (source, medium) = from_referrer(&referrer);
    let clean = |value: Option<&str>| {
        value
            .map(|v| v.trim_matches(|c: char| c.is_whitespace() || c.is_control()))
            .filter(|v| !v.chars().any(char::is_control))
            .filter(|v| !v.is_empty())
            .map(|v| truncate(v, 100))
    };
    Attribution {
        source: clean(utm_source).unwrap_or(source),
        medium: clean(utm_medium).unwrap_or(medium),
        referrer,
    }
}

fn from_referrer(host: &str) -> (String, String) {
    if host.is_empty() {
        return ("direct".into(), "none".into());
    }
    if is_google(host) {
        return ("google".into(), "organic".into());
    }
    for (suffix, source, medium) in KNOWN_REFERRERS {
        if host == *suffix || host.ends_with(&format!(".{suffix}")) {
            return ((*source).into(), (*medium).into());
        }
    }
    (host.to_owned(), "referral".into())
}

/// google.com, google.de, google.co.uk, ... (but not mail.google.com, matched before).
fn is_google(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels
        .iter()
        .position(|l| *l == "google")
        .is_some_and(|at| {
            let tld = &labels[at + 1..];
            !tld.is_empty() && tld.len() <= 2 && !host.starts_with("mail.")
        })
}

/// The lower-case host of a Referer URL, without a leading `www.`.
fn referrer_host(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "android-app") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| truncate(host, 253))
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(referer: &str) -> (String, String) {
        let a = attribute(Some(referer), None, None);
        (a.source, a.medium)
    }

    #[test]
    fn no_referer_is_direct() {
        let a = attribute(None, None, None);
        assert_eq!(
            (a.source.as_str(), a.medium.as_str(), a.referrer.as_str()),
            ("direct", "none", "")
        );
        assert_eq!(of("not a url"), ("direct".into(), "none".into()));
    }

    #[test]
    fn search_engines_are_organic() {
        assert_eq!(
            of("https://www.google.com/"),
            ("google".into(), "organic".into())
        );
        assert_eq!(
            of("https://www.google.co.uk/search?q=x"),
            ("google".into(), "organic".into())
        );
        assert_eq!(
            of("https://duckduckgo.com/"),
            ("duckduckgo".into(), "organic".into())
        );
        assert_eq!(
            of("https://www.bing.com/search?q=x"),
            ("bing".into(), "organic".into())
        );
    }

    #[test]
    fn social_networks_are_social() {
        assert_eq!(of("https://t.co/abc"), ("twitter".into(), "social".into()));
        assert_eq!(
            of("https://l.facebook.com/l.php?u=x"),
            ("facebook".into(), "social".into())
        );
        assert_eq!(
            of("https://www.linkedin.com/feed/"),
            ("linkedin".into(), "social".into())
        );
        assert_eq!(
            of("android-app://com.reddit.frontpage/"),
            ("com.reddit.frontpage".into(), "referral".into())
        );
    }

    #[test]
    fn webmail_is_email() {
        assert_eq!(
            of("https://mail.google.com/mail/u/0/"),
            ("gmail".into(), "email".into())
        );
        assert_eq!(
            of("https://outlook.live.com/mail/0/"),
            ("outlook".into(), "email".into())
        );
    }

    #[test]
    fn other_sites_are_referrals_by_host() {
        let a = attribute(Some("https://www.Example.org/post/1"), None, None);
        assert_eq!(
            (a.source.as_str(), a.medium.as_str(), a.referrer.as_str()),
            ("example.org", "referral", "example.org")
        );
    }

    #[test]
    fn utm_parameters_override_the_referer() {
        let a = attribute(Some("https://t.co/x"), Some("newsletter"), Some("email"));
        assert_eq!(
            (a.source.as_str(), a.medium.as_str(), a.referrer.as_str()),
            ("newsletter", "email", "t.co")
        );
        let a = attribute(None, Some("flyer"), None);
        assert_eq!((a.source.as_str(), a.medium.as_str()), ("flyer", "none"));
        let a = attribute(None, Some("  "), None);
        assert_eq!(a.source, "direct");
    }
}
