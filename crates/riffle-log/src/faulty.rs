//! A fault-injecting, in-memory [`Storage`] for crash tests. It remembers, per file, which bytes a
//! `sync` made durable. [`FaultyStorage::power_loss`] then drops every byte that was not synced,
//! except a random prefix of the unsynced tail: the torn last write a real disk may leave.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use rand::Rng;

use crate::storage::{LogFile, Storage};

#[derive(Default)]
struct FileState {
    durable: usize,
    data: Vec<u8>,
}

#[derive(Default)]
struct FaultyFile(Mutex<FileState>);

impl LogFile for FaultyFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let st = self.0.lock().expect("lock");
        let start = offset as usize;
        let end = start + buf.len();
        if end > st.data.len() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "read past end"));
        }
        buf.copy_from_slice(&st.data[start..end]);
        Ok(())
    }
    fn append(&self, data: &[u8]) -> io::Result<()> {
        self.0.lock().expect("lock").data.extend_from_slice(data);
        Ok(())
    }
    fn sync(&self) -> io::Result<()> {
        let mut st = self.0.lock().expect("lock");
        st.durable = st.data.len();
        Ok(())
    }
    fn len(&self) -> u64 {
        self.0.lock().expect("lock").data.len() as u64
    }
    fn truncate(&self, len: u64) -> io::Result<()> {
        let mut st = self.0.lock().expect("lock");
        st.data.truncate(len as usize);
        st.durable = st.durable.min(len as usize);
        Ok(())
    }
}

/// In-memory storage that can simulate losing power.
#[derive(Default, Clone)]
pub struct FaultyStorage {
    files: Arc<Mutex<HashMap<String, Arc<FaultyFile>>>>,
}

impl FaultyStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates a power cut: each file keeps its synced bytes plus a random prefix of what was
    /// written after the last sync (a torn write), optionally with its last kept byte flipped.
    pub fn power_loss(&self, rng: &mut impl Rng) {
        for file in self.files.lock().expect("lock").values() {
            let mut st = file.0.lock().expect("lock");
            let unsynced = st.data.len() - st.durable;
            let keep = if unsynced == 0 { 0 } else { rng.random_range(0..=unsynced) };
            let new_len = st.durable + keep;
            st.data.truncate(new_len);
            if keep > 0 && rng.random_bool(0.5) {
                st.data[new_len - 1] ^= 0x5a;
            }
        }
    }

    /// Total bytes held, for assertions about retention.
    pub fn file_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.files.lock().expect("lock").keys().cloned().collect();
        v.sort();
        v
    }
}

impl Storage for FaultyStorage {
    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.file_names())
    }
    fn create(&self, name: &str) -> io::Result<Arc<dyn LogFile>> {
        let mut files = self.files.lock().expect("lock");
        if files.contains_key(name) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, name.to_owned()));
        }
        let f = Arc::new(FaultyFile::default());
        files.insert(name.to_owned(), f.clone());
        Ok(f)
    }
    fn open(&self, name: &str) -> io::Result<Arc<dyn LogFile>> {
        let files = self.files.lock().expect("lock");
        files
            .get(name)
            .cloned()
            .map(|f| f as Arc<dyn LogFile>)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name.to_owned()))
    }
    fn remove(&self, name: &str) -> io::Result<()> {
        self.files.lock().expect("lock").remove(name);
        Ok(())
    }
}
