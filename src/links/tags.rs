//! A link's tags (docs/API.md §4.11): 0 to 20 names of 1 to 50 characters, kept per
//! organization and compared without regard to case. Pure rules; the tables are in
//! `store/tags.rs`.

use serde_json::Value;

pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;

/// The key that identifies a tag in its organization: its name in lower case.
pub fn tag_key(name: &str) -> String {
    name.to_lowercase()
}

/// Reads `tags`: a list of names, trimmed; names that differ only in case are one tag (the
/// first spelling is kept). Every problem is named by the name's index.
pub fn read_tags(value: &Value) -> Result<Vec<String>, Vec<String>> {
    let Value::Array(items) = value else {
        return Err(vec![format!(
            "tags must be a list of names such as [\"launch\", \"2027\"] (got {})",
            crate::links::fields::kind_of(value)
        )]);
    };
    let mut problems = Vec::new();
    if items.len() > MAX_TAGS {
        problems.push(format!(
            "tags has {} names; at most {MAX_TAGS} are allowed",
            items.len()
        ));
    }
    let mut tags: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Value::String(text) = item else {
            problems.push(format!(
                "tags[{index}] must be a string (got {})",
                crate::links::fields::kind_of(item)
            ));
            continue;
        };
        match tag_name(text) {
            Ok(name) => {
                let key = tag_key(&name);
                if !tags.iter().any(|t| tag_key(t) == key) {
                    tags.push(name);
                }
            }
            Err(why) => problems.push(format!("tags[{index}] {why}")),
        }
    }
    if problems.is_empty() {
        Ok(tags)
    } else {
        Err(problems)
    }
}

/// One tag name, trimmed, or why it cannot be one.
pub fn tag_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let length = name.chars().count();
    if length == 0 {
        return Err("is empty; a tag needs 1 to 50 characters".to_owned());
    }
    if length > MAX_TAG_CHARS {
        return Err(format!(
            "is {length} characters long; a tag has at most {MAX_TAG_CHARS}"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters such as a line break".to_owned());
    }
    if name.contains(',') {
        return Err(format!(
            "must not contain a comma (got {name:?}): commas separate tags in CSV files and \
             the dashboard; use two tags, or another character"
        ));
    }
    Ok(name.to_owned())
}

/// Tags written as text, separated by commas (a CSV column, the dashboard's field).
pub fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_trimmed_and_case_insensitive_duplicates_merge() {
        assert_eq!(
            read_tags(&json!([" Launch ", "launch", "Ünïcode", "ÜNÏCODE", "2027"])).unwrap(),
            vec!["Launch", "Ünïcode", "2027"]
        );
        assert_eq!(read_tags(&json!([])).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn every_bad_name_is_named_by_its_index() {
        let long = "x".repeat(51);
        let problems = read_tags(&json!(["ok", "", 3, long, "a,b", "line\nbreak"])).unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].starts_with("tags[1] is empty"), "{problems:?}");
        assert!(problems[1].starts_with("tags[2] must be a string"));
        assert!(problems[2].contains("51 characters"));
        assert!(problems[3].contains("comma"));
        assert!(problems[4].contains("control characters"));
        let many: Vec<String> = (0..21).map(|n| format!("t{n}")).collect();
        assert!(read_tags(&json!(many)).unwrap_err()[0].contains("at most 20"));
        assert!(read_tags(&json!("a,b")).unwrap_err()[0].contains("must be a list"));
    }

    #[test]
    fn text_splits_at_commas() {
        assert_eq!(split_tags(" a, b ,,c "), vec!["a", "b", "c"]);
        assert!(split_tags("").is_empty());
    }
}
