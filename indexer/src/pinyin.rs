//! Pinyin of names, so that `laodianwei`, `dianwei` and `ldw` all find 老滇味.
//!
//! A name becomes syllables (one per Chinese character, ASCII letters and digits kept as
//! runs). The index holds every syllable-suffix of the concatenated full pinyin and of the
//! initials, so a prefix query finds a name from any syllable on: a substring search at
//! syllable boundaries, with typo tolerance from a fuzzy prefix query.

use pinyin::ToPinyin;

/// Polyphonic characters common in shop names with the readings people use, whichever one
/// the pinyin table gives first (长 chang/zhang, 乐 le/yue, 重 zhong/chong, 行 xing/hang):
/// the table's other readings are rare and would only add noise.
const NAME_HETERONYMS: &[(char, &[&str])] = &[
    ('长', &["chang", "zhang"]),
    ('乐', &["le", "yue"]),
    ('重', &["zhong", "chong"]),
    ('行', &["xing", "hang"]),
    ('藏', &["cang", "zang"]),
    ('传', &["chuan", "zhuan"]),
    ('调', &["tiao", "diao"]),
    ('会', &["hui", "kuai"]),
    ('厦', &["xia", "sha"]),
    ('曾', &["zeng", "ceng"]),
    ('单', &["dan", "shan"]),
    ('朝', &["chao", "zhao"]),
    ('都', &["du", "dou"]),
    ('便', &["bian", "pian"]),
    ('省', &["sheng", "xing"]),
    ('解', &["jie", "xie"]),
    ('盛', &["sheng", "cheng"]),
    ('查', &["cha", "zha"]),
    ('区', &["qu", "ou"]),
    ('角', &["jiao", "jue"]),
    ('强', &["qiang", "jiang"]),
    ('校', &["xiao", "jiao"]),
    ('降', &["jiang", "xiang"]),
    ('露', &["lu", "lou"]),
    ('薄', &["bo", "bao"]),
    ('仇', &["chou", "qiu"]),
    ('石', &["shi", "dan"]),
    ('系', &["xi", "ji"]),
    ('还', &["hai", "huan"]),
    ('和', &["he", "huo"]),
    ('干', &["gan"]),
    ('几', &["ji"]),
];

/// At most this many polyphonic characters of a name get their other readings indexed.
const HETERONYMS_PER_NAME: usize = 3;

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

/// A name's readings: its syllables as [`syllables`] gives them, then, for each of its first
/// few polyphonic characters, the same with that character's other readings.
pub fn readings(name: &str) -> Vec<Vec<String>> {
    let syl = syllables(name);
    let plain: Vec<String> = syl.iter().map(|(s, _)| s.clone()).collect();
    let chars: Vec<char> = name.chars().collect();
    let mut out = vec![plain.clone()];
    let mut polyphonic = 0;
    for (k, (reading, range)) in syl.iter().enumerate() {
        if polyphonic == HETERONYMS_PER_NAME {
            break;
        }
        let Some(c) = chars.get(range.start).filter(|_| range.len() == 1) else {
            continue;
        };
        let Some((_, others)) = NAME_HETERONYMS.iter().find(|(h, _)| h == c) else {
            continue;
        };
        polyphonic += 1;
        // Every combination with the readings so far (at most 2^3 · … names, a handful).
        let mut more = Vec::new();
        for other in others.iter().filter(|o| *o != reading) {
            for r in &out {
                let mut variant: Vec<String> = r.clone();
                variant[k] = (*other).to_owned();
                more.push(variant);
            }
        }
        out.extend(more);
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

/// Suffixes of every reading, each once, in the order first met.
fn suffixes_of(readings: Vec<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in readings {
        for i in 0..r.len() {
            let s = r[i..].concat();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// Every syllable-suffix of the full pinyin, of every reading: `laodianwei`, `dianwei`,
/// `wei`.
#[cfg(test)]
pub fn full_suffixes(name: &str) -> Vec<String> {
    suffixes_of(readings(name))
}

/// The full-pinyin suffixes of the name's first reading, and those only its other readings
/// have: typos are forgiven against the first (a fuzzy pass over every reading of every
/// name would walk twice the terms), the others match as typed.
pub fn full_suffixes_by_reading(name: &str) -> (Vec<String>, Vec<String>) {
    let mut all = readings(name);
    let rest = all.split_off(1.min(all.len()));
    let first = suffixes_of(all);
    let other = suffixes_of(rest)
        .into_iter()
        .filter(|s| !first.contains(s))
        .collect();
    (first, other)
}

/// Every syllable-suffix of the initials, of every reading: `ldw`, `dw`, `w`.
pub fn initial_suffixes(name: &str) -> Vec<String> {
    suffixes_of(
        readings(name)
            .into_iter()
            .map(|r| r.iter().map(|s| initial(s)).collect())
            .collect(),
    )
}

/// The full pinyin of a text, its default reading: what a person typing 「建新圆」 by
/// sound meant (`jianxinyuan`).
pub fn spelled(text: &str) -> String {
    syllables(text).into_iter().map(|(s, _)| s).collect()
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
    fn other_readings_of_polyphonic_characters_are_indexed() {
        let full = full_suffixes("长乐火锅");
        assert!(full.contains(&"changlehuoguo".to_owned()), "{full:?}");
        assert!(full.contains(&"zhanglehuoguo".to_owned()), "{full:?}");
        assert!(full.contains(&"changyuehuoguo".to_owned()), "{full:?}");
        let initials = initial_suffixes("银行");
        assert!(initials.contains(&"yx".to_owned()) && initials.contains(&"yh".to_owned()));
        assert_eq!(spelled("建新圆"), "jianxinyuan");
        let (first, other) = full_suffixes_by_reading("悦音琴行");
        assert!(first.contains(&"yueyinqinxing".to_owned()), "{first:?}");
        assert!(other.contains(&"yueyinqinhang".to_owned()) && other.contains(&"hang".to_owned()));
        assert!(!other.iter().any(|s| first.contains(s)));
    }

    #[test]
    fn highlights_map_back_to_characters() {
        assert_eq!(matched_chars("老滇味米线", "dianwei"), Some(1..3));
        assert_eq!(matched_chars("老滇味米线", "ldw"), Some(0..3));
        assert_eq!(matched_chars("老滇味米线", "laodianw"), Some(0..3));
        assert_eq!(matched_chars("老滇味米线", "xyz"), None);
    }
}
