//! The index schema and its analysers.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer};
use tantivy::{Index, TantivyDocument};

use crate::MerchantDoc;
use crate::understand::normalize;

/// Jieba words (search mode) of names and addresses.
pub const JIEBA: &str = "zh_jieba";
/// Overlapping character bigrams: a phrase of them matches exactly what `LIKE '%q%'` does.
pub const BIGRAM: &str = "zh_bigram";

fn text_with(tokenizer: &str, stored: bool) -> TextOptions {
    let opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored { opts.set_stored() } else { opts }
}

pub fn build() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("uscc", STRING | STORED);
    b.add_text_field("name", text_with(JIEBA, true));
    b.add_text_field("name_bi", text_with(BIGRAM, false));
    b.add_text_field("sign_name", text_with(JIEBA, true));
    b.add_text_field("sign_name_bi", text_with(BIGRAM, false));
    b.add_text_field("former_names", text_with(JIEBA, true));
    b.add_text_field("former_names_bi", text_with(BIGRAM, false));
    b.add_text_field("address", text_with(JIEBA, true));
    // Pinyin: every syllable-suffix of the full pinyin and of the initials (see pinyin.rs).
    b.add_text_field("sign_py", STRING);
    b.add_text_field("sign_py_init", STRING);
    b.add_text_field("name_py", STRING);
    b.add_text_field("name_py_init", STRING);
    // The other readings of polyphonic characters (重庆 chongqing): matched as typed, kept
    // out of the fuzzy pass over the first reading.
    b.add_text_field("sign_py_other", STRING);
    b.add_text_field("name_py_other", STRING);
    // Whole names, lower case, for ranking whole-name matches first.
    b.add_text_field("sign_exact", STRING);
    b.add_text_field("name_exact", STRING);
    b.add_text_field("street", STRING | STORED | FAST);
    b.add_text_field("industry", STRING | STORED | FAST);
    b.add_text_field("status", STRING | STORED | FAST);
    b.add_text_field("grade", STRING | STORED | FAST);
    b.add_i64_field("score", INDEXED | STORED | FAST);
    b.add_bool_field("trusted", INDEXED | STORED | FAST);
    b.add_text_field("listing", STRING | STORED | FAST);
    // Where the shop is, for the nearby search (a bounding box on the fast fields, then the
    // distance).
    b.add_f64_field("lat", INDEXED | STORED | FAST);
    b.add_f64_field("lng", INDEXED | STORED | FAST);
    // The grid cells the shop lies in, one per level (see `CELL_DEGREES`).
    b.add_text_field("cells", STRING);
    b.build()
}

pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(
        JIEBA,
        TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
            .filter(LowerCaser)
            .build(),
    );
    index.tokenizers().register(
        BIGRAM,
        TextAnalyzer::builder(crate::bigram::BigramTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

fn add_pinyin(
    doc: &mut TantivyDocument,
    (full, other, initials): (Field, Field, Field),
    name: &str,
) {
    let (first, rest) = crate::pinyin::full_suffixes_by_reading(name);
    for s in first {
        doc.add_text(full, s);
    }
    for s in rest {
        doc.add_text(other, s);
    }
    for s in crate::pinyin::initial_suffixes(name) {
        doc.add_text(initials, s);
    }
}

/// Field handles, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub uscc: Field,
    pub name: Field,
    pub name_bi: Field,
    pub sign_name: Field,
    pub sign_name_bi: Field,
    pub former_names: Field,
    pub former_names_bi: Field,
    pub address: Field,
    pub sign_py: Field,
    pub sign_py_init: Field,
    pub name_py: Field,
    pub name_py_init: Field,
    pub sign_py_other: Field,
    pub name_py_other: Field,
    pub sign_exact: Field,
    pub name_exact: Field,
    pub street: Field,
    pub industry: Field,
    pub status: Field,
    pub grade: Field,
    pub score: Field,
    pub trusted: Field,
    pub listing: Field,
    pub lat: Field,
    pub lng: Field,
    pub cells: Field,
}

/// Sizes of the grid cells a position is indexed in, degrees (about 220 m, 550 m, 1.1 km,
/// 2.2 km and 5.5 km north to south): a nearby search takes the finest level at which a
/// few dozen cells cover its box.
const CELL_DEGREES: [f64; 5] = [0.002, 0.005, 0.01, 0.02, 0.05];
/// At most this many cells a side.
const CELLS_A_SIDE: i64 = 7;

fn cell_index(v: f64, size: f64) -> i64 {
    (v / size).floor() as i64
}

/// The cell names of a position, one per level.
fn cells_of(lat: f64, lng: f64) -> Vec<String> {
    CELL_DEGREES
        .iter()
        .enumerate()
        .map(|(level, size)| {
            format!(
                "{level}:{}:{}",
                cell_index(lat, *size),
                cell_index(lng, *size)
            )
        })
        .collect()
}

/// The cells of the finest level that cover a box with at most `CELLS_A_SIDE` a side;
/// `None` when even the coarsest needs more.
pub fn cells_covering(lat_lo: f64, lat_hi: f64, lng_lo: f64, lng_hi: f64) -> Option<Vec<String>> {
    for (level, size) in CELL_DEGREES.iter().enumerate() {
        let (y0, y1) = (cell_index(lat_lo, *size), cell_index(lat_hi, *size));
        let (x0, x1) = (cell_index(lng_lo, *size), cell_index(lng_hi, *size));
        if y1 - y0 < CELLS_A_SIDE && x1 - x0 < CELLS_A_SIDE {
            let mut out = Vec::new();
            for y in y0..=y1 {
                for x in x0..=x1 {
                    out.push(format!("{level}:{y}:{x}"));
                }
            }
            return Some(out);
        }
    }
    None
}

impl Fields {
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            uscc: f("uscc")?,
            name: f("name")?,
            name_bi: f("name_bi")?,
            sign_name: f("sign_name")?,
            sign_name_bi: f("sign_name_bi")?,
            former_names: f("former_names")?,
            former_names_bi: f("former_names_bi")?,
            address: f("address")?,
            sign_py: f("sign_py")?,
            sign_py_init: f("sign_py_init")?,
            name_py: f("name_py")?,
            name_py_init: f("name_py_init")?,
            sign_py_other: f("sign_py_other")?,
            name_py_other: f("name_py_other")?,
            sign_exact: f("sign_exact")?,
            name_exact: f("name_exact")?,
            street: f("street")?,
            industry: f("industry")?,
            status: f("status")?,
            grade: f("grade")?,
            score: f("score")?,
            trusted: f("trusted")?,
            listing: f("listing")?,
            lat: f("lat")?,
            lng: f("lng")?,
            cells: f("cells")?,
        })
    }

    pub fn to_document(&self, d: &MerchantDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(self.uscc, &d.uscc);
        // Matching fields hold names as queries are read (understand.rs): NFKC, lower
        // case, simplified characters; the stored fields keep them as registered.
        let name = normalize(&d.name);
        doc.add_text(self.name, &d.name);
        doc.add_text(self.name_bi, &name);
        doc.add_text(self.name_exact, name.trim());
        add_pinyin(
            &mut doc,
            (self.name_py, self.name_py_other, self.name_py_init),
            &name,
        );
        if let Some(sign) = &d.sign_name {
            let normal = normalize(sign);
            doc.add_text(self.sign_name, sign);
            doc.add_text(self.sign_name_bi, &normal);
            doc.add_text(self.sign_exact, normal.trim());
            add_pinyin(
                &mut doc,
                (self.sign_py, self.sign_py_other, self.sign_py_init),
                &normal,
            );
        }
        for former in &d.former_names {
            let normal = normalize(former);
            doc.add_text(self.former_names, former);
            doc.add_text(self.former_names_bi, &normal);
            add_pinyin(
                &mut doc,
                (self.name_py, self.name_py_other, self.name_py_init),
                &normal,
            );
        }
        doc.add_text(self.address, &d.address);
        doc.add_text(self.street, &d.street);
        doc.add_text(self.industry, &d.industry);
        doc.add_text(self.status, &d.status);
        if let Some(grade) = &d.grade {
            doc.add_text(self.grade, grade);
        }
        if let Some(score) = d.score {
            doc.add_i64(self.score, i64::from(score));
        }
        doc.add_bool(self.trusted, d.trusted);
        if let Some(l) = &d.listing {
            doc.add_text(self.listing, l);
        }
        if let (Some(lat), Some(lng)) = (d.latitude, d.longitude)
            && lat.is_finite()
            && lng.is_finite()
        {
            doc.add_f64(self.lat, lat);
            doc.add_f64(self.lng, lng);
            for cell in cells_of(lat, lng) {
                doc.add_text(self.cells, cell);
            }
        }
        doc
    }

    pub fn from_document(&self, doc: &TantivyDocument) -> MerchantDoc {
        let text = |f: Field| doc.get_first(f).and_then(|v| v.as_str().map(str::to_owned));
        MerchantDoc {
            uscc: text(self.uscc).unwrap_or_default(),
            name: text(self.name).unwrap_or_default(),
            sign_name: text(self.sign_name),
            former_names: doc
                .get_all(self.former_names)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            street: text(self.street).unwrap_or_default(),
            industry: text(self.industry).unwrap_or_default(),
            address: text(self.address).unwrap_or_default(),
            status: text(self.status).unwrap_or_default(),
            score: doc
                .get_first(self.score)
                .and_then(|v| v.as_i64())
                .and_then(|s| i32::try_from(s).ok()),
            grade: text(self.grade),
            trusted: doc
                .get_first(self.trusted)
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            listing: text(self.listing),
            latitude: doc.get_first(self.lat).and_then(|v| v.as_f64()),
            longitude: doc.get_first(self.lng).and_then(|v| v.as_f64()),
        }
    }
}
