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
mod tests {
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
}
