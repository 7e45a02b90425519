//! Bounded reads (issue 9, section 3). Every command reads its input files through here:
//! regular files only (a FIFO would block, `/dev/zero` never ends, a directory fails with an
//! unhelpful message), never through a symbolic link that leaves the directory tree it was
//! given, and never more than a documented number of bytes.
//!
//! The checks are made on the opened file too (`O_NOFOLLOW | O_NONBLOCK`, then `fstat`), so a
//! file swapped for a FIFO or link between the check and the open is still refused.

use crate::diagnostic::{Code, Loc, Problem};
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

/// Largest file read from an output directory (a table for `diff`, a file whose hash a
/// previous manifest gives).
pub const MAX_OUTPUT_FILE_BYTES: u64 = 1024 * 1024 * 1024;
/// Largest JSON metadata read (datapackage.json, manifest.json, the schema lock): parsed
/// whole, so kept well below the tables' limit.
pub const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;
/// Largest source document `verify` reads, and largest README `codebook` edits.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;
/// Most entries a directory walk visits, and deepest it goes (`check`, the output guard).
pub const MAX_WALK_ENTRIES: usize = 100_000;
pub const MAX_WALK_DEPTH: usize = 16;

/// Why a read was refused.
#[derive(Debug)]
pub enum ReadError {
    /// The OS refused (not found, permission, …).
    Io(std::io::Error),
    /// A symbolic link, directory, FIFO, socket or device where a regular file was expected.
    NotRegular(&'static str),
    /// Larger than the limit.
    TooLarge { size: u64, limit: u64 },
    /// The path leaves the directory tree it was given (absolute, `..`, a link outside).
    Outside(PathBuf),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular(kind) => write!(f, "not a regular file (a {kind})"),
            ReadError::TooLarge { size, limit } => {
                write!(f, "{size} bytes, over the limit of {limit} bytes")
            }
            ReadError::Outside(root) => write!(f, "leads outside {}", root.display()),
        }
    }
}

impl ReadError {
    /// The located problem, with `io` as the code of a plain OS error (each caller keeps
    /// the code its users already match on for "cannot read").
    pub fn problem(&self, io: Code, path: &Path, expected: &str) -> Problem {
        let (code, msg) = match self {
            // (The location line names the file.)
            ReadError::Io(e) => (io, format!("cannot read: {e}")),
            ReadError::NotRegular(kind) => (
                Code::NotRegularFile,
                format!("cannot read: not a regular file (a {kind})"),
            ),
            ReadError::TooLarge { size, limit } => (
                Code::ReadTooLarge,
                format!(
                    "{} is {size} bytes, over the limit of {limit} bytes",
                    path.display()
                ),
            ),
            ReadError::Outside(root) => (
                Code::OutsideTree,
                format!(
                    "{} leads outside {} (an absolute path, `..` or a symbolic link)",
                    path.display(),
                    root.display()
                ),
            ),
        };
        Problem::new(code, msg)
            .at(Loc::file(path.display().to_string()))
            .expected(expected)
    }
}

/// What a non-regular file is, for messages.
pub fn kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_symlink() {
        "symbolic link"
    } else if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO (named pipe)"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else if t.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

/// Opens `path` for reading without following a final symbolic link and without blocking on
/// a FIFO, and checks that it is a regular file of at most `limit` bytes.
fn open_regular(path: &Path, limit: u64) -> Result<(File, u64), ReadError> {
    let m = std::fs::symlink_metadata(path)?;
    if !m.is_file() {
        return Err(ReadError::NotRegular(kind(&m)));
    }
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(ReadError::NotRegular(kind(&m)));
    }
    if m.len() > limit {
        return Err(ReadError::TooLarge {
            size: m.len(),
            limit,
        });
    }
    Ok((f, m.len()))
}

/// Reads a regular file (not a link, FIFO or device) of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (f, len) = open_regular(path, limit)?;
    let mut buf = Vec::with_capacity(len as usize);
    // A file that grows while read stops at the limit all the same.
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(buf)
}

/// Size and SHA-256 (hex) of a regular file of at most `limit` bytes, read in blocks (memory:
/// an output file can be hundreds of megabytes).
pub fn hash_regular(path: &Path, limit: u64) -> Result<(u64, String), ReadError> {
    use sha2::{Digest, Sha256};
    let (f, _) = open_regular(path, limit)?;
    let mut reader = f.take(limit + 1);
    let mut hash = Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut block)?;
        if n == 0 {
            break;
        }
        hash.update(&block[..n]);
        size += n as u64;
    }
    if size > limit {
        return Err(ReadError::TooLarge { size, limit });
    }
    Ok((size, crate::export::hex(&hash.finalize())))
}

/// True when `rel` is a relative path of plain names (no `/` root, no `..`, no `.`).
pub fn is_plain_relative(rel: &Path) -> bool {
    !rel.as_os_str().is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// `root.join(rel)` resolved, when it stays inside `root` (links inside the tree are
/// followed; a link, `..` or absolute path leading out of it is refused).
pub fn resolve_in_tree(root: &Path, rel: &Path) -> Result<PathBuf, ReadError> {
    let outside = || ReadError::Outside(root.to_path_buf());
    if !is_plain_relative(rel) {
        return Err(outside());
    }
    let croot = root.canonicalize()?;
    let full = root.join(rel);
    let real = match full.canonicalize() {
        Ok(p) => p,
        // A dangling link: name it as one, not as a missing file.
        Err(e) => match std::fs::symlink_metadata(&full) {
            Ok(m) if m.file_type().is_symlink() => return Err(ReadError::NotRegular(kind(&m))),
            _ => return Err(ReadError::Io(e)),
        },
    };
    if !real.starts_with(&croot) {
        return Err(outside());
    }
    Ok(real)
}

/// Reads `root/rel` as [`read_regular`] does, refusing a path that leaves `root`.
pub fn read_in_tree(root: &Path, rel: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_regular(&resolve_in_tree(root, rel)?, limit)
}

/// One entry of a directory walk: its path relative to the root (with `/`), and what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub rel: String,
    pub is_dir: bool,
    /// `None` for a regular file or directory; otherwise what it is ("symbolic link", …).
    pub odd: Option<&'static str>,
}

/// Every entry under `dir`, sorted, never following a link (a link is listed, not entered),
/// at most [`MAX_WALK_ENTRIES`] entries and [`MAX_WALK_DEPTH`] levels (an error past that).
pub fn walk(dir: &Path) -> Result<Vec<Entry>, String> {
    let mut out = vec![];
    let mut stack = vec![(dir.to_path_buf(), String::new(), 0usize)];
    while let Some((path, prefix, depth)) = stack.pop() {
        if depth > MAX_WALK_DEPTH {
            return Err(format!(
                "{} is nested more than {MAX_WALK_DEPTH} levels deep",
                path.display()
            ));
        }
        let rd = std::fs::read_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for e in rd {
            let e = e.map_err(|e| format!("{}: {e}", path.display()))?;
            let m = std::fs::symlink_metadata(e.path())
                .map_err(|err| format!("{}: {err}", e.path().display()))?;
            let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
            let is_dir = m.is_dir();
            let odd = (!is_dir && !m.is_file()).then(|| kind(&m));
            if is_dir {
                stack.push((e.path(), format!("{rel}/"), depth + 1));
            }
            out.push(Entry { rel, is_dir, odd });
            if out.len() > MAX_WALK_ENTRIES {
                return Err(format!(
                    "{} holds more than {MAX_WALK_ENTRIES} entries",
                    dir.display()
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pillars-fsio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn plain_relative_paths() {
        assert!(is_plain_relative(Path::new("csv/a.csv")));
        assert!(!is_plain_relative(Path::new("../a")));
        assert!(!is_plain_relative(Path::new("/etc/passwd")));
        assert!(!is_plain_relative(Path::new("csv/../../a")));
        assert!(!is_plain_relative(Path::new("")));
    }

    #[test]
    fn refuses_links_out_of_the_tree_devices_and_big_files() {
        let d = tmp("tree");
        std::fs::write(d.join("a"), "12345").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", d.join("out")).unwrap();
        std::os::unix::fs::symlink("a", d.join("in")).unwrap();
        assert_eq!(read_in_tree(&d, Path::new("a"), 5).unwrap(), b"12345");
        assert_eq!(read_in_tree(&d, Path::new("in"), 5).unwrap(), b"12345");
        assert!(matches!(
            read_in_tree(&d, Path::new("out"), 5),
            Err(ReadError::Outside(_))
        ));
        assert!(matches!(
            read_regular(&d.join("a"), 4),
            Err(ReadError::TooLarge { size: 5, limit: 4 })
        ));
        assert!(matches!(
            read_regular(&d.join("in"), 5),
            Err(ReadError::NotRegular("symbolic link"))
        ));
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 5),
            Err(ReadError::NotRegular("device"))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn walk_lists_links_without_entering_them() {
        let d = tmp("walk");
        std::fs::create_dir_all(d.join("csv")).unwrap();
        std::fs::write(d.join("csv/a.csv"), "x").unwrap();
        std::os::unix::fs::symlink(".", d.join("csv/loop")).unwrap();
        let w = walk(&d).unwrap();
        let rels: Vec<&str> = w.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(rels, ["csv", "csv/a.csv", "csv/loop"]);
        assert_eq!(w[2].odd, Some("symbolic link"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
