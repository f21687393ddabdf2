//! The Fangxin search index: schema, Chinese analysers, the writer and search.
//!
//! This crate knows tantivy and the domain's types, never the database. Every call here is
//! CPU or disk work: callers on an async runtime run it on blocking threads.

mod bigram;
pub mod generations;
mod pinyin;
mod schema;
mod search;
mod tally;
mod understand;

use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use schema::Fields;
pub use search::{
    FacetCount, Facets, Highlights, Hit, NearbyHit, NearbyRequest, NearbyResults, SearchRequest,
    SearchResults, SortOrder, UsccHint, UsccSuggestion, distance_m,
};
pub use understand::normalize;

/// The words of a Chinese text as jieba cuts it (precise mode, the index's dictionary),
/// for counting topics. CPU work.
pub fn words(text: &str) -> Vec<String> {
    use tantivy::tokenizer::{TokenStream, Tokenizer};
    let mut tokenizer = tantivy_jieba::JiebaTokenizer::with_search_mode(false);
    let mut stream = tokenizer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Heap of the writer that follows the change feed: one thread, commits of a few documents.
/// Every commit starts a fresh segment writer whose term table is sized from the heap and
/// zeroed, so a large heap costs every write (a third of a write's CPU at 128 MB).
const FOLLOW_HEAP_BYTES: usize = 24 * 1024 * 1024;
/// Segments the following writer merges at most (documents).
const FOLLOW_MERGE_MAX_DOCS: usize = 100_000;
/// Heap of a full rebuild's writer, all threads. Each thread writes a segment when its half
/// fills (26,000 merchants) and the writer merges them eight at a time as it goes; the
/// segments left smaller than a quarter of the largest are merged into one at the end
/// ([`MerchantIndex::settle_writer`]). Twice this heap ended a million merchants in seven
/// segments with a peak RSS of 477 MB against 274 MB (docs/benchmarks.md).
const REBUILD_HEAP_BYTES: usize = 64 * 1024 * 1024;

/// What an index is opened to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writing {
    None,
    Follow,
    Rebuild,
}

fn writer_for(index: &Index, writing: Writing) -> Result<Option<IndexWriter>> {
    Ok(match writing {
        Writing::None => None,
        Writing::Follow => {
            let writer = index.writer_with_num_threads(1, FOLLOW_HEAP_BYTES)?;
            // The follower's small segments merge among themselves; the rebuild's large ones
            // are left alone (merging a million documents would run beside every write).
            let mut policy = tantivy::indexer::LogMergePolicy::default();
            policy.set_max_docs_before_merge(FOLLOW_MERGE_MAX_DOCS);
            writer.set_merge_policy(Box::new(policy));
            Some(writer)
        }
        Writing::Rebuild => Some(index.writer(REBUILD_HEAP_BYTES)?),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index read: {0}")]
    Read(#[from] tantivy::directory::error::OpenReadError),
    #[error("search index writer lock poisoned")]
    Poisoned,
    #[error("this search index was opened read-only")]
    ReadOnly,
    #[error("commit payload unreadable: {0}")]
    Payload(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, IndexError>;

/// What the index holds about one merchant: its public picture only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MerchantDoc {
    pub uscc: String,
    pub name: String,
    pub sign_name: Option<String>,
    pub former_names: Vec<String>,
    pub street: String,
    pub industry: String,
    pub address: String,
    /// `operating`, `deregistered` or `revoked`.
    pub status: String,
    pub score: Option<i32>,
    pub grade: Option<String>,
    pub trusted: bool,
    /// The gravest list the merchant is on now: `serious_violation` or `abnormal`.
    #[serde(default)]
    pub listing: Option<String>,
    /// Where the shop is (WGS-84 degrees), when known.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
}

/// The position of the index in the change feed, saved with every commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPayload {
    /// Id of the last change event whose effect this commit contains.
    pub cursor: i64,
}

/// An open index with its reader and its one writer.
pub struct MerchantIndex {
    index: Index,
    reader: IndexReader,
    /// `None` when opened read-only (checks while a server holds the writer).
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    /// The directory the index lives in (a generation, see [`generations`]).
    dir: Option<std::path::PathBuf>,
    answers: AnswerCache,
}

/// Answers already given, for the searcher generation they were computed on: a commit
/// makes a new generation and the first search on it drops them all, so an answer is
/// never older than the index it would be computed from.
struct AnswerCache {
    held: Mutex<(u64, lru::LruCache<SearchRequest, SearchResults>)>,
}

/// Answers kept at most (a page of 20 hits with its facets is a few kilobytes).
const ANSWERS_KEPT: usize = 2_048;

impl AnswerCache {
    fn new() -> Self {
        let capacity =
            std::num::NonZeroUsize::new(ANSWERS_KEPT).unwrap_or(std::num::NonZeroUsize::MIN);
        AnswerCache {
            held: Mutex::new((0, lru::LruCache::new(capacity))),
        }
    }

    fn get(&self, generation: u64, request: &SearchRequest) -> Option<SearchResults> {
        let mut held = self.held.lock().ok()?;
        if held.0 != generation {
            held.0 = generation;
            held.1.clear();
            return None;
        }
        held.1.get(request).cloned()
    }

    fn put(&self, generation: u64, request: &SearchRequest, results: &SearchResults) {
        if let Ok(mut held) = self.held.lock()
            && held.0 == generation
        {
            held.1.put(request.clone(), results.clone());
        }
    }
}

impl MerchantIndex {
    /// Opens the index in `dir`, creating it (and the directory) when absent, with the
    /// small writer that follows the change feed.
    ///
    /// The index is derived data: one written with another schema (an older version of
    /// Fangxin) is emptied and recreated, and the caller rebuilds it from the database.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        Self::open_writing(dir, Writing::Follow)
    }

    /// Opens (or creates) the index in `dir` with a writer sized for a full rebuild; call
    /// [`MerchantIndex::settle_writer`] when the rebuild is done and the index serves.
    pub fn open_for_rebuild(dir: &Path) -> Result<Self> {
        Self::open_writing(dir, Writing::Rebuild)
    }

    /// Replaces a rebuild's writer with the small one that follows the feed, once the
    /// rebuild's merges are done, and merges the rebuild's last small segments into one
    /// (see [`REBUILD_HEAP_BYTES`]): a million merchants end in five segments.
    pub fn settle_writer(&self) -> Result<()> {
        let mut guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        if let Some(rebuilding) = guard.take() {
            // Merges under way finish (dropping the writer would abandon them), and the
            // old writer lets go of the directory lock before the new one takes it.
            rebuilding.wait_merging_threads()?;
            let mut following = writer_for(&self.index, Writing::Follow)?;
            if let Some(writer) = following.as_mut() {
                let metas = self.index.searchable_segment_metas()?;
                let largest = metas.iter().map(|m| m.num_docs()).max().unwrap_or(0);
                let tail: Vec<tantivy::index::SegmentId> = metas
                    .iter()
                    .filter(|m| m.num_docs() < largest / 4)
                    .map(|m| m.id())
                    .collect();
                if tail.len() > 1 {
                    writer.merge(&tail).wait()?;
                }
            }
            *guard = following;
            drop(guard);
            self.reader.reload()?;
        }
        Ok(())
    }

    fn open_writing(dir: &Path, writing: Writing) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let schema = schema::build();
        let mmap = tantivy::directory::MmapDirectory::open(dir)?;
        if Index::exists(&mmap)? {
            let existing = Index::open(mmap.clone())?;
            if existing.schema() != schema {
                drop(existing);
                for entry in std::fs::read_dir(dir)? {
                    let path = entry?.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path)?;
                    } else {
                        std::fs::remove_file(&path)?;
                    }
                }
            }
        }
        let mmap = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::open_or_create(mmap, schema)?;
        let mut opened = Self::from_index(index, writing)?;
        opened.dir = Some(dir.to_path_buf());
        Ok(opened)
    }

    /// Opens an existing index for searching only, without taking the writer lock.
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        let mmap = tantivy::directory::MmapDirectory::open(dir)?;
        let index = Index::open(mmap)?;
        let mut opened = Self::from_index(index, Writing::None)?;
        opened.dir = Some(dir.to_path_buf());
        Ok(opened)
    }

    /// The directory the index lives in (`None` in memory).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<Self> {
        Self::from_index(Index::create_in_ram(schema::build()), Writing::Follow)
    }

    fn from_index(index: Index, writing: Writing) -> Result<Self> {
        schema::register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let writer = writer_for(&index, writing)?;
        Ok(MerchantIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            dir: None,
            answers: AnswerCache::new(),
        })
    }

    /// Replaces the merchant's document (or adds it). Visible after the next commit.
    pub fn upsert(&self, doc: &MerchantDoc) -> Result<()> {
        let guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let writer = guard.as_ref().ok_or(IndexError::ReadOnly)?;
        writer.delete_term(Term::from_field_text(self.fields.uscc, &doc.uscc));
        writer.add_document(self.fields.to_document(doc))?;
        Ok(())
    }

    /// Adds a document without removing an older one: only for a rebuild after
    /// [`clear`](Self::clear), where it saves a delete per document.
    pub fn add_new(&self, doc: &MerchantDoc) -> Result<()> {
        let guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let writer = guard.as_ref().ok_or(IndexError::ReadOnly)?;
        writer.add_document(self.fields.to_document(doc))?;
        Ok(())
    }

    /// Removes the merchant's document. Visible after the next commit.
    pub fn delete(&self, uscc: &str) -> Result<()> {
        let guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let writer = guard.as_ref().ok_or(IndexError::ReadOnly)?;
        writer.delete_term(Term::from_field_text(self.fields.uscc, uscc));
        Ok(())
    }

    /// Removes every document (for a rebuild in place).
    pub fn clear(&self) -> Result<()> {
        let guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let writer = guard.as_ref().ok_or(IndexError::ReadOnly)?;
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits pending changes together with the feed position they reach, and makes
    /// them visible to searches.
    pub fn commit(&self, payload: CommitPayload) -> Result<()> {
        let mut guard = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let writer = guard.as_mut().ok_or(IndexError::ReadOnly)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&payload)?);
        prepared.commit()?;
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    /// The feed position of the last commit; `None` for an index never committed.
    pub fn committed_payload(&self) -> Result<Option<CommitPayload>> {
        let metas = self.index.load_metas()?;
        match metas.payload {
            Some(p) => Ok(Some(serde_json::from_str(&p)?)),
            None => Ok(None),
        }
    }

    /// Number of searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Searches the public picture. Any string is a valid query. A question asked before
    /// on the same index generation is answered from the answers kept.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        if let Some(kept) = self.answers.get(generation, request) {
            return Ok(kept);
        }
        let results = search::run(&self.index, &searcher, &self.fields, request)?;
        self.answers.put(generation, request, &results);
        Ok(results)
    }

    /// Searches without the answers kept: what an answer costs (benchmarks).
    pub fn search_uncached(&self, request: &SearchRequest) -> Result<SearchResults> {
        search::run(&self.index, &self.reader.searcher(), &self.fields, request)
    }

    /// Merchants near a point, nearest first, with their distance.
    pub fn nearby(&self, request: &NearbyRequest) -> Result<NearbyResults> {
        search::nearby(&self.index, &self.reader.searcher(), &self.fields, request)
    }

    /// Facet values over the whole index, for filter menus.
    pub fn facet_values(&self) -> Result<Facets> {
        search::all_facets(&self.reader.searcher())
    }

    /// Fetches one document by USCC, as indexed.
    pub fn get(&self, uscc: &str) -> Result<Option<MerchantDoc>> {
        let searcher = self.reader.searcher();
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(self.fields.uscc, uscc),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(1).order_by_score(),
        )?;
        match top.first() {
            Some((_, addr)) => {
                let doc: TantivyDocument = searcher.doc(*addr)?;
                Ok(Some(self.fields.from_document(&doc)))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn doc(uscc: &str, name: &str, sign: &str, industry: &str) -> MerchantDoc {
        MerchantDoc {
            uscc: uscc.into(),
            name: name.into(),
            sign_name: Some(sign.into()),
            former_names: vec![],
            street: "华山街道".into(),
            industry: industry.into(),
            address: "昆明市五华区华山南路1号".into(),
            status: "operating".into(),
            score: Some(88),
            grade: Some("A".into()),
            trusted: false,
            listing: None,
            latitude: None,
            longitude: None,
        }
    }

    fn fixture() -> MerchantIndex {
        let idx = MerchantIndex::in_memory().unwrap();
        idx.upsert(&doc(
            "92530102MA6K000001",
            "昆明市五华区老滇味餐饮店",
            "老滇味",
            "餐饮",
        ))
        .unwrap();
        idx.upsert(&doc(
            "91530102MA6K000002",
            "云南春城商贸有限公司",
            "春城超市",
            "零售",
        ))
        .unwrap();
        idx.upsert(&doc(
            "92530102MA6K000003",
            "昆明市五华区丽人美发店",
            "丽人美发",
            "美容美发",
        ))
        .unwrap();
        idx.commit(CommitPayload { cursor: 7 }).unwrap();
        idx
    }

    fn usccs(r: &SearchResults) -> Vec<&str> {
        r.hits.iter().map(|h| h.doc.uscc.as_str()).collect()
    }

    #[test]
    fn an_answer_kept_is_never_older_than_the_index() {
        let idx = fixture();
        let first = idx.search(&SearchRequest::query("滇味")).unwrap();
        assert_eq!(first.total, 1);
        // Asked again on the same generation: the same answer.
        assert_eq!(idx.search(&SearchRequest::query("滇味")).unwrap(), first);
        idx.upsert(&doc(
            "92530102MA6K000009",
            "昆明市五华区滇味小厨餐馆",
            "滇味小厨",
            "餐饮",
        ))
        .unwrap();
        idx.commit(CommitPayload { cursor: 8 }).unwrap();
        let after = idx.search(&SearchRequest::query("滇味")).unwrap();
        assert_eq!(after.total, 2);
        assert_eq!(
            after,
            idx.search_uncached(&SearchRequest::query("滇味")).unwrap()
        );
        let facets = after.facets.unwrap();
        assert_eq!(facets.industry[0].value, "餐饮");
        assert_eq!(facets.industry[0].count, 2);
    }

    #[test]
    fn facets_count_every_match_once() {
        let idx = fixture();
        let r = idx.search(&SearchRequest::query("")).unwrap();
        let f = r.facets.unwrap();
        assert_eq!(
            f.grade,
            vec![FacetCount {
                value: "A".into(),
                count: 3
            }]
        );
        assert_eq!(
            f.street,
            vec![FacetCount {
                value: "华山街道".into(),
                count: 3
            }]
        );
        assert_eq!(
            f.trusted,
            vec![FacetCount {
                value: "false".into(),
                count: 3
            }]
        );
        let industries: Vec<(&str, u64)> = f
            .industry
            .iter()
            .map(|c| (c.value.as_str(), c.count))
            .collect();
        // Most first, then by value.
        assert_eq!(industries, vec![("美容美发", 1), ("零售", 1), ("餐饮", 1)]);
        assert_eq!(idx.facet_values().unwrap(), f);
    }

    #[test]
    fn finds_by_substring_of_sign_and_legal_name() {
        let idx = fixture();
        let r = idx.search(&SearchRequest::query("滇味")).unwrap();
        assert_eq!(usccs(&r), vec!["92530102MA6K000001"]);
        let r = idx.search(&SearchRequest::query("餐饮")).unwrap();
        assert_eq!(r.total, 1);
        let r = idx.search(&SearchRequest::query("老滇味")).unwrap();
        assert_eq!(usccs(&r), vec!["92530102MA6K000001"]);
        let r = idx.search(&SearchRequest::query("五华区老滇味")).unwrap();
        assert_eq!(usccs(&r), vec!["92530102MA6K000001"]);
        // Characters present but not adjacent do not match.
        let r = idx.search(&SearchRequest::query("老味")).unwrap();
        assert_eq!(r.total, 0);
        let r = idx.search(&SearchRequest::query("春城")).unwrap();
        assert_eq!(usccs(&r), vec!["91530102MA6K000002"]);
    }

    #[test]
    fn finds_by_uscc_in_any_case() {
        let idx = fixture();
        let r = idx
            .search(&SearchRequest::query(" 91530102ma6k000002 "))
            .unwrap();
        assert_eq!(usccs(&r), vec!["91530102MA6K000002"]);
    }

    #[test]
    fn hostile_strings_are_just_text() {
        let idx = fixture();
        for q in [
            "\"",
            "AND OR",
            "name:*",
            "((",
            "[1 TO",
            "~~~",
            "*",
            "\\",
            "餐饮 OR",
            "",
        ] {
            assert!(idx.search(&SearchRequest::query(q)).is_ok(), "{q}");
        }
    }

    #[test]
    fn upsert_replaces_and_commit_keeps_cursor() {
        let idx = fixture();
        let mut d = doc(
            "92530102MA6K000001",
            "昆明市五华区老滇味餐饮店",
            "新滇味",
            "餐饮",
        );
        d.score = Some(40);
        idx.upsert(&d).unwrap();
        idx.commit(CommitPayload { cursor: 9 }).unwrap();
        assert_eq!(idx.num_docs(), 3);
        assert_eq!(
            idx.get("92530102MA6K000001").unwrap().unwrap().score,
            Some(40)
        );
        assert_eq!(
            idx.committed_payload().unwrap(),
            Some(CommitPayload { cursor: 9 })
        );
    }

    #[test]
    fn a_settled_rebuild_merges_its_small_segments_and_keeps_its_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let idx = MerchantIndex::open_for_rebuild(dir.path()).unwrap();
        let uscc = |i: usize| format!("92530102MA6K{i:06}");
        // Two large segments, then four small ones: each indexing thread (two here) closes
        // a segment of its own at a commit, and six segments are too few for the
        // writer's merge policy, which merges eight at a time.
        for i in 0..400 {
            idx.add_new(&doc(&uscc(i), "昆明市五华区某某餐饮店", "某某", "餐饮"))
                .unwrap();
        }
        idx.commit(CommitPayload { cursor: 1 }).unwrap();
        for round in 0..2 {
            for i in 0..10 {
                let n = 400 + round * 10 + i;
                idx.add_new(&doc(&uscc(n), "昆明市五华区老滇味餐饮店", "老滇味", "餐饮"))
                    .unwrap();
            }
            idx.commit(CommitPayload {
                cursor: 2 + round as i64,
            })
            .unwrap();
        }
        let sizes = |idx: &MerchantIndex| -> Vec<u32> {
            let searcher = idx.reader.searcher();
            searcher
                .segment_readers()
                .iter()
                .map(|s| s.num_docs())
                .collect()
        };
        let before = sizes(&idx);
        assert!(
            before.iter().filter(|&&n| n <= 10).count() >= 2,
            "{before:?}"
        );

        idx.settle_writer().unwrap();
        let after = sizes(&idx);
        let largest = after.iter().copied().max().unwrap();
        assert!(
            after.iter().filter(|&&n| n < largest / 4).count() <= 1,
            "{after:?}"
        );
        assert!(after.len() < before.len(), "{before:?} -> {after:?}");
        assert_eq!(idx.num_docs(), 420);
        assert!(idx.get(&uscc(415)).unwrap().is_some());
        assert_eq!(
            idx.committed_payload().unwrap(),
            Some(CommitPayload { cursor: 3 })
        );
        // The writer that follows the feed is in place.
        idx.upsert(&doc(&uscc(999), "昆明市五华区新开餐饮店", "新开", "餐饮"))
            .unwrap();
        idx.commit(CommitPayload { cursor: 5 }).unwrap();
        assert_eq!(idx.num_docs(), 421);
    }

    #[test]
    fn filters_without_query_list_a_street_or_industry() {
        let idx = fixture();
        let mut req = SearchRequest::query("");
        req.industry = Some("零售".into());
        let r = idx.search(&req).unwrap();
        assert_eq!(usccs(&r), vec!["91530102MA6K000002"]);
    }
}
