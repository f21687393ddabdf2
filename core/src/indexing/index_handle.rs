//! The index a process serves from, swappable while it serves.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use fangxin_indexer::{MerchantIndex, generations};

/// The current generation of the search index, shared by the HTTP handlers and the feed
/// follower; a rebuild swaps in a new generation without stopping either.
pub struct SharedIndex {
    root: Option<PathBuf>,
    current: RwLock<Arc<MerchantIndex>>,
}

impl SharedIndex {
    /// Opens the generation `CURRENT` names under `root`, creating the first one (and
    /// clearing files of an older layout) when there is none.
    pub fn open(root: &Path) -> fangxin_indexer::Result<SharedIndex> {
        std::fs::create_dir_all(root)?;
        let generation = match generations::current(root)? {
            Some(g) => g,
            None => {
                let g = generations::create_next(root)?;
                generations::make_current(root, &g)?;
                g
            }
        };
        generations::remove_stale(root, None);
        let index = MerchantIndex::open_or_create(&generation)?;
        Ok(SharedIndex {
            root: Some(root.to_path_buf()),
            current: RwLock::new(Arc::new(index)),
        })
    }

    /// An index in memory (tests).
    pub fn in_memory() -> fangxin_indexer::Result<SharedIndex> {
        Ok(SharedIndex {
            root: None,
            current: RwLock::new(Arc::new(MerchantIndex::in_memory()?)),
        })
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// The generation in use now.
    pub fn current(&self) -> Arc<MerchantIndex> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts a new generation in use; returns the one it replaces.
    pub fn swap(&self, next: Arc<MerchantIndex>) -> Arc<MerchantIndex> {
        let mut guard = match self.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::mem::replace(&mut *guard, next)
    }

    /// Whether `CURRENT` on disk names another generation than the one in use (another
    /// process rebuilt the index); returns its path.
    pub fn replaced_on_disk(&self) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        let on_disk = generations::current(root).ok().flatten()?;
        let in_use = self.current();
        (in_use.dir() != Some(on_disk.as_path())).then_some(on_disk)
    }
}
