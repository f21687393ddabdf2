//! Pinyin of names, so that `laodianwei`, `dianwei` and `ldw` all find 老滇味.
//!
//! A name becomes syllables (one per Chinese character, ASCII letters and digits kept as
//! runs). The index holds every syllable-suffix of the concatenated full pinyin and of the
//! initials, so a prefix query finds a name from any syllable on: a substring search at
//! syllable boundaries, with typo tolerance from a fuzzy prefix query.

use pinyin::ToPinyin;

/// A name's syllables, lower case, with the char range of the name each comes from.
pub fn syllables(name: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            let mut run = String::new();
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                run.push(chars[i].to_ascii_lowercase());
                i += 1;
            }
            out.push((run, start..i));
            continue;
        }
        if let Some(p) = c.to_pinyin() {
            out.push((p.plain().replace('ü', "v"), i..i + 1));
        }
        i += 1;
    }
    out
}

fn initial(s: &str) -> String {
    // An ASCII run that starts with a digit, or a long Latin word, is its own initial:
    // "4s" stays "4s".
    if s.chars().next().is_some_and(|c| c.is_ascii_digit()) || s.len() > 6 {
        s.to_owned()
    } else {
        s.chars().next().map(String::from).unwrap_or_default()
    }
}

/// Every syllable-suffix of the full pinyin: `laodianwei`, `dianwei`, `wei`.
pub fn full_suffixes(name: &str) -> Vec<String> {
    let syl = syllables(name);
    (0..syl.len())
        .map(|i| syl[i..].iter().map(|(s, _)| s.as_str()).collect())
        .collect()
}

/// Every syllable-suffix of the initials: `ldw`, `dw`, `w`.
pub fn initial_suffixes(name: &str) -> Vec<String> {
    let inits: Vec<String> = syllables(name).iter().map(|(s, _)| initial(s)).collect();
    (0..inits.len()).map(|i| inits[i..].concat()).collect()
}

/// The char range of `name` that a pinyin query matches as a prefix of a full-pinyin or
/// initials suffix (for highlighting); the first match wins.
pub fn matched_chars(name: &str, query: &str) -> Option<std::ops::Range<usize>> {
    let q = query.to_ascii_lowercase();
    if q.is_empty() {
        return None;
    }
    let syl = syllables(name);
    let parts: [Vec<String>; 2] = [
        syl.iter().map(|(s, _)| s.clone()).collect(),
        syl.iter().map(|(s, _)| initial(s)).collect(),
    ];
    for start in 0..syl.len() {
        for part in &parts {
            let mut acc = String::new();
            for (k, piece) in part.iter().enumerate().skip(start) {
                acc.push_str(piece);
                if acc.starts_with(&q) {
                    return Some(syl[start].1.start..syl[k].1.end);
                }
                if !q.starts_with(&acc) {
                    break;
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_of_full_pinyin_and_initials() {
        assert_eq!(
            full_suffixes("老滇味"),
            vec!["laodianwei", "dianwei", "wei"]
        );
        assert_eq!(initial_suffixes("老滇味"), vec!["ldw", "dw", "w"]);
        assert_eq!(full_suffixes("4S店"), vec!["4sdian", "dian"]);
        assert_eq!(initial_suffixes("4S店"), vec!["4sd", "d"]);
        assert_eq!(full_suffixes("绿园"), vec!["lvyuan", "yuan"]);
    }

    #[test]
    fn highlights_map_back_to_characters() {
        assert_eq!(matched_chars("老滇味米线", "dianwei"), Some(1..3));
        assert_eq!(matched_chars("老滇味米线", "ldw"), Some(0..3));
        assert_eq!(matched_chars("老滇味米线", "laodianw"), Some(0..3));
        assert_eq!(matched_chars("老滇味米线", "xyz"), None);
    }
}
