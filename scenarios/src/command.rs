//! Commands printed for people to paste: every `plughost …` line the tool prints (replay,
//! shrink, rerun) runs as printed from the project root once `plughost` is installed
//! (`cargo install --path scenarios --locked`, as the README says). This module makes each
//! word survive a POSIX shell.

/// `word` as one POSIX shell word: unchanged when it has nothing a shell would interpret,
/// single-quoted otherwise.
pub fn shell_word(word: &str) -> String {
    let plain =
        !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:,=+@%".contains(c));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn plain_words_stay_and_others_are_quoted() {
        assert_eq!(shell_word("scenarios/catalogue/success.toml"), "scenarios/catalogue/success.toml");
        assert_eq!(shell_word("my scenario.toml"), "'my scenario.toml'");
        assert_eq!(shell_word("it's.toml"), r"'it'\''s.toml'");
        assert_eq!(shell_word(""), "''");
    }
}
