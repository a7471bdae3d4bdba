//! The README's configuration reference is checked against
//! `config/loglift.yml`, the file that documents every option: each option
//! named there (set, or commented out with its default) is described in the
//! README too, and `config/loglift.yml` itself is a valid configuration.

use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Option names of `config/loglift.yml`: keys of YAML lines, including the
/// commented-out examples (`#  key: value`), but not prose comments (`# text`).
fn options(yaml: &str) -> BTreeSet<String> {
    yaml.lines()
        .filter_map(|line| {
            let line = match line.strip_prefix('#') {
                Some(rest) if rest.starts_with("  ") => rest,
                Some(_) => return None,
                None => line,
            };
            let line = line.trim_start();
            let line = line.strip_prefix("- ").unwrap_or(line);
            let (key, _) = line.split_once(':')?;
            (!key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .then(|| key.to_string())
        })
        .collect()
}

/// Whether the README names `key`: in a `code span` (also as part of a dotted
/// name such as `http.listen`), or as `key:` inside a fenced code block.
fn documented(readme: &str, key: &str) -> bool {
    let is_word = |s: &str| {
        s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| w == key)
    };
    let mut in_fence = false;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            let t = line.trim_start().trim_start_matches("- ");
            if t.starts_with(&format!("{key}:")) {
                return true;
            }
            continue;
        }
        if line.split('`').skip(1).step_by(2).any(is_word) {
            return true;
        }
    }
    false
}

#[test]
fn every_option_of_config_loglift_yml_is_in_the_readme() {
    let readme = read("README.md");
    let options = options(&read("config/loglift.yml"));
    assert!(options.len() > 30, "options found: {options:?}");
    let missing: Vec<&String> = options.iter().filter(|k| !documented(&readme, k)).collect();
    assert!(
        missing.is_empty(),
        "options of config/loglift.yml that README.md does not describe: {missing:?}"
    );
}

#[test]
fn the_shipped_configuration_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/loglift.yml");
    let config = loglift::config::Config::load(&path).unwrap();
    config.modules(&path).unwrap();
}
