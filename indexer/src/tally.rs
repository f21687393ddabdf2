//! Facet counts gathered in the pass that finds the matches, instead of a second pass
//! through tantivy's aggregation framework: per segment, each match adds one to the count
//! of its value's ordinal in the fast-field column, and the ordinals become values once,
//! at the segment's end.

use std::collections::HashMap;

use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, SegmentReader};

use crate::Result;
use crate::search::{FacetCount, Facets};

/// How many values of a facet are reported at most (the portal's menus).
const STREETS_SHOWN: usize = 50;
const INDUSTRIES_SHOWN: usize = 50;

/// Counts of one string column in one segment, by ordinal.
struct StrCounts {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl StrCounts {
    fn open(reader: &SegmentReader, field: &str) -> Result<Self> {
        let column = reader.fast_fields().str(field)?;
        let counts = vec![0; column.as_ref().map_or(0, |c| c.num_terms())];
        Ok(StrCounts { column, counts })
    }

    #[inline]
    fn add(&mut self, doc: DocId) {
        if let Some(ord) = self.column.as_ref().and_then(|c| c.ords().first(doc))
            && let Some(n) = self.counts.get_mut(ord as usize)
        {
            *n += 1;
        }
    }

    fn flush(self, into: &mut HashMap<String, u64>) -> Result<()> {
        let Some(column) = self.column else {
            return Ok(());
        };
        let mut value = String::new();
        for (ord, &n) in self.counts.iter().enumerate() {
            if n > 0 && column.ord_to_str(ord as u64, &mut value)? {
                *into.entry(value.clone()).or_default() += n;
            }
        }
        Ok(())
    }
}

/// The columns of the segment being walked.
struct Segment {
    street: StrCounts,
    industry: StrCounts,
    grade: StrCounts,
    trusted: Column<bool>,
}

/// Facet counts over the matches walked so far.
#[derive(Default)]
pub(crate) struct FacetTally {
    segment: Option<Segment>,
    street: HashMap<String, u64>,
    industry: HashMap<String, u64>,
    grade: HashMap<String, u64>,
    trusted: [u64; 2],
}

impl FacetTally {
    /// Starts counting in a segment (ending the one before).
    pub(crate) fn enter(&mut self, reader: &SegmentReader) -> Result<()> {
        self.leave()?;
        self.segment = Some(Segment {
            street: StrCounts::open(reader, "street")?,
            industry: StrCounts::open(reader, "industry")?,
            grade: StrCounts::open(reader, "grade")?,
            trusted: reader.fast_fields().bool("trusted")?,
        });
        Ok(())
    }

    /// Counts one match of the current segment.
    #[inline]
    pub(crate) fn add(&mut self, doc: DocId) {
        if let Some(s) = self.segment.as_mut() {
            s.street.add(doc);
            s.industry.add(doc);
            s.grade.add(doc);
            if let Some(t) = s.trusted.first(doc) {
                self.trusted[usize::from(t)] += 1;
            }
        }
    }

    fn leave(&mut self) -> Result<()> {
        if let Some(s) = self.segment.take() {
            s.street.flush(&mut self.street)?;
            s.industry.flush(&mut self.industry)?;
            s.grade.flush(&mut self.grade)?;
        }
        Ok(())
    }

    /// The counts: grades in grade order, the rest most first (then by value), the
    /// values without a match left out.
    pub(crate) fn finish(mut self) -> Result<Facets> {
        self.leave()?;
        let mut grade = ranked(self.grade, usize::MAX);
        grade.sort_by(|a, b| a.value.cmp(&b.value));
        let trusted = [(true, self.trusted[1]), (false, self.trusted[0])]
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(v, count)| FacetCount {
                value: v.to_string(),
                count,
            });
        let mut trusted: Vec<FacetCount> = trusted.collect();
        trusted.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        Ok(Facets {
            grade,
            street: ranked(self.street, STREETS_SHOWN),
            industry: ranked(self.industry, INDUSTRIES_SHOWN),
            trusted,
        })
    }
}

fn ranked(counts: HashMap<String, u64>, shown: usize) -> Vec<FacetCount> {
    let mut v: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    v.truncate(shown);
    v
}
