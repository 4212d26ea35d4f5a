//! Device, browser and OS families from a User-Agent, with the `woothee` parser (its
//! patterns are compiled in; no data file to ship or fetch).

use woothee::parser::Parser;

/// What a User-Agent says about the visitor's software.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    /// `Desktop`, `Mobile`, `Tablet` or `Other`.
    pub device: &'static str,
    /// A family name such as `Chrome`, `Safari`, `Firefox`, `Edge`; `Unknown` if unsure.
    pub browser: String,
    /// A family name such as `Windows`, `macOS`, `iOS`, `Android`, `Linux`; `Unknown` if unsure.
    pub os: String,
}

/// Parses a User-Agent. Pure and deterministic; callers may cache results.
pub fn software(user_agent: &str) -> Software {
    let Some(parsed) = Parser::new().parse(user_agent) else {
        return Software {
            device: "Other",
            browser: "Unknown".into(),
            os: "Unknown".into(),
        };
    };
    let os = os_family(parsed.os);
    let device = match parsed.category {
        "pc" => "Desktop",
        "smartphone" if is_tablet(user_agent, parsed.os) => "Tablet",
        "smartphone" | "mobilephone" => "Mobile",
        _ => "Other",
    };
    Software {
        device,
        browser: browser_family(user_agent, parsed.name),
        os,
    }
}

fn is_tablet(user_agent: &str, os: &str) -> bool {
    os == "iPad"
        || (os == "Android" && !user_agent.contains("Mobile"))
        || user_agent.contains("Tablet")
}

fn browser_family(user_agent: &str, name: &str) -> String {
    // In-app browsers identify themselves beside the engine they embed.
    let in_app = [
        ("FBAN/", "Facebook"),
        ("FBAV/", "Facebook"),
        ("Instagram", "Instagram"),
        ("LinkedInApp", "LinkedIn"),
        ("Twitter for", "Twitter"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("OPR/", "Opera"),
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("CriOS/", "Chrome"),
        ("FxiOS/", "Firefox"),
        ("Brave", "Brave"),
    ];
    if let Some((_, family)) = in_app
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
    {
        return (*family).to_owned();
    }
    match name {
        "UNKNOWN" | "" => "Unknown".to_owned(),
        "Internet Explorer" => "IE".to_owned(),
        "Webview" => "WebView".to_owned(),
        other => other.to_owned(),
    }
}

fn os_family(os: &str) -> String {
    match os {
        "Mac OSX" | "Mac OS Classic" => "macOS",
        "iPhone" | "iPad" | "iPod" | "iOS" => "iOS",
        "Android" => "Android",
        "Linux" => "Linux",
        "ChromeOS" => "ChromeOS",
        os if os.starts_with("Windows Phone") => "Windows Phone",
        os if os.starts_with("Windows") => "Windows",
        "UNKNOWN" | "" => "Unknown",
        other => return other.to_owned(),
    }
    .to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn check(ua: &str, device: &str, browser: &str, os: &str) {
        let got = software(ua);
        assert_eq!(
            (got.device, got.browser.as_str(), got.os.as_str()),
            (device, browser, os),
            "{ua}"
        );
    }

    #[test]
    fn desktop_browsers() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Desktop",
            "Chrome",
            "Windows",
        );
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "Desktop",
            "Safari",
            "macOS",
        );
        check(
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Desktop",
            "Firefox",
            "Linux",
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            "Desktop",
            "Edge",
            "Windows",
        );
    }

    #[test]
    fn phones_and_tablets() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Mobile",
            "Safari",
            "iOS",
        );
        check(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            "Mobile",
            "Chrome",
            "Android",
        );
        check(
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
            "Tablet",
            "Safari",
            "iOS",
        );
        check(
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Tablet",
            "Chrome",
            "Android",
        );
    }

    #[test]
    fn unknown_agents_are_other() {
        check("", "Other", "Unknown", "Unknown");
        assert_eq!(software("something odd").device, "Other");
    }

    /// Real User-Agents, one per line: the device, browser and OS families expected.
    const TABLE: &[(&str, &str, &str, &str)] = &[
        // Desktop
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Desktop",
            "Chrome",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
            "Desktop",
            "Edge",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
            "Desktop",
            "Firefox",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
            "Desktop",
            "Opera",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
            "Desktop",
            "IE",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Desktop",
            "Safari",
            "macOS",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
            "Desktop",
            "Chrome",
            "macOS",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:126.0) Gecko/20100101 Firefox/126.0",
            "Desktop",
            "Firefox",
            "macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Desktop",
            "Chrome",
            "Linux",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
            "Desktop",
            "Firefox",
            "Linux",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Desktop",
            "Chrome",
            "ChromeOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
            "Desktop",
            "Yandex Browser",
            "Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7.3329.35",
            "Desktop",
            "Vivaldi",
            "Windows",
        ),
        // iPhone and iPad
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mobile",
            "Safari",
            "iOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/125.0.6422.80 Mobile/15E148 Safari/604.1",
            "Mobile",
            "Chrome",
            "iOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/126.0 Mobile/15E148 Safari/605.1.15",
            "Mobile",
            "Firefox",
            "iOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/125.2535.60 Mobile/15E148 Safari/605.1.15",
            "Mobile",
            "Edge",
            "iOS",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Tablet",
            "Safari",
            "iOS",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.111 Mobile/15E148 Safari/604.1",
            "Tablet",
            "Chrome",
            "iOS",
        ),
        // Android phones and tablets
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.52 Mobile Safari/537.36",
            "Mobile",
            "Chrome",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Mobile",
            "Samsung Internet",
            "Android",
        ),
        (
            "Mozilla/5.0 (Android 14; Mobile; rv:126.0) Gecko/126.0 Firefox/126.0",
            "Mobile",
            "Firefox",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Tablet",
            "Chrome",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; Lenovo TB-J616F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
            "Tablet",
            "Chrome",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
            "Mobile",
            "Edge",
            "Android",
        ),
        // In-app browsers
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/466.0.0.42.109;FBBV/600000000;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]",
            "Mobile",
            "Facebook",
            "iOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 331.0.2.22.105 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 600000000)",
            "Mobile",
            "Instagram",
            "iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240505.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.53 Mobile Safari/537.36 Instagram 331.0.0.37.90 Android",
            "Mobile",
            "Instagram",
            "Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.53 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/466.0.0.47.109;]",
            "Mobile",
            "Facebook",
            "Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 LinkedInApp/9.29.8610",
            "Mobile",
            "LinkedIn",
            "iOS",
        ),
        // Crawlers and tools: stored as bot visits, never counted; named as woothee names them
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Other",
            "Googlebot",
            "Unknown",
        ),
        (
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Other",
            "bingbot",
            "Unknown",
        ),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Other",
            "facebook",
            "Unknown",
        ),
        ("Twitterbot/1.0", "Other", "twitter", "Unknown"),
        ("curl/8.5.0", "Other", "HTTP Library", "Unknown"),
        // HTTP tools and libraries that a fault-finding review saw counted as people.
        (
            "Scrapy/2.11.2 (+https://scrapy.org)",
            "Other",
            "Unknown",
            "Unknown",
        ),
        ("PostmanRuntime/7.39.0", "Other", "Unknown", "Unknown"),
        ("insomnia/2023.5.8", "Other", "Unknown", "Unknown"),
        (
            "Apache-HttpClient/4.5.14 (Java/17.0.9)",
            "Other",
            "HTTP Library",
            "Unknown",
        ),
        ("HTTPie/3.2.2", "Other", "Unknown", "Unknown"),
        ("curl", "Other", "Unknown", "Unknown"),
        ("Wget", "Other", "Unknown", "Unknown"),
        ("node", "Other", "Unknown", "Unknown"),
        ("Mozilla", "Other", "Unknown", "Unknown"),
        ("checker", "Other", "Unknown", "Unknown"),
    ];

    /// The table, for other modules' tests.
    pub(crate) fn table() -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
        TABLE
    }

    #[test]
    fn real_user_agents_map_to_families() {
        let mut wrong = Vec::new();
        for (ua, device, browser, os) in TABLE {
            let got = software(ua);
            if (got.device, got.browser.as_str(), got.os.as_str()) != (*device, *browser, *os) {
                wrong.push(format!(
                    "{ua}\n  expected {device}/{browser}/{os}, got {}/{}/{}",
                    got.device, got.browser, got.os
                ));
            }
        }
        assert!(TABLE.len() >= 30);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
