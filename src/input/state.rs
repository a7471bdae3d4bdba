//! Durable progress of a bucket listing (`s3_poll`), bounded in size: the
//! highest key below which every object is done (the watermark), the few
//! keys above it that finished out of order, and the failed attempts of the
//! objects being retried. Written atomically (temporary file, fsync, rename)
//! after each acknowledgement or failure.
//!
//! An object that keeps failing is given up after a number of attempts and
//! recorded in a dead-letter file beside the state (the polling mode's
//! counterpart of an SQS dead-letter queue), so one broken object neither
//! blocks the watermark nor grows the state for ever.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Failed attempts so far of keys not done yet.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attempts: BTreeMap<String, u32>,
}

impl PollState {
    /// Whether `key` was processed already.
    pub fn is_done(&self, key: &str) -> bool {
        self.watermark.as_deref().is_some_and(|w| key <= w) || self.done_above.contains(key)
    }

    /// Records `key` as done; `pending` holds the keys listed but not done yet,
    /// which hold the watermark back.
    pub fn complete(&mut self, key: &str, pending: &BTreeSet<String>) {
        self.attempts.remove(key);
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
        // Failed keys the watermark passed (deleted, or now too old) are not retried.
        if let Some(watermark) = &self.watermark {
            self.attempts.retain(|k, _| k > watermark);
        }
    }

    /// Records a failed attempt at `key`; returns how many there were so far.
    pub fn failed(&mut self, key: &str) -> u32 {
        let attempts = self.attempts.entry(key.to_string()).or_default();
        *attempts += 1;
        *attempts
    }
}

/// An object given up after repeated failures, as the dead-letter file records it.
#[derive(Debug, Serialize)]
pub struct DeadLetter<'a> {
    /// When it was given up (RFC 3339).
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    /// Bucket.
    pub bucket: &'a str,
    /// Key.
    pub key: &'a str,
    /// ETag of the version that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<&'a str>,
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub error: String,
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

    /// Creates the directory of the state (and dead-letter) file.
    fn create_dir(&self) -> std::io::Result<()> {
        match self.path.parent() {
            Some(dir) => std::fs::create_dir_all(dir),
            None => Ok(()),
        }
    }

    /// Path of the dead-letter file beside it: one JSON line per object
    /// given up.
    pub fn dead_letter_path(&self) -> PathBuf {
        self.path.with_extension("dead-letter.ndjson")
    }

    /// Appends `entry` to the dead-letter file and syncs it.
    pub fn dead_letter(&self, entry: &DeadLetter<'_>) -> std::io::Result<()> {
        self.create_dir()?;
        let path = self.dead_letter_path();
        // A line cut short by a crash would run into this one.
        crate::output::file::drop_torn_tail(&path)?;
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        file.write_all(&line)?;
        file.sync_data()
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
        self.create_dir()?;
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
    fn attempts_count_until_the_key_completes() {
        let mut s = PollState::default();
        assert_eq!(s.failed("a"), 1);
        assert_eq!(s.failed("a"), 2);
        assert_eq!(s.failed("b"), 1);
        s.complete("a", &keys(&["b"]));
        assert_eq!(s.attempts.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(
            s.failed("a"),
            1,
            "a new failure after completion starts over"
        );
    }

    #[test]
    fn attempts_of_keys_the_watermark_passed_are_forgotten() {
        let mut s = PollState::default();
        s.failed("b");
        s.failed("d");
        // "b" is no longer listed (deleted): the watermark passes it.
        s.complete("c", &keys(&["d"]));
        assert_eq!(s.watermark.as_deref(), Some("c"));
        assert_eq!(s.attempts.keys().collect::<Vec<_>>(), ["d"]);
    }

    #[test]
    fn older_state_files_without_attempts_still_load() {
        let s: PollState = serde_json::from_str(r#"{"watermark":"k","done_above":[]}"#).unwrap();
        assert_eq!(s.watermark.as_deref(), Some("k"));
        assert!(s.attempts.is_empty());
    }

    #[test]
    fn dead_letters_are_appended_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::new(dir.path(), "b", "p/");
        for key in ["p/1", "p/2"] {
            f.dead_letter(&DeadLetter {
                timestamp: "2026-01-01T00:00:00Z".into(),
                bucket: "b",
                key,
                etag: Some("\"e\""),
                attempts: 3,
                error: "broken".into(),
            })
            .unwrap();
        }
        let text = std::fs::read_to_string(f.dead_letter_path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["key"], "p/2");
        assert_eq!(lines[1]["attempts"], 3);
        assert_eq!(lines[0]["error"], "broken");
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
