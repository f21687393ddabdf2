//! What a person typed, understood before it becomes a query.
//!
//! - Normalised the way the index is: NFKC (full-width letters, digits and brackets from
//!   Chinese input methods become plain ones), lower case, traditional characters folded
//!   to simplified (「茶館」 finds 茶馆).
//! - Split into words on white space and punctuation, so a branch in brackets
//!   (「小肥羊（东风西路店）」) is two words.
//! - The words of questions and requests around a name (「…好不好」, 「…电话」, 「附近的…」)
//!   are dropped: nobody's shop is called 「靠谱吗」. A query made only of them is kept.

use unicode_normalization::UnicodeNormalization;

/// Phrases that open a query without naming anything, longest first.
const LEADING: &[&str] = &[
    "请问一下",
    "请问",
    "附近有没有",
    "附近哪里有",
    "附近哪有",
    "附近的",
    "附近",
    "哪里有",
    "哪有",
    "查一下",
    "查询",
];

/// Phrases that close a query without naming anything, longest first.
const TRAILING: &[&str] = &[
    "怎么样啊",
    "怎么样",
    "好不好",
    "咋样",
    "靠谱吗",
    "靠谱不",
    "靠不靠谱",
    "靠谱",
    "可靠吗",
    "正规吗",
    "是真的吗",
    "好吗",
    "投诉电话",
    "联系电话",
    "电话号码",
    "电话多少",
    "电话",
    "在哪里",
    "在哪儿",
    "在什么地方",
    "在哪",
    "地址",
    "怎么走",
    "营业时间",
    "几点开门",
    "几点关门",
    "口碑",
    "评价",
    "信用",
    "投诉",
    "曝光",
    "吗",
    "呢",
];

/// The text as the index holds it: NFKC, lower case, simplified characters.
///
/// Characters are folded one at a time (names are not prose: a phrase rule has nothing to
/// choose between), each looked up once per thread and remembered, so indexing a million
/// names does not run the converter a million times.
pub fn normalize(text: &str) -> String {
    thread_local! {
        static SIMPLIFIED: std::cell::RefCell<std::collections::HashMap<char, char>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let nfkc: String = text.nfkc().collect::<String>().to_lowercase();
    if !nfkc.chars().any(is_han) {
        return nfkc;
    }
    SIMPLIFIED.with(|memo| {
        let mut memo = memo.borrow_mut();
        nfkc.chars()
            .map(|c| {
                if !is_han(c) {
                    return c;
                }
                *memo.entry(c).or_insert_with(|| {
                    let folded =
                        zhconv::zhconv(c.encode_utf8(&mut [0; 4]), zhconv::Variant::ZhHans);
                    let mut chars = folded.chars();
                    match (chars.next(), chars.next()) {
                        (Some(one), None) => one,
                        _ => c,
                    }
                })
            })
            .collect()
    })
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// Splits a normalised query into words: white space and punctuation separate them.
fn split(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Drops question and request phrases from the ends of a word, keeping at least a
/// character. Returns `None` when the whole word is such a phrase.
fn strip_intent(word: &str) -> Option<String> {
    let mut w = word;
    let mut changed = true;
    while changed {
        changed = false;
        for p in LEADING {
            if let Some(rest) = w.strip_prefix(p)
                && !rest.is_empty()
            {
                w = rest;
                changed = true;
            }
        }
        for p in TRAILING {
            if let Some(rest) = w.strip_suffix(p)
                && !rest.is_empty()
            {
                w = rest;
                changed = true;
            }
        }
        // 「…的」 left over from 「附近的…」 or 「…的电话」.
        if let Some(rest) = w.strip_suffix('的')
            && rest.chars().count() >= 2
            && changed
        {
            w = rest;
        }
    }
    let whole = LEADING.contains(&word) || TRAILING.contains(&word);
    (!whole).then(|| w.to_owned())
}

/// The words of a query, normalised, with question and request words dropped (unless
/// nothing else is left). At most `max` words.
pub fn words(q: &str, max: usize) -> Vec<String> {
    let all = split(&normalize(q));
    let kept: Vec<String> = all.iter().filter_map(|w| strip_intent(w)).collect();
    let mut out = if kept.is_empty() { all } else { kept };
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_case_and_traditional_fold() {
        assert_eq!(normalize("ＫＦＣ"), "kfc");
        assert_eq!(normalize("７天"), "7天");
        assert_eq!(normalize("茶館"), "茶馆");
        assert_eq!(normalize("小肥羊（東風西路店）"), "小肥羊(东风西路店)");
    }

    #[test]
    fn brackets_and_punctuation_split_words() {
        assert_eq!(
            words("小肥羊（东风西路店）", 16),
            vec!["小肥羊", "东风西路店"]
        );
        assert_eq!(words("老滇味,米线", 16), vec!["老滇味", "米线"]);
    }

    #[test]
    fn question_words_are_dropped() {
        assert_eq!(words("建新园好不好", 16), vec!["建新园"]);
        assert_eq!(words("福照楼靠谱吗", 16), vec!["福照楼"]);
        assert_eq!(words("翠湖宾馆电话", 16), vec!["翠湖宾馆"]);
        assert_eq!(words("附近的过桥米线", 16), vec!["过桥米线"]);
        assert_eq!(words("金鼎大药房 在哪", 16), vec!["金鼎大药房"]);
        assert_eq!(words("丽人美发投诉", 16), vec!["丽人美发"]);
        // Only question words: kept, so the search still says what it looked for.
        assert_eq!(words("投诉", 16), vec!["投诉"]);
    }
}
