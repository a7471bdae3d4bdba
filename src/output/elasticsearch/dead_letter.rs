//! The dead-letter file: events Elasticsearch refused for good (a mapping
//! error, an invalid document), one NDJSON record each with the error and
//! the original event, fsynced before their batch is acknowledged.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

/// One refused event.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The data stream it was sent to.
    pub index: String,
    /// HTTP status of its item (0 when it was never sent).
    pub status: u16,
    /// The item's `error` object as raw JSON, or a JSON string.
    pub error: String,
    /// The event as the pipeline wrote it (with `@metadata`).
    pub event: Vec<u8>,
}

/// An open dead-letter file.
pub struct DeadLetterFile {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl DeadLetterFile {
    /// Opens (appends to) `path`, creating its directory; a partial last
    /// line left by a crash is cut off first.
    pub fn open(path: &Path) -> io::Result<DeadLetterFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        crate::output::file::drop_torn_tail(path)?;
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DeadLetterFile {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `letters` and makes them durable.
    ///
    /// Each line is `{"@timestamp":…,"output":"elasticsearch","index":…,
    /// "status":…,"error":{…},"event":{…}}`; an event that is not valid
    /// JSON is kept as a string.
    pub fn append(&mut self, letters: &[DeadLetter]) -> io::Result<()> {
        if letters.is_empty() {
            return Ok(());
        }
        let now = loglift_parsers::Timestamp::now().to_string();
        let mut line = Vec::with_capacity(1024);
        for letter in letters {
            line.clear();
            line.extend_from_slice(b"{\"@timestamp\":");
            serde_json::to_writer(&mut line, &now)?;
            line.extend_from_slice(b",\"output\":\"elasticsearch\",\"index\":");
            serde_json::to_writer(&mut line, &letter.index)?;
            line.extend_from_slice(format!(",\"status\":{},\"error\":", letter.status).as_bytes());
            match serde_json::from_str::<&RawValue>(&letter.error) {
                Ok(raw) => line.extend_from_slice(raw.get().as_bytes()),
                Err(_) => serde_json::to_writer(&mut line, &letter.error)?,
            }
            line.extend_from_slice(b",\"event\":");
            match serde_json::from_slice::<&RawValue>(&letter.event) {
                Ok(raw) => line.extend_from_slice(raw.get().as_bytes()),
                Err(_) => {
                    serde_json::to_writer(&mut line, &String::from_utf8_lossy(&letter.event))?
                }
            }
            line.extend_from_slice(b"}\n");
            self.writer.write_all(&line)?;
        }
        self.writer.flush()?;
        self.writer.get_ref().sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_hold_the_error_and_the_original_event() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dlq.ndjson");
        let mut dlq = DeadLetterFile::open(&path).unwrap();
        dlq.append(&[
            DeadLetter {
                index: "logs-a-default".into(),
                status: 400,
                error: r#"{"type":"mapper_parsing_exception"}"#.into(),
                event: br#"{"a":1,"@metadata":{"_id":"x"}}"#.to_vec(),
            },
            DeadLetter {
                index: "logs-a-default".into(),
                status: 0,
                error: "not a JSON object".into(),
                event: b"[oops".to_vec(),
            },
        ])
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["error"]["type"], "mapper_parsing_exception");
        assert_eq!(lines[0]["event"]["@metadata"]["_id"], "x");
        assert_eq!(lines[0]["status"], 400);
        assert_eq!(lines[1]["error"], "not a JSON object");
        assert_eq!(lines[1]["event"], "[oops");
    }
}
