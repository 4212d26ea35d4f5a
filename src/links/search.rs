//! Finding links by words and tags (docs/API.md §4.4): what a link is searched by (its
//! `search_text`), how a query's words become patterns, and the filter a list takes. Pure;
//! the indexes and queries are in `store/links.rs`.

use super::tags::{MAX_TAGS, tag_key, tag_name};

/// The longest `q` taken, in characters (a search box, not a document).
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words of `q` that must all match.
pub const MAX_WORDS: usize = 10;

/// Which of an organization's live links a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFilter {
    /// Words that must each appear, in lower case.
    pub words: Vec<String>,
    /// Tag keys that must all be on the link.
    pub tags: Vec<String>,
}

impl LinkFilter {
    /// A list's `q` and `tag` parameters, validated; one sentence per problem.
    pub fn read(query: Option<&str>, tags: &[String]) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let words = words(query.unwrap_or_default()).unwrap_or_else(|problem| {
            problems.push(problem);
            Vec::new()
        });
        if tags.len() > MAX_TAGS {
            problems.push(format!(
                "{} tag parameters; a link has at most {MAX_TAGS} tags, so ask for at most \
                 {MAX_TAGS}",
                tags.len()
            ));
        }
        let mut keys = Vec::new();
        for tag in tags.iter().filter(|t| !t.trim().is_empty()) {
            match tag_name(tag) {
                Ok(name) => keys.push(tag_key(&name)),
                Err(why) => problems.push(format!("tag {tag:?} {why}")),
            }
        }
        keys.sort();
        keys.dedup();
        if problems.is_empty() {
            Ok(Self { words, tags: keys })
        } else {
            Err(problems)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.tags.is_empty()
    }
}

/// What a link is found by: its route, destination, title and description in lower case,
/// one per line (so no word spans two of them).
pub fn search_text(
    route: &str,
    destination: &str,
    title: Option<&str>,
    description: Option<&str>,
) -> String {
    [
        route,
        destination,
        title.unwrap_or_default(),
        description.unwrap_or_default(),
    ]
    .map(|part| part.replace(['\n', '\r'], " ").to_lowercase())
    .join("\n")
}

/// The words of a query, in lower case: each must appear somewhere in a link's text.
pub fn words(query: &str) -> Result<Vec<String>, String> {
    let length = query.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(format!(
            "q is {length} characters long; search with at most {MAX_QUERY_CHARS}"
        ));
    }
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.len() > MAX_WORDS {
        return Err(format!(
            "q has {} words; search with at most {MAX_WORDS} (every word must match)",
            words.len()
        ));
    }
    Ok(words)
}

/// `%word%` for LIKE, with LIKE's wildcards and its escape character (`\`) escaped.
pub fn like_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The length of the pieces trigram indexes are made of: shorter words cannot use them.
pub const TRIGRAM: usize = 3;

/// A word as an FTS5 phrase (`"word"`, inner quotes doubled): with the trigram tokenizer,
/// the rows that contain it as a substring.
pub fn fts_phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_lower_case_one_field_per_line() {
        assert_eq!(
            search_text("Launch", "https://Example.com/", Some("Ça\nVa"), None),
            "launch\nhttps://example.com/\nça va\n"
        );
    }

    #[test]
    fn queries_split_into_lower_case_words() {
        assert_eq!(words("  Spring  SALE ").unwrap(), vec!["spring", "sale"]);
        assert!(words("").unwrap().is_empty());
        assert!(words(&"w ".repeat(11)).unwrap_err().contains("at most 10"));
        assert!(
            words(&"x".repeat(201))
                .unwrap_err()
                .contains("201 characters")
        );
    }

    #[test]
    fn filters_read_words_and_tag_keys() {
        let filter = LinkFilter::read(Some("Sale 2027"), &["Spring".into(), "spring".into()]);
        assert_eq!(
            filter.unwrap(),
            LinkFilter {
                words: vec!["sale".into(), "2027".into()],
                tags: vec!["spring".into()],
            }
        );
        let problems = LinkFilter::read(Some(&"x".repeat(201)), &["a,b".into()]).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(LinkFilter::read(None, &[]).unwrap().is_empty());
    }

    #[test]
    fn wildcards_in_words_are_literal() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(fts_phrase("say \"hi\"*"), "\"say \"\"hi\"\"*\"");
    }
}
