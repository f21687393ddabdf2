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
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, EnableScoring, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Index, Order, Searcher, TERMINATED, TantivyDocument, Term};

use crate::schema::{BIGRAM, Fields, JIEBA};
use crate::{MerchantDoc, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Relevance,
    Score,
}

/// A search as the portal and the API ask it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub total: usize,
    /// False when `total` reached the count cap and is a lower bound.
    pub total_exact: bool,
    pub hits: Vec<Hit>,
    /// Counts over all matches; `None` when not asked for or when `total` is not exact.
    pub facets: Option<Facets>,
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

/// One Chinese (or mixed) word.
fn cjk_word_query(index: &Index, f: &Fields, word: &str) -> Box<dyn Query> {
    let mut must_any: Vec<Box<dyn Query>> = Vec::new();
    for (field, boost) in [
        (f.sign_name_bi, 3.0),
        (f.name_bi, 2.0),
        (f.former_names_bi, 1.0),
    ] {
        if let Some(q) = substring_query(index, field, word) {
            must_any.push(boosted(q, boost));
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
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, any_of(must_any))];
    clauses.push((
        Occur::Should,
        boosted(term_query(f.sign_exact, &lower), 8.0),
    ));
    clauses.push((
        Occur::Should,
        boosted(term_query(f.name_exact, &lower), 5.0),
    ));
    for w in &words {
        clauses.push((Occur::Should, boosted(term_query(f.sign_name, w), 1.5)));
        clauses.push((Occur::Should, term_query(f.name, w)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// One Latin word: pinyin, initials, letters or digits.
fn latin_word_query(index: &Index, f: &Fields, word: &str, typos: bool) -> Box<dyn Query> {
    let lower = word.to_ascii_lowercase();
    let len = lower.chars().count();
    let mut must_any: Vec<Box<dyn Query>> = Vec::new();
    let fuzzy = |field: Field, boost: f32| -> Box<dyn Query> {
        let term = Term::from_field_text(field, &lower);
        let q: Box<dyn Query> = if len >= 2 {
            let distance = if typos { typo_distance(len) } else { 0 };
            Box::new(FuzzyTermQuery::new_prefix(term, distance, true))
        } else {
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        boosted(q, boost)
    };
    must_any.push(fuzzy(f.sign_py, 3.0));
    must_any.push(fuzzy(f.name_py, 2.0));
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
    let clauses: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Must, any_of(must_any)),
        (Occur::Should, boosted(term_query(f.sign_py, &lower), 3.0)),
        (
            Occur::Should,
            boosted(term_query(f.sign_py_init, &lower), 3.0),
        ),
        (Occur::Should, boosted(term_query(f.name_py, &lower), 1.5)),
        (
            Occur::Should,
            boosted(term_query(f.name_py_init, &lower), 1.5),
        ),
    ];
    Box::new(BooleanQuery::new(clauses))
}

fn build_query(index: &Index, f: &Fields, req: &SearchRequest, typos: bool) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let q = req.q.trim();
    let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if fangxin_scoring::Uscc::looks_like(&compact) {
        clauses.push((
            Occur::Must,
            term_query(f.uscc, &compact.to_ascii_uppercase()),
        ));
    } else {
        for word in q.split_whitespace().take(16) {
            let query = if is_latin(word) {
                latin_word_query(index, f, word, typos)
            } else {
                cjk_word_query(index, f, word)
            };
            clauses.push((Occur::Must, query));
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

/// Counts matches up to `cap`, stopping there.
fn capped_count(searcher: &Searcher, query: &dyn Query, cap: usize) -> Result<(usize, bool)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut count = 0usize;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                count += 1;
                if count >= cap {
                    return Ok((count, false));
                }
            }
            doc = scorer.advance();
        }
    }
    Ok((count, true))
}

fn facet_request() -> Option<Aggregations> {
    serde_json::from_value(serde_json::json!({
        "grade": { "terms": { "field": "grade", "size": 10 } },
        "street": { "terms": { "field": "street", "size": 50 } },
        "industry": { "terms": { "field": "industry", "size": 50 } },
        "trusted": { "terms": { "field": "trusted", "size": 2 } },
    }))
    .ok()
}

fn read_facets(results: &AggregationResults) -> Facets {
    let value = serde_json::to_value(results).unwrap_or_default();
    let buckets = |name: &str| -> Vec<FacetCount> {
        value[name]["buckets"]
            .as_array()
            .map(|b| {
                b.iter()
                    .filter_map(|b| {
                        let key = match &b["key"] {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Bool(v) => v.to_string(),
                            serde_json::Value::Number(n) => match n.as_u64() {
                                Some(1) => "true".into(),
                                Some(0) => "false".into(),
                                _ => n.to_string(),
                            },
                            _ => return None,
                        };
                        Some(FacetCount {
                            value: key,
                            count: b["doc_count"].as_u64().unwrap_or(0),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut grade = buckets("grade");
    grade.sort_by(|a, b| a.value.cmp(&b.value));
    Facets {
        grade,
        street: buckets("street"),
        industry: buckets("industry"),
        trusted: buckets("trusted"),
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

/// Scores matches in one pass, keeping the best `offset + limit`, and stops after `cap`
/// matches: a query matching most of the index (有限公司) costs what `cap` matches cost,
/// and then ranks within those. Returns the page, the count and whether it is exact.
fn bounded_top(
    searcher: &Searcher,
    query: &dyn Query,
    offset: usize,
    limit: usize,
    cap: usize,
) -> Result<Page> {
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let keep = offset.saturating_add(limit).max(1);
    // A max-heap of the worst kept hit on top.
    let mut heap: std::collections::BinaryHeap<Ranked> = std::collections::BinaryHeap::new();
    let mut count = 0usize;
    let mut exact = true;
    'segments: for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                count += 1;
                let hit = Ranked(scorer.score(), ord as u32, doc);
                if heap.len() < keep {
                    heap.push(hit);
                } else if heap.peek().is_some_and(|worst| hit < *worst) {
                    heap.pop();
                    heap.push(hit);
                }
                if count >= cap {
                    exact = scorer.advance() == TERMINATED
                        && searcher.segment_readers().len() == ord + 1;
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
        .map(|Ranked(score, seg, doc)| (score, DocAddress::new(seg, doc)))
        .collect();
    Ok((page, count, exact))
}

fn facets_of(index: &Index, searcher: &Searcher, query: &dyn Query) -> Result<Option<Facets>> {
    let Some(aggs) = facet_request() else {
        return Ok(None);
    };
    let agg = AggregationCollector::from_aggs(
        aggs,
        AggContextParams::new(
            AggregationLimitsGuard::default(),
            index.tokenizers().clone(),
        ),
    );
    let res = searcher.search(query, &agg)?;
    Ok(Some(read_facets(&res)))
}

fn run_query(
    index: &Index,
    searcher: &Searcher,
    req: &SearchRequest,
    query: &dyn Query,
) -> Result<(Page, Option<Facets>)> {
    let per_page = req.per_page.max(1);
    let offset = req.page.saturating_sub(1).saturating_mul(per_page);
    let cap = req.count_cap.max(1);
    let (page, total, exact) = match req.sort {
        SortOrder::Relevance => bounded_top(searcher, query, offset, per_page, cap)?,
        SortOrder::Score => {
            let top = TopDocs::with_limit(per_page).and_offset(offset);
            let page = searcher
                .search(query, &top.order_by_fast_field::<i64>("score", Order::Desc))?
                .into_iter()
                .map(|(s, a)| (s.unwrap_or(0) as f32, a))
                .collect();
            let (count, exact) = capped_count(searcher, query, cap)?;
            (page, count, exact)
        }
    };
    // Facets are exact or absent: computed when the matches were counted in full.
    let facets = if req.facets && exact {
        facets_of(index, searcher, query)?
    } else {
        None
    };
    Ok(((page, total, exact), facets))
}

pub fn run(
    index: &Index,
    searcher: &Searcher,
    fields: &Fields,
    req: &SearchRequest,
) -> Result<SearchResults> {
    // Typos are forgiven only when the exact reading finds too little: the common case
    // stays cheap and exact matches are never crowded out by near ones.
    let exact_query = build_query(index, fields, req, false);
    let ((mut addresses, mut total, mut total_exact), mut facets) =
        run_query(index, searcher, req, exact_query.as_ref())?;
    if total < req.per_page.max(1)
        && req
            .q
            .split_whitespace()
            .any(|w| is_latin(w) && w.len() >= 5)
    {
        let fuzzy_query = build_query(index, fields, req, true);
        let ((a, t, e), f) = run_query(index, searcher, req, fuzzy_query.as_ref())?;
        if t > total {
            (addresses, total, total_exact, facets) = (a, t, e, f);
        }
    }

    let words: Vec<&str> = req.q.split_whitespace().collect();
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
    })
}

/// Facet values present in the whole index (for filter menus), by field.
pub fn all_facets(index: &Index, searcher: &Searcher) -> Result<Facets> {
    let Some(aggs) = facet_request() else {
        return Ok(Facets::default());
    };
    let agg = AggregationCollector::from_aggs(
        aggs,
        AggContextParams::new(
            AggregationLimitsGuard::default(),
            index.tokenizers().clone(),
        ),
    );
    let res = searcher.search(&AllQuery, &agg)?;
    Ok(read_facets(&res))
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
