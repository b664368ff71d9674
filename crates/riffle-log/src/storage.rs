//! The I/O boundary of the log: a directory of append-only files. The embedded backend is the
//! local file system; tests swap in [`crate::faulty::FaultyStorage`] to simulate power loss.
//!
//! Contract: `append` may be torn by a crash; only bytes covered by a completed `sync` are
//! durable. `create` makes the new name durable before it returns.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One append-only file.
pub trait LogFile: Send + Sync {
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Appends at the end. Only the single writer calls this.
    fn append(&self, data: &[u8]) -> io::Result<()>;
    /// Makes every appended byte durable.
    fn sync(&self) -> io::Result<()>;
    /// The current length, including bytes not yet synced.
    fn len(&self) -> u64;
    /// Whether nothing was ever appended (or everything was cut).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Cuts the file to `len` bytes and makes that durable.
    fn truncate(&self, len: u64) -> io::Result<()>;
}

/// A directory of log files.
pub trait Storage: Send + Sync {
    fn list(&self) -> io::Result<Vec<String>>;
    fn create(&self, name: &str) -> io::Result<Arc<dyn LogFile>>;
    fn open(&self, name: &str) -> io::Result<Arc<dyn LogFile>>;
    fn remove(&self, name: &str) -> io::Result<()>;
}

/// The local file system backend.
#[derive(Debug, Clone)]
pub struct FsStorage {
    dir: PathBuf,
}

impl FsStorage {
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(FsStorage { dir })
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}

struct FsFile {
    file: File,
    len: AtomicU64,
}

impl LogFile for FsFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
    fn append(&self, data: &[u8]) -> io::Result<()> {
        let at = self.len.load(Ordering::Acquire);
        self.file.write_all_at(data, at)?;
        self.len.store(at + data.len() as u64, Ordering::Release);
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
    fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }
    fn truncate(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.len.store(len, Ordering::Release);
        self.file.sync_all()
    }
}

impl Storage for FsStorage {
    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            if let Some(name) = entry?.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    fn create(&self, name: &str) -> io::Result<Arc<dyn LogFile>> {
        let file = OpenOptions::new().read(true).write(true).create_new(true).open(self.dir.join(name))?;
        self.sync_dir()?;
        Ok(Arc::new(FsFile { file, len: AtomicU64::new(0) }))
    }

    fn open(&self, name: &str) -> io::Result<Arc<dyn LogFile>> {
        let file = OpenOptions::new().read(true).write(true).open(self.dir.join(name))?;
        let len = file.metadata()?.len();
        Ok(Arc::new(FsFile { file, len: AtomicU64::new(len) }))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.dir.join(name))?;
        self.sync_dir()
    }
}
