//! Turning what a person typed into a query. User text is never tantivy query syntax:
//! every string is a valid query and the worst it can get is no hits.

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Index, Order, Searcher, TantivyDocument, Term};

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
}

impl SearchRequest {
    /// First page of 20 for a query string, no filters.
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
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub doc: MerchantDoc,
    pub relevance: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
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

/// Exact substring match of `word` in a bigram field.
fn substring_query(index: &Index, field: Field, word: &str) -> Option<Box<dyn Query>> {
    let grams = tokens(index, BIGRAM, word);
    match grams.len() {
        0 => {
            // A single character: any bigram that starts with it.
            let c = word.trim().to_lowercase();
            if c.is_empty() {
                return None;
            }
            let pattern = format!("{}.", regex_escape(&c));
            RegexQuery::from_pattern(&pattern, field)
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

/// One whitespace-separated word: it must match somewhere (names, address), and words
/// that match as jieba words of a sign name or legal name rank higher.
fn word_query(index: &Index, f: &Fields, word: &str) -> Box<dyn Query> {
    let mut must_any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in [
        (f.sign_name_bi, 3.0),
        (f.name_bi, 2.0),
        (f.former_names_bi, 1.0),
    ] {
        if let Some(q) = substring_query(index, field, word) {
            must_any.push((Occur::Should, boosted(q, boost)));
        }
    }
    let address_words = tokens(index, JIEBA, word);
    if !address_words.is_empty() {
        let all: Vec<(Occur, Box<dyn Query>)> = address_words
            .iter()
            .map(|w| (Occur::Must, term_query(f.address, w)))
            .collect();
        must_any.push((
            Occur::Should,
            boosted(Box::new(BooleanQuery::new(all)), 0.5),
        ));
    }
    if must_any.is_empty() {
        return Box::new(EmptyQuery);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, Box::new(BooleanQuery::new(must_any)))];
    for w in &address_words {
        clauses.push((Occur::Should, boosted(term_query(f.sign_name, w), 1.5)));
        clauses.push((Occur::Should, term_query(f.name, w)));
    }
    Box::new(BooleanQuery::new(clauses))
}

fn build_query(index: &Index, f: &Fields, req: &SearchRequest) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let q = req.q.trim();
    if fangxin_scoring::Uscc::looks_like(q) {
        clauses.push((Occur::Must, term_query(f.uscc, &q.to_ascii_uppercase())));
    } else {
        for word in q.split_whitespace().take(16) {
            clauses.push((Occur::Must, word_query(index, f, word)));
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

pub fn run(
    index: &Index,
    searcher: &Searcher,
    fields: &Fields,
    req: &SearchRequest,
) -> Result<SearchResults> {
    let query = build_query(index, fields, req);
    let per_page = req.per_page.max(1);
    let offset = req.page.saturating_sub(1).saturating_mul(per_page);
    let top = TopDocs::with_limit(per_page).and_offset(offset);
    let (total, addresses): (usize, Vec<(f32, DocAddress)>) = match req.sort {
        SortOrder::Relevance => searcher.search(&query, &(Count, top.order_by_score()))?,
        SortOrder::Score => {
            let (count, hits) = searcher.search(
                &query,
                &(Count, top.order_by_fast_field::<i64>("score", Order::Desc)),
            )?;
            (
                count,
                hits.into_iter()
                    .map(|(s, a)| (s.unwrap_or(0) as f32, a))
                    .collect(),
            )
        }
    };
    let mut hits = Vec::with_capacity(addresses.len());
    for (relevance, addr) in addresses {
        let doc: TantivyDocument = searcher.doc(addr)?;
        hits.push(Hit {
            doc: fields.from_document(&doc),
            relevance,
        });
    }
    Ok(SearchResults { total, hits })
}
