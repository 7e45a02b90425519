//! Where export's files go. A build streams every file straight into the temporary output
//! directory ([`DirSink`], made by `output::write_dir`), hashing it as it is written, so no
//! file is ever held whole in memory (issue 13: a million records make ~1 GB of output).
//! `check`, `site` and `release` need the bytes themselves and use [`MemorySink`].

use super::Files;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What manifest.json records of a written file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    pub sha256: String,
}

/// A place export writes files to. Jobs on several threads write different files at once.
pub trait Sink: Sync {
    /// Writes the file `rel` (a relative path such as `csv/deals.csv`) through `write`.
    fn file(
        &self,
        rel: &str,
        write: &mut dyn FnMut(&mut (dyn Write + Send)) -> io::Result<()>,
    ) -> io::Result<Written>;
}

/// Counts and hashes the bytes passing through to `inner`.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }
    fn finish(self) -> (W, Written) {
        let written = Written {
            bytes: self.bytes,
            sha256: super::hex(&self.hash.finalize()),
        };
        (self.inner, written)
    }
}

/// Files created under a new directory, each fsynced when complete (the directories are
/// synced by the caller, before the swap).
pub struct DirSink {
    root: PathBuf,
    dirs: Mutex<Vec<PathBuf>>,
}

impl DirSink {
    pub fn new(root: &Path) -> Self {
        DirSink {
            root: root.to_path_buf(),
            dirs: Mutex::new(vec![root.to_path_buf()]),
        }
    }

    /// Every directory a file was created in (the root included).
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.dirs.lock().unwrap().clone()
    }
}

/// Buffer between the renderers and the file: large enough that CSV rows and Parquet pages
/// reach the kernel in few writes.
const BUFFER: usize = 1 << 20;

impl Sink for DirSink {
    fn file(
        &self,
        rel: &str,
        write: &mut dyn FnMut(&mut (dyn Write + Send)) -> io::Result<()>,
    ) -> io::Result<Written> {
        let path = self.root.join(rel);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir)?;
        {
            let mut dirs = self.dirs.lock().unwrap();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        let mut w = Hashing::new(BufWriter::with_capacity(BUFFER, File::create_new(&path)?));
        write(&mut w)?;
        let (buffered, written) = w.finish();
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(written)
    }
}

/// Files kept in memory, for commands that compare or reuse the bytes.
#[derive(Default)]
pub struct MemorySink {
    files: Mutex<Files>,
}

impl MemorySink {
    pub fn into_files(self) -> Files {
        self.files.into_inner().unwrap()
    }
}

impl Sink for MemorySink {
    fn file(
        &self,
        rel: &str,
        write: &mut dyn FnMut(&mut (dyn Write + Send)) -> io::Result<()>,
    ) -> io::Result<Written> {
        let mut w = Hashing::new(Vec::new());
        write(&mut w)?;
        let (bytes, written) = w.finish();
        self.files.lock().unwrap().insert(rel.to_string(), bytes);
        Ok(written)
    }
}
