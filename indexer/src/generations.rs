//! Index generations: `DIR/gen-<n>/` directories and a `DIR/CURRENT` file naming the one
//! in use. A rebuild writes a new generation and then replaces `CURRENT` by an atomic
//! rename, so a reader always finds a complete index, and a running server that sees
//! `CURRENT` change swaps to the new generation without stopping.

use std::path::{Path, PathBuf};

use crate::Result;

const CURRENT: &str = "CURRENT";

/// The generation `CURRENT` names, if any.
pub fn current(dir: &Path) -> Result<Option<PathBuf>> {
    match std::fs::read_to_string(dir.join(CURRENT)) {
        Ok(name) => {
            let name = name.trim();
            if name.is_empty() || name.contains('/') || name.contains("..") {
                return Ok(None);
            }
            let path = dir.join(name);
            Ok(path.is_dir().then_some(path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A fresh, empty generation directory (not yet current).
pub fn create_next(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut highest = 0u64;
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_prefix("gen-"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            highest = highest.max(n);
        }
    }
    let path = dir.join(format!("gen-{:06}", highest + 1));
    std::fs::create_dir_all(&path)?;
    Ok(path)
}

/// Makes `generation` current: write a temporary file, then rename it over `CURRENT`.
pub fn make_current(dir: &Path, generation: &Path) -> Result<()> {
    let name = generation
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let tmp = dir.join(format!("{CURRENT}.tmp"));
    std::fs::write(&tmp, name.as_bytes())?;
    if let Ok(f) = std::fs::File::open(&tmp) {
        let _ = f.sync_all();
    }
    std::fs::rename(&tmp, dir.join(CURRENT))?;
    Ok(())
}

/// Removes every generation but the current one (and `keep`), and index files of the
/// layout before generations. Errors are ignored: an old generation left behind only
/// costs disk.
pub fn remove_stale(dir: &Path, keep: Option<&Path>) {
    let current = current(dir).ok().flatten();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == CURRENT
            || Some(path.as_path()) == current.as_deref()
            || Some(path.as_path()) == keep
        {
            continue;
        }
        if name.starts_with("gen-") && path.is_dir() {
            let _ = std::fs::remove_dir_all(&path);
        } else if path.is_file()
            && (name.ends_with(".json")
                || name.contains('.')
                || name == ".tantivy-meta.lock"
                || name == ".tantivy-writer.lock")
        {
            // Files of an index written straight into `dir` before generations existed.
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_swap_atomically() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(current(dir.path()).unwrap(), None);
        let first = create_next(dir.path()).unwrap();
        make_current(dir.path(), &first).unwrap();
        assert_eq!(current(dir.path()).unwrap(), Some(first.clone()));
        let second = create_next(dir.path()).unwrap();
        assert_ne!(first, second);
        make_current(dir.path(), &second).unwrap();
        remove_stale(dir.path(), None);
        assert!(!first.exists());
        assert_eq!(current(dir.path()).unwrap(), Some(second));
    }
}
