//! Turning what a person typed into a query. User text is never tantivy query syntax:
//! every string is a valid query and the worst it can get is no hits.
//!
//! A query is split on white space; every word must match somewhere:
//! - a USCC-looking query is an exact lookup;
//! - a word with Chinese characters matches names containing it (bigram phrase, exactly
//!   what `LIKE '%word%'` matches) or the address's words; whole-name matches and jieba
//!   words rank higher;
//! - a Latin word (pinyin, initials, letters and digits) matches the pinyin suffixes of
//!   names as a prefix, with typos forgiven by length, and names containing it.
//!
//! Sign-name matches weigh more than legal-name matches; a merchant's score never changes
//! relevance (only `sort=score` orders by it).

use serde::{Deserialize, Serialize};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, EnableScoring, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Index, Searcher, TERMINATED, TantivyDocument, Term};

use crate::schema::{BIGRAM, Fields, JIEBA};
use crate::tally::FacetTally;
use crate::{MerchantDoc, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Relevance,
    Score,
}

/// A search as the portal and the API ask it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SearchRequest {
    pub q: String,
    pub street: Option<String>,
    pub industry: Option<String>,
    pub grade: Option<String>,
    pub trusted: Option<bool>,
    pub sort: SortOrder,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    /// Compute facet counts (grade, street, industry, trusted) over the matches.
    pub facets: bool,
    /// Count (and rank) at most this many matches; beyond it `total` is a lower bound,
    /// the page is the best of those and facets are left out.
    pub count_cap: usize,
}

impl SearchRequest {
    /// First page of 20 for a query string, no filters, with facets.
    pub fn query(q: &str) -> Self {
        SearchRequest {
            q: q.to_owned(),
            street: None,
            industry: None,
            grade: None,
            trusted: None,
            sort: SortOrder::Relevance,
            page: 1,
            per_page: 20,
            facets: true,
            count_cap: 10_000,
        }
    }
}

/// Matched parts of names, HTML-escaped, matches wrapped in `<em>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Highlights {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub doc: MerchantDoc,
    pub relevance: f32,
    pub highlights: Highlights,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    pub grade: Vec<FacetCount>,
    pub street: Vec<FacetCount>,
    pub industry: Vec<FacetCount>,
    pub trusted: Vec<FacetCount>,
}

/// Help for a mistyped USCC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsccHint {
    /// The check the code fails (`length`, `character`, `organisation_code_check`,
    /// `check_character`); absent when it passes its checks but names no merchant.
    pub check: Option<String>,
    /// The failed check in words, naming the character.
    pub problem: Option<String>,
    /// The one registered code a single character away, if exactly one is.
    pub did_you_mean: Option<UsccSuggestion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsccSuggestion {
    pub uscc: String,
    /// The position (1–18) of the character that differs.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub total: usize,
    /// False when `total` reached the count cap and is a lower bound.
    pub total_exact: bool,
    pub hits: Vec<Hit>,
    /// Counts over all matches; `None` when not asked for or when `total` is not exact.
    pub facets: Option<Facets>,
    /// For a code typed in full that names no merchant: what is wrong with it.
    pub uscc_hint: Option<UsccHint>,
}

fn tokens(index: &Index, tokenizer: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = index.tokenizers().get(tokenizer) else {
        return Vec::new();
    };
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

fn any_of(clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if clauses.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// Exact substring match of `word` in a bigram field.
fn substring_query(index: &Index, field: Field, word: &str) -> Option<Box<dyn Query>> {
    let grams = tokens(index, BIGRAM, word);
    match grams.len() {
        0 => {
            // A single character: any bigram that starts with it.
            let c: String = word.trim().to_lowercase().chars().take(1).collect();
            if c.is_empty() {
                return None;
            }
            RegexQuery::from_pattern(&format!("{}.", regex_escape(&c)), field)
                .ok()
                .map(|q| Box::new(q) as Box<dyn Query>)
        }
        1 => Some(term_query(field, &grams[0])),
        _ => {
            let terms = grams
                .iter()
                .map(|g| Term::from_field_text(field, g))
                .collect();
            Some(Box::new(PhraseQuery::new(terms)))
        }
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || !c.is_ascii() {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// Typos forgiven by length: none up to 4 letters, one up to 7, two beyond.
fn typo_distance(len: usize) -> u8 {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

fn is_latin(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_alphanumeric())
}

/// How far a query is read beyond its letter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Reading {
    /// Pinyin typos forgiven, and Chinese words also matched by their sound (建新圆 for
    /// 建新园), ranking below exact matches.
    loose: bool,
    /// Not every word need match: the most matched rank first.
    relaxed: bool,
}

/// The words of a Chinese word found apart, in any order, in one name field: 「金马火锅」
/// in 金马碧鸡老火锅. Single characters are left out (too common to tell shops apart).
fn pieces_query(index: &Index, field: Field, word: &str) -> Option<Box<dyn Query>> {
    let pieces: Vec<String> = crate::words(word)
        .into_iter()
        .filter(|p| p.chars().count() >= 2)
        .collect();
    if pieces.len() < 2 {
        return None;
    }
    let all: Option<Vec<(Occur, Box<dyn Query>)>> = pieces
        .iter()
        .map(|p| substring_query(index, field, p).map(|q| (Occur::Must, q)))
        .collect();
    all.map(|clauses| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

/// At least seven in ten of a word's distinct character pairs, in any order (words of
/// three characters or more).
fn most_pairs_query(index: &Index, field: Field, word: &str) -> Option<Box<dyn Query>> {
    let mut grams = tokens(index, BIGRAM, word);
    grams.sort();
    grams.dedup();
    if grams.len() < 2 {
        return None;
    }
    let needed = (grams.len() * 7).div_ceil(10);
    let clauses = grams.iter().map(|g| term_query(field, g)).collect();
    Some(Box::new(BooleanQuery::union_with_minimum_required_clauses(
        clauses, needed,
    )))
}

/// One Chinese (or mixed) word.
fn cjk_word_query(index: &Index, f: &Fields, word: &str, reading: Reading) -> Box<dyn Query> {
    let mut must_any: Vec<Box<dyn Query>> = Vec::new();
    for (field, boost) in [
        (f.sign_name_bi, 3.0),
        (f.name_bi, 2.0),
        (f.former_names_bi, 1.0),
    ] {
        if let Some(q) = substring_query(index, field, word) {
            must_any.push(boosted(q, boost));
        }
        // The same words apart or in another order, when the word as typed found nothing.
        if reading.loose
            && let Some(q) = pieces_query(index, field, word)
        {
            must_any.push(boosted(q, boost * 0.4));
        }
    }
    if reading.loose {
        // Most of the word's character pairs, in any order: words the dictionary cuts
        // oddly, or a name typed back to front (「汽锅鸡福照楼」).
        for (field, boost) in [(f.sign_name_bi, 3.0), (f.name_bi, 2.0)] {
            if let Some(q) = most_pairs_query(index, field, word) {
                must_any.push(boosted(q, boost * 0.3));
            }
        }
        let sound = crate::pinyin::spelled(word);
        if sound.len() >= 4 && is_latin(&sound) {
            must_any.push(boosted(
                latin_word_query(index, f, &sound, SOUND_TYPOS),
                0.2,
            ));
        }
    }
    let words = tokens(index, JIEBA, word);
    if !words.is_empty() {
        let all: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| (Occur::Must, term_query(f.address, w)))
            .collect();
        must_any.push(boosted(Box::new(BooleanQuery::new(all)), 0.5));
    }
    let lower = word.to_lowercase();
    let mut boosts = vec![
        boosted(term_query(f.sign_exact, &lower), 8.0),
        boosted(term_query(f.name_exact, &lower), 5.0),
    ];
    for w in &words {
        boosts.push(boosted(term_query(f.sign_name, w), 1.5));
        boosts.push(term_query(f.name, w));
    }
    ranked_by(any_of(must_any), boosts)
}

/// `core`'s matches, ranked higher by each of `boosts` they also match (the scores add).
/// One boost per level rather than one optional union of them all: tantivy scores an
/// optional clause by seeking it to each match, and a union's seek beyond its window of
/// 4,096 documents clears the whole window — a quarter of all search CPU at a million
/// merchants — where a single term's seek is a skip.
fn ranked_by(core: Box<dyn Query>, boosts: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    boosts.into_iter().fold(core, |q, boost| {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (Occur::Should, boost),
        ]))
    })
}

/// Typos forgiven in a word typed in pinyin (by length, up to two), none when read exactly.
const PINYIN_TYPOS: u8 = 2;
/// Typos forgiven in the sound of a word typed in characters: a homophone sounds the same,
/// a near one (建兴园 for 建新园) one letter off; two would turn 迟到 into 时代.
const SOUND_TYPOS: u8 = 1;

/// One Latin word: pinyin, initials, letters or digits.
fn latin_word_query(index: &Index, f: &Fields, word: &str, typos: u8) -> Box<dyn Query> {
    let lower = word.to_ascii_lowercase();
    let len = lower.chars().count();
    let mut must_any: Vec<Box<dyn Query>> = Vec::new();
    let fuzzy = |field: Field, boost: f32| -> Box<dyn Query> {
        let term = Term::from_field_text(field, &lower);
        let q: Box<dyn Query> = if len >= 2 {
            let distance = typo_distance(len).min(typos);
            Box::new(FuzzyTermQuery::new_prefix(term, distance, true))
        } else {
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        boosted(q, boost)
    };
    must_any.push(fuzzy(f.sign_py, 3.0));
    must_any.push(fuzzy(f.name_py, 2.0));
    // Other readings of polyphonic characters: a prefix as typed, never fuzzy.
    for (field, boost) in [(f.sign_py_other, 2.5), (f.name_py_other, 1.5)] {
        let term = Term::from_field_text(field, &lower);
        let q: Box<dyn Query> = if len >= 2 {
            Box::new(FuzzyTermQuery::new_prefix(term, 0, false))
        } else {
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        must_any.push(boosted(q, boost));
    }
    if len <= 8 {
        // Initials: an exact prefix, no typos (every letter is a syllable).
        let prefix = |field: Field, boost: f32| -> Box<dyn Query> {
            let term = Term::from_field_text(field, &lower);
            let q: Box<dyn Query> = if len >= 2 {
                Box::new(FuzzyTermQuery::new_prefix(term, 0, false))
            } else {
                Box::new(TermQuery::new(term, IndexRecordOption::Basic))
            };
            boosted(q, boost)
        };
        must_any.push(prefix(f.sign_py_init, 2.5));
        must_any.push(prefix(f.name_py_init, 1.5));
    }
    for (field, boost) in [(f.sign_name_bi, 3.0), (f.name_bi, 2.0)] {
        if let Some(q) = substring_query(index, field, &lower) {
            must_any.push(boosted(q, boost));
        }
    }
    // Exact matches of a whole suffix (a syllable boundary on both ends) rank higher.
    let boosts = vec![
        boosted(term_query(f.sign_py, &lower), 3.0),
        boosted(term_query(f.sign_py_init, &lower), 3.0),
        boosted(term_query(f.name_py, &lower), 1.5),
        boosted(term_query(f.name_py_init, &lower), 1.5),
    ];
    ranked_by(any_of(must_any), boosts)
}

/// A query typed as a USCC: its 18 characters, upper case, full-width and spaces forgiven.
fn as_uscc(q: &str) -> Option<String> {
    let compact: String = crate::understand::normalize(q)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    fangxin_scoring::Uscc::looks_like(&compact).then(|| compact.to_ascii_uppercase())
}

fn build_query(
    index: &Index,
    f: &Fields,
    req: &SearchRequest,
    words: &[String],
    reading: Reading,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(code) = as_uscc(&req.q) {
        clauses.push((Occur::Must, term_query(f.uscc, &code)));
    } else {
        let mut matches: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in words {
            let query = if is_latin(word) {
                latin_word_query(index, f, word, if reading.loose { PINYIN_TYPOS } else { 0 })
            } else {
                cjk_word_query(index, f, word, reading)
            };
            matches.push((Occur::Should, query));
        }
        if !matches.is_empty() {
            if reading.relaxed {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(matches))));
            } else {
                clauses.extend(matches.into_iter().map(|(_, q)| (Occur::Must, q)));
            }
        }
    }
    let filters = [
        (f.street, req.street.as_deref()),
        (f.industry, req.industry.as_deref()),
        (f.grade, req.grade.as_deref()),
    ];
    for (field, value) in filters {
        if let Some(v) = value {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, v.trim()),
                    IndexRecordOption::Basic,
                )),
            ));
        }
    }
    if let Some(t) = req.trusted {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_bool(f.trusted, t),
                IndexRecordOption::Basic,
            )),
        ));
    }
    if clauses.is_empty() {
        Box::new(AllQuery)
    } else {
        Box::new(BooleanQuery::new(clauses))
    }
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Marks the characters of `text` matched by any query word, escaped, in `<em>`.
fn highlight(text: &str, words: &[&str]) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = text.to_lowercase().chars().collect();
    if lower.len() != chars.len() {
        return None;
    }
    let mut marked = vec![false; chars.len()];
    for word in words {
        let w: Vec<char> = word.to_lowercase().chars().collect();
        let mut found = false;
        if !w.is_empty() && w.len() <= lower.len() {
            for start in 0..=(lower.len() - w.len()) {
                if lower[start..start + w.len()] == w[..] {
                    marked[start..start + w.len()]
                        .iter_mut()
                        .for_each(|m| *m = true);
                    found = true;
                }
            }
        }
        if !found
            && is_latin(word)
            && let Some(range) = crate::pinyin::matched_chars(text, word)
        {
            marked[range].iter_mut().for_each(|m| *m = true);
        }
    }
    if !marked.iter().any(|m| *m) {
        return None;
    }
    let mut out = String::new();
    let mut open = false;
    for (c, m) in chars.iter().zip(&marked) {
        if *m && !open {
            out.push_str("<em>");
            open = true;
        } else if !*m && open {
            out.push_str("</em>");
            open = false;
        }
        out.push_str(&escape_html(&c.to_string()));
    }
    if open {
        out.push_str("</em>");
    }
    Some(out)
}

/// A page of (relevance, address), the match count and whether it is exact.
type Page = (Vec<(f32, DocAddress)>, usize, bool);

/// A hit of the bounded search: score, then (segment, doc) for a stable order.
#[derive(PartialEq)]
struct Ranked(f32, u32, u32);

impl Eq for Ranked {}

impl Ord for Ranked {
    /// Better first: higher score, then lower address (tantivy's own tie-break).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then(self.1.cmp(&other.1))
            .then(self.2.cmp(&other.2))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Walks the matches of `query` once: keeps the best `offset + limit` by `rank` (relevance
/// or the merchant's score; `None` only counts, unscored), counts facets into `tally` when
/// given, and stops after `cap` matches — a query matching most of the index (有限公司)
/// costs what `cap` matches cost, and is then ranked within those. Returns the page, the
/// count and whether the count is exact.
fn walk(
    searcher: &Searcher,
    query: &dyn Query,
    rank: Option<SortOrder>,
    (offset, limit): (usize, usize),
    cap: usize,
    mut tally: Option<&mut FacetTally>,
) -> Result<Page> {
    let scoring = if rank == Some(SortOrder::Relevance) {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        EnableScoring::disabled_from_searcher(searcher)
    };
    let weight = query.weight(scoring)?;
    let keep = if rank.is_some() {
        offset.saturating_add(limit)
    } else {
        0
    };
    // A max-heap of the worst kept hit on top.
    let mut heap: std::collections::BinaryHeap<Ranked> = std::collections::BinaryHeap::new();
    let mut count = 0usize;
    let mut exact = true;
    let segments = searcher.segment_readers();
    'segments: for (ord, reader) in segments.iter().enumerate() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let scores = match rank {
            Some(SortOrder::Score) => Some(reader.fast_fields().i64("score")?),
            _ => None,
        };
        if let Some(t) = tally.as_deref_mut() {
            t.enter(reader)?;
        }
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                count += 1;
                if let Some(t) = tally.as_deref_mut() {
                    t.add(doc);
                }
                if keep > 0 {
                    let key = match &scores {
                        Some(column) => column.first(doc).unwrap_or(0) as f32,
                        None => scorer.score(),
                    };
                    let hit = Ranked(key, ord as u32, doc);
                    if heap.len() < keep {
                        heap.push(hit);
                    } else if heap.peek().is_some_and(|worst| hit < *worst) {
                        heap.pop();
                        heap.push(hit);
                    }
                }
                if count >= cap {
                    exact = scorer.advance() == TERMINATED && segments.len() == ord + 1;
                    break 'segments;
                }
            }
            doc = scorer.advance();
        }
    }
    let mut ranked = heap.into_vec();
    ranked.sort();
    let page = ranked
        .into_iter()
        .skip(offset)
        .map(|Ranked(key, seg, doc)| (key, DocAddress::new(seg, doc)))
        .collect();
    Ok((page, count, exact))
}

/// Facet counts of every match of `query`, or `None` when there are more than `cap`.
fn facets_within(searcher: &Searcher, query: &dyn Query, cap: usize) -> Result<Option<Facets>> {
    let mut tally = FacetTally::default();
    let (_, _, exact) = walk(searcher, query, None, (0, 0), cap, Some(&mut tally))?;
    Ok(if exact { Some(tally.finish()?) } else { None })
}

fn run_query(
    searcher: &Searcher,
    req: &SearchRequest,
    query: &dyn Query,
) -> Result<(Page, Option<Facets>)> {
    let per_page = req.per_page.max(1);
    let offset = req.page.saturating_sub(1).saturating_mul(per_page);
    let cap = req.count_cap.max(1);
    let mut tally = req.facets.then(FacetTally::default);
    let (page, total, exact) = walk(
        searcher,
        query,
        Some(req.sort),
        (offset, per_page),
        cap,
        tally.as_mut(),
    )?;
    // Facets are exact or absent: kept when the matches were counted in full.
    let facets = match tally {
        Some(t) if exact => Some(t.finish()?),
        _ => None,
    };
    Ok(((page, total, exact), facets))
}

pub fn run(
    index: &Index,
    searcher: &Searcher,
    fields: &Fields,
    req: &SearchRequest,
) -> Result<SearchResults> {
    // The query as meant: normalised like the index, question words dropped.
    let understood = crate::understand::words(&req.q, 16);
    // Read exactly first; typos and sounds only when that finds too little, so the common
    // case stays cheap and exact matches are never crowded out by near ones; and when even
    // that finds nothing, not every word need match.
    let strict = Reading::default();
    let mut used = strict;
    let query = build_query(index, fields, req, &understood, strict);
    let ((mut addresses, mut total, mut total_exact), mut facets) =
        run_query(searcher, req, query.as_ref())?;
    // Pinyin finding less than a page may be mistyped; Chinese words are read loosely only
    // when they found nothing, so that an exact match is never crowded by sounds-alike.
    let pinyin_typed = understood.iter().any(|w| is_latin(w) && w.len() >= 5);
    let chinese_typed = understood
        .iter()
        .any(|w| !is_latin(w) && w.chars().count() >= 2);
    let too_little = (pinyin_typed && total < req.per_page.max(1)) || (chinese_typed && total == 0);
    let code = as_uscc(&req.q);
    if too_little && code.is_none() {
        let loose = Reading {
            loose: true,
            relaxed: false,
        };
        let query = build_query(index, fields, req, &understood, loose);
        let ((a, t, e), f) = run_query(searcher, req, query.as_ref())?;
        if t > total {
            (addresses, total, total_exact, facets) = (a, t, e, f);
            used = loose;
        }
    }
    if total == 0 && understood.len() > 1 && code.is_none() {
        let relaxed = Reading {
            loose: true,
            relaxed: true,
        };
        let query = build_query(index, fields, req, &understood, relaxed);
        ((addresses, total, total_exact), facets) = run_query(searcher, req, query.as_ref())?;
        used = relaxed;
    }
    if let Some(f) = facets.as_mut() {
        disjunctive_facets(index, searcher, fields, req, &understood, used, f)?;
    }
    let uscc_hint = match code {
        Some(code) if total == 0 => uscc_hint(searcher, fields, &code)?,
        _ => None,
    };

    let words: Vec<&str> = understood.iter().map(String::as_str).collect();
    let mut hits = Vec::with_capacity(addresses.len());
    for (relevance, addr) in addresses {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let doc = fields.from_document(&doc);
        let highlights = Highlights {
            sign_name: doc.sign_name.as_deref().and_then(|s| highlight(s, &words)),
            name: highlight(&doc.name, &words),
        };
        hits.push(Hit {
            doc,
            relevance,
            highlights,
        });
    }
    Ok(SearchResults {
        total,
        total_exact,
        hits,
        facets,
        uscc_hint,
    })
}

/// Matches without a chosen filter counted at most, for its own facet; beyond, the facet
/// keeps the counts within the filter (a broad query stays cheap).
const DISJUNCTIVE_CAP: usize = 5_000;

/// A chosen filter's own counts ignore that filter (disjunctive facets): with 华山街道
/// chosen, every other street still shows how many matches it holds, so a visitor can
/// switch. Left as they are when the matches without the filter exceed the count cap.
fn disjunctive_facets(
    index: &Index,
    searcher: &Searcher,
    fields: &Fields,
    req: &SearchRequest,
    words: &[String],
    reading: Reading,
    facets: &mut Facets,
) -> Result<()> {
    let without = |clear: &dyn Fn(&mut SearchRequest)| -> Result<Option<Facets>> {
        let mut r = req.clone();
        clear(&mut r);
        let query = build_query(index, fields, &r, words, reading);
        facets_within(searcher, query.as_ref(), DISJUNCTIVE_CAP)
    };
    if req.street.is_some()
        && let Some(f) = without(&|r| r.street = None)?
    {
        facets.street = f.street;
    }
    if req.industry.is_some()
        && let Some(f) = without(&|r| r.industry = None)?
    {
        facets.industry = f.industry;
    }
    if req.grade.is_some()
        && let Some(f) = without(&|r| r.grade = None)?
    {
        facets.grade = f.grade;
    }
    if req.trusted.is_some()
        && let Some(f) = without(&|r| r.trusted = None)?
    {
        facets.trusted = f.trusted;
    }
    Ok(())
}

/// What is wrong with a code typed in full that names no merchant: which check fails, and
/// the one registered code a single character away, if there is exactly one.
fn uscc_hint(searcher: &Searcher, fields: &Fields, code: &str) -> Result<Option<UsccHint>> {
    let problem = fangxin_scoring::Uscc::parse(code).err();
    let mut registered = Vec::new();
    for candidate in fangxin_scoring::Uscc::one_character_away(code) {
        let q = term_query(fields.uscc, candidate.as_str());
        if searcher.search(q.as_ref(), &tantivy::collector::Count)? > 0 {
            registered.push(candidate);
            if registered.len() > 1 {
                break;
            }
        }
    }
    if problem.is_none() && registered.is_empty() {
        return Ok(None);
    }
    let did_you_mean = match registered.as_slice() {
        [only] => {
            let position = code
                .chars()
                .zip(only.as_str().chars())
                .position(|(a, b)| a != b)
                .map_or(0, |p| p + 1);
            Some(UsccSuggestion {
                uscc: only.as_str().to_owned(),
                position,
            })
        }
        _ => None,
    };
    Ok(Some(UsccHint {
        check: problem.as_ref().map(|e| e.check().to_owned()),
        problem: problem.as_ref().map(ToString::to_string),
        did_you_mean,
    }))
}

/// Merchants near a point, nearest first: within `radius_m` of (`lat`, `lng`), matching
/// `q` and the filters as a search does (exactly; no loose readings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearbyRequest {
    pub lat: f64,
    pub lng: f64,
    pub radius_m: f64,
    pub q: String,
    pub street: Option<String>,
    pub industry: Option<String>,
    pub grade: Option<String>,
    pub trusted: Option<bool>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearbyHit {
    pub doc: MerchantDoc,
    /// Metres from the point, along the earth's surface.
    pub distance_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearbyResults {
    /// Merchants within the radius (that match).
    pub total: usize,
    pub hits: Vec<NearbyHit>,
}

/// Mean earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine).
pub fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

fn f64_range(field: Field, low: f64, high: f64) -> Box<dyn Query> {
    use std::ops::Bound::Included;
    Box::new(tantivy::query::RangeQuery::new(
        Included(Term::from_field_f64(field, low)),
        Included(Term::from_field_f64(field, high)),
    ))
}

pub fn nearby(
    index: &Index,
    searcher: &Searcher,
    fields: &Fields,
    req: &NearbyRequest,
) -> Result<NearbyResults> {
    let search = SearchRequest {
        q: req.q.clone(),
        street: req.street.clone(),
        industry: req.industry.clone(),
        grade: req.grade.clone(),
        trusted: req.trusted,
        ..SearchRequest::query("")
    };
    let words = crate::understand::words(&req.q, 16);
    let matching = build_query(index, fields, &search, &words, Reading::default());
    // The box around the circle, on the fast fields; then the circle itself.
    let dlat = req.radius_m / 111_320.0;
    let cos_lat = req.lat.to_radians().cos().abs().max(0.01);
    let dlng = req.radius_m / (111_320.0 * cos_lat);
    // The grid cells that cover the box around the circle: a union of a few dozen postings
    // lists, where two ranges over the fast fields would walk a whole band of the district.
    let cells = crate::schema::cells_covering(
        req.lat - dlat,
        req.lat + dlat,
        req.lng - dlng,
        req.lng + dlng,
    );
    let area: Box<dyn Query> = match cells {
        Some(cells) => any_of(
            cells
                .iter()
                .map(|c| {
                    Box::new(TermQuery::new(
                        Term::from_field_text(fields.cells, c),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>
                })
                .collect(),
        ),
        None => Box::new(BooleanQuery::new(vec![
            (
                Occur::Must,
                f64_range(fields.lat, req.lat - dlat, req.lat + dlat),
            ),
            (
                Occur::Must,
                f64_range(fields.lng, req.lng - dlng, req.lng + dlng),
            ),
        ])),
    };
    let query = BooleanQuery::new(vec![(Occur::Must, matching), (Occur::Must, area)]);
    // Within the circle by the flat-earth distance (exact to well under a metre over a few
    // kilometres); the reported distance is the great-circle one.
    let metres_per_deg_lat = 111_320.0;
    let metres_per_deg_lng = 111_320.0 * cos_lat;
    let radius_sq = req.radius_m * req.radius_m;
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let per_page = req.per_page.max(1);
    let offset = req.page.saturating_sub(1).saturating_mul(per_page);
    let keep = offset.saturating_add(per_page);
    // A max-heap of the farthest kept hit on top: (distance in mm, segment, doc).
    let mut heap: std::collections::BinaryHeap<(u64, u32, u32)> =
        std::collections::BinaryHeap::new();
    let mut total = 0usize;
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let lat = reader.fast_fields().f64("lat")?;
        let lng = reader.fast_fields().f64("lng")?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc))
                && let (Some(a), Some(b)) = (lat.first(doc), lng.first(doc))
            {
                let dy = (a - req.lat) * metres_per_deg_lat;
                let dx = (b - req.lng) * metres_per_deg_lng;
                let flat_sq = dx * dx + dy * dy;
                if flat_sq <= radius_sq {
                    total += 1;
                    let entry = ((flat_sq.sqrt() * 1000.0) as u64, ord as u32, doc);
                    if heap.len() < keep {
                        heap.push(entry);
                    } else if heap.peek().is_some_and(|far| entry < *far) {
                        heap.pop();
                        heap.push(entry);
                    }
                }
            }
            doc = scorer.advance();
        }
    }
    let mut nearest = heap.into_vec();
    nearest.sort_unstable();
    let mut hits = Vec::with_capacity(per_page);
    for (_, seg, doc) in nearest.into_iter().skip(offset) {
        let stored: TantivyDocument = searcher.doc(DocAddress::new(seg, doc))?;
        let doc = fields.from_document(&stored);
        let distance_m = match (doc.latitude, doc.longitude) {
            (Some(a), Some(b)) => distance_m(req.lat, req.lng, a, b),
            _ => 0.0,
        };
        hits.push(NearbyHit { doc, distance_m });
    }
    Ok(NearbyResults { total, hits })
}

/// Facet values present in the whole index (for filter menus), by field.
pub fn all_facets(searcher: &Searcher) -> Result<Facets> {
    let mut tally = FacetTally::default();
    walk(
        searcher,
        &AllQuery,
        None,
        (0, 0),
        usize::MAX,
        Some(&mut tally),
    )?;
    tally.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_escape_and_mark() {
        assert_eq!(
            highlight("老滇味<米线>", &["滇味"]).unwrap(),
            "老<em>滇味</em>&lt;米线&gt;"
        );
        assert_eq!(
            highlight("老滇味米线", &["ldw"]).unwrap(),
            "<em>老滇味</em>米线"
        );
        assert_eq!(highlight("老滇味米线", &["qqq"]), None);
    }

    #[test]
    fn typos_forgiven_by_length() {
        assert_eq!(typo_distance(3), 0);
        assert_eq!(typo_distance(6), 1);
        assert_eq!(typo_distance(10), 2);
    }
}
