//! The text encoding of an import file. Excel on Chinese Windows saves CSV in GBK (which
//! GB18030 contains), not UTF-8; a file that starts with a byte-order mark says what it
//! is. Anything else that is not UTF-8 is read as GB18030 when that decodes it cleanly,
//! through a UTF-8 copy made once (both passes read the copy), so the readers only ever
//! see UTF-8. The file's own SHA-256, taken before any row is read, is what the audit
//! log records with every row written.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use encoding_rs::{CoderResult, Encoding, GB18030, UTF_8};
use sha2::{Digest, Sha256};

/// How much of a file is looked at to tell its encoding.
const SNIFF_BYTES: usize = 1 << 16;

/// A file as the readers take it.
pub(super) struct Source {
    /// What to read: the file itself, or its UTF-8 copy.
    pub path: PathBuf,
    /// The encoding the file was read in, for the report (`UTF-8`, `GB18030`, `UTF-16LE`…).
    pub encoding: &'static str,
    /// The SHA-256 of the file as given.
    pub sha256: String,
    /// Whether the readers read a UTF-8 copy (their hash is the copy's).
    pub copied: bool,
    _copy: Option<tempfile::NamedTempFile>,
}

/// The encoding a file's first bytes show: a byte-order mark decides; UTF-8 when the
/// sample is UTF-8 (a character cut at the sample's end is fine); GB18030 when that
/// decodes the sample without a replacement; UTF-8 otherwise, so that the reader reports
/// the bad bytes by line.
pub(super) fn sniff(sample: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        return encoding;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => {
            // A multi-byte character may be cut at the sample's end.
            let (_, had_errors) = GB18030.decode_without_bom_handling(trim_cut(sample));
            if had_errors { UTF_8 } else { GB18030 }
        }
    }
}

/// The sample without a last line that may be cut short.
fn trim_cut(sample: &[u8]) -> &[u8] {
    if sample.len() < SNIFF_BYTES {
        return sample;
    }
    match sample.iter().rposition(|b| *b == b'\n') {
        Some(end) => &sample[..=end],
        None => sample,
    }
}

/// Opens `path` for the readers, making a UTF-8 copy in `scratch` when it is not UTF-8.
pub(super) fn open(path: &Path, scratch: &Path) -> std::io::Result<Source> {
    let mut file = File::open(path)?;
    let mut sample = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut sample)?;
    let encoding = sniff(&sample);
    if encoding == UTF_8 {
        let mut hasher = Sha256::new();
        hasher.update(&sample);
        std::io::copy(&mut BufReader::with_capacity(1 << 16, file), &mut hasher)?;
        return Ok(Source {
            path: path.to_path_buf(),
            encoding: UTF_8.name(),
            sha256: hex::encode(hasher.finalize()),
            copied: false,
            _copy: None,
        });
    }
    std::fs::create_dir_all(scratch)?;
    let copy = tempfile::Builder::new()
        .prefix("import-utf8-")
        .tempfile_in(scratch)?;
    let sha256 = transcode(File::open(path)?, encoding, copy.as_file())?;
    Ok(Source {
        path: copy.path().to_path_buf(),
        encoding: encoding.name(),
        sha256,
        copied: true,
        _copy: Some(copy),
    })
}

/// Writes `input`, in `encoding`, to `output` as UTF-8 (without a byte-order mark);
/// returns the SHA-256 of the input's bytes. Bytes the encoding cannot decode become
/// U+FFFD, which the row checks then report.
fn transcode(input: File, encoding: &'static Encoding, output: &File) -> std::io::Result<String> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut output = BufWriter::with_capacity(1 << 16, output);
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut hasher = Sha256::new();
    let mut inbuf = vec![0u8; 1 << 16];
    let mut outbuf = vec![0u8; 3 * (1 << 16) + 16];
    loop {
        let n = input.read(&mut inbuf)?;
        let last = n == 0;
        hasher.update(&inbuf[..n]);
        let mut read = 0;
        loop {
            let (result, r, w, _) = decoder.decode_to_utf8(&inbuf[read..n], &mut outbuf, last);
            read += r;
            output.write_all(&outbuf[..w])?;
            if result == CoderResult::InputEmpty {
                break;
            }
        }
        if last {
            break;
        }
    }
    output.flush()?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_gbk_is_told_from_utf8() {
        let text = "channel,ticket_no,merchant_name\n12315,T1,老滇味米线\n";
        let (gbk, _, _) = GB18030.encode(text);
        assert_eq!(sniff(text.as_bytes()), UTF_8);
        assert_eq!(sniff(&gbk), GB18030);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(sniff(&bom), UTF_8);
        // Bytes neither encoding reads stay UTF-8, for the reader to report by line.
        assert_eq!(sniff(&[b'a', 0xFF, 0xFF, b'\n']), UTF_8);
    }

    #[test]
    fn a_gbk_file_is_read_through_a_utf8_copy_with_the_original_hash() {
        let dir = tempfile::tempdir().unwrap();
        let text = "name,street\n昆明老滇味餐饮有限公司,五华区护国街道\n".repeat(5_000);
        let (gbk, _, _) = GB18030.encode(&text);
        let path = dir.path().join("gbk.csv");
        std::fs::write(&path, &gbk).unwrap();
        let source = open(&path, dir.path()).unwrap();
        assert_eq!(source.encoding, "gb18030");
        assert_ne!(source.path, path);
        assert_eq!(std::fs::read_to_string(&source.path).unwrap(), text);
        assert_eq!(source.sha256, hex::encode(Sha256::digest(&gbk)));
        assert!(source.copied);
        let copy = source.path.clone();
        drop(source);
        assert!(!copy.exists(), "the copy goes with the import");

        let utf8 = dir.path().join("utf8.csv");
        std::fs::write(&utf8, &text).unwrap();
        let source = open(&utf8, dir.path()).unwrap();
        assert_eq!(source.path, utf8);
        assert!(!source.copied);
        assert_eq!(source.sha256, hex::encode(Sha256::digest(text.as_bytes())));
    }
}
