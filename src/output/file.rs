//! The `file` output: NDJSON appended to a file, fsynced before
//! acknowledgement, rotated by size (`path.1` … `path.N`).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::config::FileOutputConfig;

/// An open, rotating NDJSON file.
pub struct FileOutput {
    path: PathBuf,
    writer: BufWriter<File>,
    size: u64,
    rotate_bytes: u64,
    keep_files: usize,
}

impl FileOutput {
    /// Opens (appends to) the file of `config`, creating its directory.
    pub fn open(config: &FileOutputConfig) -> io::Result<FileOutput> {
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        drop_torn_tail(&config.path)?;
        let file = open_append(&config.path)?;
        let size = file.metadata()?.len();
        Ok(FileOutput {
            path: config.path.clone(),
            writer: BufWriter::with_capacity(1 << 20, file),
            size,
            rotate_bytes: config.rotate_bytes,
            keep_files: config.keep_files,
        })
    }

    /// Appends events; rotates first when the file is full.
    pub fn write(&mut self, ndjson: &[u8]) -> io::Result<()> {
        if self.rotate_bytes > 0
            && self.size > 0
            && self.size + ndjson.len() as u64 > self.rotate_bytes
        {
            self.rotate()?;
        }
        self.writer.write_all(ndjson)?;
        self.size += ndjson.len() as u64;
        Ok(())
    }

    /// Makes everything written so far durable.
    pub fn commit(&mut self) -> io::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().sync_data()
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.commit()?;
        if self.keep_files == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            for n in (1..self.keep_files).rev() {
                let from = numbered(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, numbered(&self.path, n + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        }
        self.writer = BufWriter::with_capacity(1 << 20, open_append(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

/// A process killed mid-write can leave a partial last line; it was never
/// acknowledged (its batch is delivered again), so it is cut off before
/// appending, keeping every line a whole event.
pub(crate) fn drop_torn_tail(path: &Path) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let mut end = len;
    let mut buf = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(nl) = chunk.iter().rposition(|b| *b == b'\n') {
            end = start + nl as u64 + 1;
            break;
        }
        end = start;
    }
    if end < len {
        file.set_len(end)?;
        file.sync_all()?;
    }
    Ok(())
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_n_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.ndjson");
        let mut out = FileOutput::open(&FileOutputConfig {
            path: path.clone(),
            rotate_bytes: 10,
            keep_files: 2,
        })
        .unwrap();
        for i in 0..5 {
            out.write(format!("{{\"n\":{i}}}\n").as_bytes()).unwrap();
        }
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":4}\n");
        assert_eq!(
            std::fs::read_to_string(numbered(&path, 1)).unwrap(),
            "{\"n\":3}\n"
        );
        assert_eq!(
            std::fs::read_to_string(numbered(&path, 2)).unwrap(),
            "{\"n\":2}\n"
        );
        assert!(!numbered(&path, 3).exists());
    }

    #[test]
    fn a_torn_last_line_is_dropped_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        let mut out = FileOutput::open(&FileOutputConfig {
            path: path.clone(),
            rotate_bytes: 1 << 20,
            keep_files: 1,
        })
        .unwrap();
        out.write(b"{\"c\":3}\n").unwrap();
        out.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"c\":3}\n"
        );
    }
}
