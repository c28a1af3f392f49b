//! [`JsonFileDekStore`]: wrapped DEKs in a JSON file (the CLI's keyring).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::master::io_err;
use crate::store::{self, DekMap, DekStore, Insert, StoredDek};
use crate::{Error, Result, WrappedDek};

/// Wrapped DEKs in a JSON file, safe to share between processes on one host.
///
/// Every operation holds a lock on `<file>.lock` (shared to read, exclusive to write); writes go
/// to a temporary file created with mode 0600, are synced, then renamed over the original, so a
/// crash never leaves a half-written keyring. The file holds only wrapped keys: without the
/// master key it reveals nothing but scope ids and generation numbers.
///
/// ```json
/// {"format":1,"deks":[{"scope":"…","generation":1,"wrapped":"mycw1:…"}]}
/// ```
#[derive(Debug, Clone)]
pub struct JsonFileDekStore {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct FileFormat {
    format: u32,
    deks: Vec<FileEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    scope: Uuid,
    generation: u32,
    wrapped: String,
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

impl JsonFileDekStore {
    /// A store at `path` (created on first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The keyring file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self, exclusive: bool) -> Result<File> {
        let lock_path = self.path.with_extension("lock");
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| io_err(&lock_path, e))?;
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        locked.map_err(|e| io_err(&lock_path, e))?;
        Ok(file)
    }

    fn read(&self) -> Result<DekMap> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DekMap::new()),
            Err(e) => return Err(io_err(&self.path, e)),
        };
        let file: FileFormat = serde_json::from_str(&text).map_err(|e| {
            Error::Store(format!("{}: not a keyring file: {e}", self.path.display()))
        })?;
        if file.format != 1 {
            return Err(Error::Store(format!(
                "{}: unknown keyring format {}",
                self.path.display(),
                file.format
            )));
        }
        let mut map = DekMap::new();
        for entry in file.deks {
            let wrapped = WrappedDek::from_text(&entry.wrapped)?;
            if map
                .insert((entry.scope, entry.generation), wrapped)
                .is_some()
            {
                return Err(Error::Store(format!(
                    "{}: duplicate DEK entry",
                    self.path.display()
                )));
            }
        }
        Ok(map)
    }

    fn write(&self, map: &DekMap) -> Result<()> {
        let file = FileFormat {
            format: 1,
            deks: map
                .iter()
                .map(|((scope, generation), w)| FileEntry {
                    scope: *scope,
                    generation: *generation,
                    wrapped: w.to_text(),
                })
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| Error::Store(e.to_string()))?;
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        let mut out = private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, e))?;
        out.write_all(&json).map_err(|e| io_err(&tmp, e))?;
        out.sync_all().map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io_err(&self.path, e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Persist the rename; best effort where directories cannot be opened.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    fn read_locked(&self) -> Result<DekMap> {
        let _lock = self.lock(false)?;
        self.read()
    }

    fn update<T>(&self, f: impl FnOnce(&mut DekMap) -> (T, bool)) -> Result<T> {
        let _lock = self.lock(true)?;
        let mut map = self.read()?;
        let (out, changed) = f(&mut map);
        if changed {
            self.write(&map)?;
        }
        Ok(out)
    }
}

impl DekStore for JsonFileDekStore {
    fn get(&self, scope: Uuid, generation: u32) -> Result<Option<WrappedDek>> {
        Ok(self.read_locked()?.remove(&(scope, generation)))
    }
    fn latest(&self, scope: Uuid) -> Result<Option<(u32, WrappedDek)>> {
        Ok(store::latest_in(&self.read_locked()?, scope))
    }
    fn insert_if_absent(
        &self,
        scope: Uuid,
        generation: u32,
        wrapped: &WrappedDek,
    ) -> Result<Insert> {
        self.update(|map| {
            let outcome = store::insert_in(map, scope, generation, wrapped);
            let changed = outcome == Insert::Inserted;
            (outcome, changed)
        })
    }
    fn compare_and_swap(
        &self,
        scope: Uuid,
        generation: u32,
        expected: &WrappedDek,
        new: &WrappedDek,
    ) -> Result<bool> {
        self.update(|map| {
            let swapped = store::swap_in(map, scope, generation, expected, new);
            (swapped, swapped)
        })
    }
    fn list(&self) -> Result<Vec<StoredDek>> {
        Ok(store::list_in(&self.read_locked()?))
    }
}
