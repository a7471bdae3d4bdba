//! Durable progress of a bucket listing (`s3_poll`), bounded in size: the
//! highest key below which every object is done (the watermark), plus the
//! few keys above it that finished out of order. Written atomically
//! (temporary file, fsync, rename) after each acknowledgement.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Progress through one bucket and prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollState {
    /// Every key up to and including this one is done.
    pub watermark: Option<String>,
    /// Keys above the watermark that are done (finished out of order).
    pub done_above: BTreeSet<String>,
}

impl PollState {
    /// Whether `key` was processed already.
    pub fn is_done(&self, key: &str) -> bool {
        self.watermark.as_deref().is_some_and(|w| key <= w) || self.done_above.contains(key)
    }

    /// Records `key` as done; `pending` holds the keys listed but not done yet,
    /// which hold the watermark back.
    pub fn complete(&mut self, key: &str, pending: &BTreeSet<String>) {
        self.done_above.insert(key.to_string());
        // Advance the watermark over every done key below the lowest pending one.
        let limit = pending.iter().next();
        while let Some(first) = self.done_above.iter().next().cloned() {
            if limit.is_some_and(|l| first.as_str() >= l.as_str()) {
                break;
            }
            self.done_above.remove(&first);
            self.watermark = Some(first);
        }
    }
}

/// Where the state of a bucket and prefix is kept.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file for `bucket`/`prefix` under `dir`.
    pub fn new(dir: &Path, bucket: &str, prefix: &str) -> Self {
        let id = xxhash_rust::xxh3::xxh3_64(format!("{bucket}\0{prefix}").as_bytes());
        let safe: String = bucket
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        StateFile {
            path: dir.join(format!("s3_poll-{safe}-{id:016x}.json")),
        }
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the state (empty if the file does not exist).
    pub fn load(&self) -> std::io::Result<PollState> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(PollState::default()),
            Err(e) => Err(e),
        }
    }

    /// Saves the state atomically.
    pub fn save(&self, state: &PollState) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&serde_json::to_vec(state).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> BTreeSet<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn watermark_advances_only_over_contiguous_done_keys() {
        let mut s = PollState::default();
        s.complete("b", &keys(&["a", "c"]));
        assert_eq!(s.watermark, None);
        assert!(s.is_done("b") && !s.is_done("a"));
        s.complete("a", &keys(&["c"]));
        assert_eq!(s.watermark.as_deref(), Some("b"));
        assert!(s.done_above.is_empty());
        s.complete("c", &keys(&[]));
        assert_eq!(s.watermark.as_deref(), Some("c"));
        assert!(s.is_done("a") && s.is_done("c") && !s.is_done("d"));
    }

    #[test]
    fn survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path(), "my.bucket", "logs/");
        assert_eq!(f.load().unwrap(), PollState::default());
        let mut s = PollState::default();
        s.complete("k1", &keys(&["k0"]));
        f.save(&s).unwrap();
        assert_eq!(f.load().unwrap(), s);
    }
}
