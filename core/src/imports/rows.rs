//! Reading an import file row by row: CSV with a header row or NDJSON, each row turned
//! into a JSON object keyed by column so that the same request types as the API
//! deserialize it. The reader runs on a blocking thread and hands batches over a bounded
//! channel, so a file of any size is read in bounded memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::{Format, RowError};

/// How a column's cells become JSON values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Text,
    /// `|`-separated in CSV; an array or a `|`-separated string in NDJSON.
    List,
    Integer,
    Bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub shape: Shape,
    /// The header must have it (a row may still leave it empty where the type allows).
    pub required: bool,
}

pub const fn col(name: &'static str, shape: Shape, required: bool) -> Column {
    Column {
        name,
        shape,
        required,
    }
}

/// One row as a JSON object, with its line in the file (1 is the header of a CSV).
#[derive(Debug)]
pub struct RawRow {
    pub line: u64,
    pub fields: Map<String, Value>,
}

#[derive(Debug)]
pub enum Item {
    Row(RawRow),
    Bad(RowError),
}

/// Rows per batch handed to the importer, unless its kind says otherwise
/// (`Kind::batch_rows`).
pub const BATCH: usize = 500;

/// Starts reading `path` on a blocking thread, in batches of `batch` rows. The handle
/// returns the file's SHA-256 (hex) once every row was sent, or the I/O error that stopped
/// the reading.
pub fn spawn(
    path: PathBuf,
    format: Format,
    columns: &'static [Column],
    batch: usize,
) -> (
    mpsc::Receiver<Vec<Item>>,
    tokio::task::JoinHandle<std::io::Result<String>>,
) {
    let (tx, rx) = mpsc::channel(4);
    let handle = tokio::task::spawn_blocking(move || {
        let file = File::open(&path)?;
        let tail = FileTail::of(&file)?;
        let mut hashing = HashingReader {
            inner: BufReader::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
        };
        let size = batch.max(1);
        let sink = Sink {
            tx,
            batch: Vec::with_capacity(size),
            size,
        };
        match format {
            Format::Csv => read_csv(&mut hashing, columns, tail, sink)?,
            Format::Ndjson => read_ndjson(&mut hashing, columns, sink)?,
        }
        // Hash whatever the parser did not need to read (there is normally nothing left).
        std::io::copy(&mut hashing, &mut std::io::sink())?;
        Ok(hex::encode(hashing.hasher.finalize()))
    });
    (rx, handle)
}

/// The file's length and whether it ends with a line break: the line a CSV record starts
/// on is worked out from where it ends (the reader's own start position counts the
/// blank lines it skipped before the record).
#[derive(Clone, Copy)]
struct FileTail {
    len: u64,
    ends_with_newline: bool,
}

impl FileTail {
    fn of(file: &File) -> std::io::Result<FileTail> {
        use std::io::{Seek, SeekFrom};
        let len = file.metadata()?.len();
        let mut last = [0u8; 1];
        let mut f = file.try_clone()?;
        let ends_with_newline = if len > 0 {
            f.seek(SeekFrom::End(-1))?;
            f.read_exact(&mut last)?;
            f.seek(SeekFrom::Start(0))?;
            last[0] == b'\n'
        } else {
            false
        };
        Ok(FileTail {
            len,
            ends_with_newline,
        })
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.hasher.update(&buf[..n]);
        }
        self.inner.consume(amt);
    }
}

struct Sink {
    tx: mpsc::Sender<Vec<Item>>,
    batch: Vec<Item>,
    /// Rows a batch.
    size: usize,
}

impl Sink {
    /// Queues an item; false when the importer stopped listening.
    fn push(&mut self, item: Item) -> bool {
        self.batch.push(item);
        if self.batch.len() >= self.size {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.size));
        self.tx.blocking_send(batch).is_ok()
    }
}

fn bad(line: u64, column: Option<&str>, code: &str, message: impl Into<String>) -> Item {
    Item::Bad(RowError {
        line,
        column: column.map(str::to_owned),
        code: code.to_owned(),
        message: message.into(),
    })
}

fn read_csv<R: Read>(
    reader: R,
    columns: &'static [Column],
    tail: FileTail,
    mut sink: Sink,
) -> std::io::Result<()> {
    // Cells are trimmed one by one (`cell_value`), so that line breaks inside a quoted
    // cell are all counted when working out the line a record starts on.
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let header: Vec<String> = match csv.read_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_lowercase())
            .collect(),
        Ok(false) => {
            sink.push(bad(
                1,
                None,
                "empty_file",
                "the file is empty: expected a header row",
            ));
            sink.flush();
            return Ok(());
        }
        Err(e) => {
            sink.push(bad(
                1,
                None,
                "invalid_csv",
                format!("the header row is not readable: {e}"),
            ));
            sink.flush();
            return Ok(());
        }
    };
    let Some(layout) = header_layout(&header, columns, &mut sink) else {
        sink.flush();
        return Ok(());
    };
    loop {
        let line = csv.position().line();
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let end = csv.position();
                let inner_breaks: u64 = record
                    .iter()
                    .map(|f| f.bytes().filter(|b| *b == b'\n').count() as u64)
                    .sum();
                let terminated = end.byte() < tail.len || tail.ends_with_newline;
                let line = end
                    .line()
                    .saturating_sub(inner_breaks + u64::from(terminated))
                    .max(line);
                if record.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                if record.len() != layout.len() {
                    if !sink.push(bad(
                        line,
                        None,
                        "wrong_field_count",
                        format!(
                            "{} fields where the header has {}",
                            record.len(),
                            layout.len()
                        ),
                    )) {
                        return Ok(());
                    }
                    continue;
                }
                let item = row_item(&record, &layout, line);
                if !sink.push(item) {
                    return Ok(());
                }
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "the row is not valid UTF-8 (save the file as UTF-8)".to_owned()
                    }
                    csv::ErrorKind::Io(_) => return Err(std::io::Error::other(e.to_string())),
                    _ => format!("not readable as CSV: {e}"),
                };
                if !sink.push(bad(line, None, "invalid_csv", message)) {
                    return Ok(());
                }
            }
        }
    }
    sink.flush();
    Ok(())
}

/// The column of each header cell, or `None` (with every problem reported) when the header
/// names an unknown column, one twice, or lacks a required one.
fn header_layout(
    header: &[String],
    columns: &'static [Column],
    sink: &mut Sink,
) -> Option<Vec<Option<Column>>> {
    let mut layout = Vec::with_capacity(header.len());
    let mut header_ok = true;
    for (i, name) in header.iter().enumerate() {
        match columns.iter().find(|c| c.name == name) {
            Some(c)
                if layout
                    .iter()
                    .any(|l: &Option<Column>| l.is_some_and(|l| l.name == c.name)) =>
            {
                header_ok = false;
                sink.push(bad(
                    1,
                    Some(name),
                    "duplicate_column",
                    format!("column {name} appears twice"),
                ));
            }
            Some(c) => layout.push(Some(*c)),
            None if name.is_empty() => {
                header_ok = false;
                sink.push(bad(
                    1,
                    None,
                    "unknown_column",
                    format!("column {} has no name", i + 1),
                ));
            }
            None => {
                header_ok = false;
                let known: Vec<&str> = columns.iter().map(|c| c.name).collect();
                sink.push(bad(
                    1,
                    Some(name),
                    "unknown_column",
                    format!(
                        "unknown column {name:?}; the columns are: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    for c in columns.iter().filter(|c| c.required) {
        if !header.iter().any(|h| h == c.name) {
            header_ok = false;
            sink.push(bad(
                1,
                Some(c.name),
                "missing_column",
                format!("the header has no {} column", c.name),
            ));
        }
    }
    header_ok.then_some(layout)
}

/// A CSV record as a row, or the first cell that is not a value of its column.
fn row_item(record: &csv::StringRecord, layout: &[Option<Column>], line: u64) -> Item {
    let mut fields = Map::new();
    let mut problem = None;
    for (cell, column) in record.iter().zip(layout) {
        let Some(column) = column else { continue };
        match cell_value(cell, column) {
            Ok(Some(v)) => {
                fields.insert(column.name.to_owned(), v);
            }
            Ok(None) => {}
            Err(e) => {
                problem = Some(bad(line, Some(column.name), "invalid_value", e));
                break;
            }
        }
    }
    problem.unwrap_or(Item::Row(RawRow { line, fields }))
}

fn read_ndjson<R: BufRead>(
    mut reader: R,
    columns: &'static [Column],
    mut sink: Sink,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        line += 1;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim().trim_start_matches('\u{feff}'),
            Err(_) => {
                if !sink.push(bad(
                    line,
                    None,
                    "invalid_json",
                    "the line is not valid UTF-8",
                )) {
                    return Ok(());
                }
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let item = match serde_json::from_str::<Map<String, Value>>(text) {
            Err(e) => bad(
                line,
                None,
                "invalid_json",
                format!("not a JSON object: {e}"),
            ),
            Ok(object) => json_row(line, object, columns),
        };
        if !sink.push(item) {
            return Ok(());
        }
    }
    sink.flush();
    Ok(())
}

fn json_row(line: u64, object: Map<String, Value>, columns: &'static [Column]) -> Item {
    let mut fields = Map::new();
    for (key, value) in object {
        let name = key.trim().to_lowercase();
        let Some(column) = columns.iter().find(|c| c.name == name) else {
            let known: Vec<&str> = columns.iter().map(|c| c.name).collect();
            return bad(
                line,
                Some(&name),
                "unknown_column",
                format!("unknown key {name:?}; the keys are: {}", known.join(", ")),
            );
        };
        let converted = match value {
            Value::Null => Ok(None),
            Value::String(s) => cell_value(&s, column),
            Value::Array(items) if column.shape == Shape::List => Ok(Some(Value::Array(items))),
            Value::Number(n) if column.shape == Shape::Text => {
                Ok(Some(Value::String(n.to_string())))
            }
            other => Ok(Some(other)),
        };
        match converted {
            Ok(Some(v)) => {
                fields.insert(column.name.to_owned(), v);
            }
            Ok(None) => {}
            Err(e) => return bad(line, Some(column.name), "invalid_value", e),
        }
    }
    Item::Row(RawRow { line, fields })
}

/// A cell as JSON; an empty cell is absent.
fn cell_value(cell: &str, column: &Column) -> Result<Option<Value>, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    Ok(Some(match column.shape {
        Shape::Text => Value::String(cell.to_owned()),
        Shape::List => Value::Array(
            cell.split(['|', '｜'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Shape::Integer => Value::from(
            cell.parse::<i64>()
                .map_err(|_| format!("{cell:?} is not a whole number"))?,
        ),
        Shape::Bool => Value::Bool(match cell.to_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "是" => true,
            "false" | "0" | "no" | "n" | "否" => false,
            _ => return Err(format!("{cell:?} is not true or false (是/否)")),
        }),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        col("uscc", Shape::Text, true),
        col("names", Shape::List, false),
        col("n", Shape::Integer, false),
    ];

    /// Every item of a file, and how the reading ended.
    async fn read_file(format: Format, bytes: &[u8]) -> (Vec<Item>, std::io::Result<String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).expect("write");
        let (mut rx, handle) = spawn(path, format, COLUMNS, BATCH);
        let mut out = Vec::new();
        while let Some(batch) = rx.recv().await {
            out.extend(batch);
        }
        (out, handle.await.expect("the reader ends"))
    }

    async fn read(format: Format, text: &str) -> Vec<Item> {
        let (items, ended) = read_file(format, text.as_bytes()).await;
        ended.expect("read");
        items
    }

    fn line_of(item: &Item) -> u64 {
        match item {
            Item::Row(r) => r.line,
            Item::Bad(e) => e.line,
        }
    }

    #[tokio::test]
    async fn csv_rows_carry_their_lines_and_lists() {
        let items = read(
            Format::Csv,
            "\u{feff}USCC,names,n\nA,甲|乙,3\n\nB,,x\n\"C\",\"丙\n丁\",1\nD,1\n",
        )
        .await;
        assert_eq!(items.len(), 4);
        let Item::Row(first) = &items[0] else {
            panic!("row")
        };
        assert_eq!(first.line, 2);
        assert_eq!(first.fields["names"], serde_json::json!(["甲", "乙"]));
        assert_eq!(first.fields["n"], serde_json::json!(3));
        let Item::Bad(e) = &items[1] else {
            panic!("bad")
        };
        assert_eq!((e.line, e.column.as_deref()), (4, Some("n")));
        assert_eq!(line_of(&items[2]), 5);
        let Item::Bad(e) = &items[3] else {
            panic!("bad")
        };
        assert_eq!((e.line, e.code.as_str()), (7, "wrong_field_count"));
    }

    #[tokio::test]
    async fn csv_header_problems_stop_the_file() {
        let items = read(Format::Csv, "names,colour\nA,B\n").await;
        let codes: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Item::Bad(e) => e.code.as_str(),
                Item::Row(_) => "row",
            })
            .collect();
        assert_eq!(codes, ["unknown_column", "missing_column"]);
    }

    #[tokio::test]
    async fn ndjson_rows_and_bad_lines() {
        let items = read(
            Format::Ndjson,
            "{\"uscc\":\"A\",\"names\":[\"甲\"]}\nnot json\n{\"uscc\":\"B\",\"colour\":1}\n",
        )
        .await;
        assert_eq!(items.len(), 3);
        assert!(
            matches!(&items[0], Item::Row(r) if r.fields["names"] == serde_json::json!(["甲"]))
        );
        assert!(matches!(&items[1], Item::Bad(e) if e.line == 2 && e.code == "invalid_json"));
        assert!(matches!(&items[2], Item::Bad(e) if e.code == "unknown_column"));
    }

    mod any_file {
        //! Whatever a file holds — stray quotes, broken UTF-8, NUL bytes, ragged rows, a
        //! header in any order — reading it ends, with every row either a row or a bad row
        //! that names its line, and never a panic. Cases: `PROPTEST_CASES` (256).
        use super::*;
        use proptest::prelude::*;

        fn read_bytes(format: Format, bytes: &[u8]) -> Vec<Item> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(read_file(format, bytes)).0
        }

        fn file() -> impl Strategy<Value = Vec<u8>> {
            let cells = prop::sample::select(vec![
                "uscc",
                "names",
                "n",
                "USCC",
                "A",
                "甲|乙",
                "3",
                "-1",
                "x",
                "\"",
                "\"\"",
                ",",
                "\n",
                "\r\n",
                "\u{0}",
                "|",
                "{",
                "}",
                "[",
                "]",
                ":",
                "null",
                "true",
                "\u{feff}",
                "\t",
                "{\"uscc\":\"A\",\"n\":1}",
                "{\"names\":[1,2]}",
            ]);
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..400),
                prop::collection::vec(cells, 0..60).prop_map(|c| c.concat().into_bytes()),
            ]
        }

        proptest! {
            #[test]
            fn any_file_is_read_to_its_end(bytes in file()) {
                let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 + 1;
                for format in [Format::Csv, Format::Ndjson] {
                    for item in read_bytes(format, &bytes) {
                        let line = line_of(&item);
                        prop_assert!(line >= 1 && line <= lines + 1, "line {line} of {lines}");
                        if let Item::Bad(e) = &item {
                            prop_assert!(!e.message.is_empty());
                        }
                    }
                }
            }
        }
    }
}
