//! GeoIP and ASN enrichment at the edge (DESIGN §4): the IP fields a dataset
//! names in `fields/<dataset>.yml` (`geoip:`) get `<endpoint>.geo.*` and
//! `<endpoint>.as.*` from MaxMind-format databases, as Elasticsearch's GeoIP
//! processor fills them in Elastic's ingest pipelines.
//!
//! - [`GeoIp`] is the set of configured databases: each memory-mapped once
//!   and shared by every worker, its kind (City, Country, ASN) read from its
//!   metadata. A replaced file (new inode, size or mtime) is opened and
//!   swapped in by [`GeoIp::reload_changed`], which the agent calls every
//!   `reload_interval` off the pipeline; a failing reload keeps the database
//!   in use, logs once and counts.
//! - An [`Enricher`] is one worker's view: the databases as they were when it
//!   started (one object, or one block of a large one), and a small cache,
//!   so that an address is looked up and a record decoded once, however
//!   often the logs repeat it.

mod enrich;
mod record;

use std::collections::HashMap;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use enrich::{Enricher, GeoRule};

use crate::metrics;

/// What a database answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DatabaseKind {
    /// City: country, subdivision, city and location (GeoLite2-City, GeoIP2-City, DB-IP City).
    City,
    /// Country only (GeoLite2-Country, GeoIP2-Country, DB-IP Country).
    Country,
    /// Autonomous system number and organization (GeoLite2-ASN, DB-IP ASN).
    Asn,
}

impl DatabaseKind {
    /// The kind named by a database's `database_type` metadata.
    fn of(database_type: &str) -> Option<Self> {
        let t = database_type.to_ascii_lowercase();
        if t.contains("asn") {
            Some(DatabaseKind::Asn)
        } else if t.contains("city") || t.contains("enterprise") {
            Some(DatabaseKind::City)
        } else if t.contains("country") {
            Some(DatabaseKind::Country)
        } else {
            None
        }
    }
}

impl DatabaseKind {
    /// Whether a file of kind `other` may replace one of this kind: City and
    /// Country both answer `geo`, ASN answers `as`.
    fn same_role(self, other: DatabaseKind) -> bool {
        (self == DatabaseKind::Asn) == (other == DatabaseKind::Asn)
    }
}

impl fmt::Display for DatabaseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatabaseKind::City => "City",
            DatabaseKind::Country => "Country",
            DatabaseKind::Asn => "ASN",
        })
    }
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GeoIpError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a MaxMind DB.
    #[error("{path}: not a MaxMind DB file: {source}")]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// What the reader found.
        #[source]
        source: maxminddb::MaxMindDbError,
    },
    /// The database answers something loglift does not use.
    #[error(
        "{path}: unsupported database type `{database_type}` (City, Country or ASN databases are)"
    )]
    Unsupported {
        /// The database file.
        path: PathBuf,
        /// Its `database_type` metadata.
        database_type: String,
    },
    /// Two databases of the same kind were configured.
    #[error("{path}: a second {kind} database (only one of each kind is used)")]
    Duplicate {
        /// The second file.
        path: PathBuf,
        /// Its kind.
        kind: DatabaseKind,
    },
}

/// Which version of a file is open: a replaced file differs in one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
    size: u64,
    modified: i64,
    modified_nanos: i64,
}

impl FileIdentity {
    fn of(path: &Path) -> std::io::Result<Self> {
        let m = std::fs::metadata(path)?;
        Ok(FileIdentity {
            device: m.dev(),
            inode: m.ino(),
            size: m.size(),
            modified: m.mtime(),
            modified_nanos: m.mtime_nsec(),
        })
    }
}

/// One opened version of a database file.
pub struct Loaded {
    reader: maxminddb::Reader<maxminddb::Mmap>,
    identity: FileIdentity,
    kind: DatabaseKind,
    /// Records decoded so far, by data offset, shared by every worker:
    /// a record is decoded once per version of the file, not once per
    /// worker and object. Workers look here only when their own map misses.
    decoded: Mutex<HashMap<usize, Option<Arc<str>>>>,
}

/// Decoded records kept per database version; the map is cleared when it
/// grows past this (a full GeoLite2-City holds about 150,000 records).
const MAX_DECODED: usize = 1 << 16;

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("kind", &self.kind)
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

impl Loaded {
    /// Opens (memory-maps) one database file and reads its kind.
    pub fn open(path: &Path) -> Result<Self, GeoIpError> {
        let io = |source| GeoIpError::Io {
            path: path.to_path_buf(),
            source,
        };
        let identity = FileIdentity::of(path).map_err(io)?;
        // SAFETY: the map is read-only and the file is expected to be
        // replaced, never rewritten in place: geoipupdate (and any careful
        // updater) writes a new file and renames it over the old one, which
        // leaves this map on the old inode. The README says so.
        let reader =
            unsafe { maxminddb::Reader::open_mmap(path) }.map_err(|source| match source {
                maxminddb::MaxMindDbError::Io(e) => io(e),
                source => GeoIpError::Invalid {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        let database_type = reader.metadata().database_type.clone();
        let kind = DatabaseKind::of(&database_type).ok_or_else(|| GeoIpError::Unsupported {
            path: path.to_path_buf(),
            database_type,
        })?;
        Ok(Loaded {
            reader,
            identity,
            kind,
            decoded: Mutex::new(HashMap::new()),
        })
    }

    /// The JSON text of the record at `offset`, decoded by `decode` the
    /// first time any worker asks.
    fn decoded(&self, offset: usize, decode: impl FnOnce() -> Option<String>) -> Option<Arc<str>> {
        let mut decoded = crate::lock(&self.decoded);
        if let Some(text) = decoded.get(&offset) {
            return text.clone();
        }
        if decoded.len() >= MAX_DECODED {
            decoded.clear();
        }
        let text = decode().map(Arc::from);
        decoded.insert(offset, text.clone());
        text
    }

    /// The database's `database_type` metadata (`GeoLite2-City`).
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// When the database was built.
    pub fn build_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.reader.metadata().build_epoch)
    }

    /// What the database answers.
    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The build date, `YYYY-MM-DD` (UTC).
    pub fn build_date(&self) -> String {
        let days = i64::try_from(self.reader.metadata().build_epoch / 86_400).unwrap_or(0);
        let (y, m, d) = loglift_parsers::time::civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// One configured database file and the version of it in use.
#[derive(Debug)]
struct Database {
    path: PathBuf,
    /// The `database` label of its metrics (the file name).
    label: String,
    current: RwLock<Arc<Loaded>>,
    /// The identity of the last version that failed to open, so a broken
    /// file is reported once, not at every check.
    failed: Mutex<Option<FileIdentity>>,
}

/// The configured GeoIP databases, shared by every worker.
#[derive(Debug)]
pub struct GeoIp {
    databases: Vec<Database>,
}

impl GeoIp {
    /// Opens every database in `paths`; fails on the first that cannot be used.
    pub fn open(paths: &[PathBuf]) -> Result<Self, GeoIpError> {
        let mut databases: Vec<Database> = Vec::with_capacity(paths.len());
        for path in paths {
            let loaded = Loaded::open(path)?;
            if databases.iter().any(|d| d.loaded().kind == loaded.kind) {
                return Err(GeoIpError::Duplicate {
                    path: path.clone(),
                    kind: loaded.kind,
                });
            }
            let label = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            publish_build_time(&label, &loaded);
            databases.push(Database {
                path: path.clone(),
                label,
                current: RwLock::new(Arc::new(loaded)),
                failed: Mutex::new(None),
            });
        }
        Ok(GeoIp { databases })
    }

    /// The databases of `config`'s `geoip:` section and of `extra` (command
    /// line), or `None` when there are none (no enrichment, no cost).
    pub fn open_configured(
        config: &crate::config::GeoIpConfig,
        config_path: Option<&Path>,
        extra: &[PathBuf],
    ) -> Result<Option<Arc<Self>>, GeoIpError> {
        let mut paths = match config_path {
            Some(path) => config.paths(path),
            None => config.databases.clone(),
        };
        paths.extend(extra.iter().cloned());
        if paths.is_empty() {
            return Ok(None);
        }
        GeoIp::open(&paths).map(|g| Some(Arc::new(g)))
    }

    /// Every database in use, with its path.
    pub fn databases(&self) -> impl Iterator<Item = (&Path, Arc<Loaded>)> {
        self.databases
            .iter()
            .map(|d| (d.path.as_path(), d.loaded()))
    }

    /// A worker's view of the databases, applying `rules` to its events.
    pub fn enricher<'r>(&self, rules: &'r [GeoRule]) -> Enricher<'r> {
        let pick = |kinds: &[DatabaseKind]| {
            kinds.iter().find_map(|kind| {
                self.databases
                    .iter()
                    .find(|d| d.loaded().kind == *kind)
                    .map(|d| (d.label.clone(), d.loaded()))
            })
        };
        Enricher::new(
            rules,
            pick(&[DatabaseKind::City, DatabaseKind::Country]),
            pick(&[DatabaseKind::Asn]),
        )
    }

    /// Opens, and swaps in, every database whose file was replaced since it
    /// was opened. Workers started before keep the version they hold; a file
    /// that fails to open leaves the old version in use, and is logged and
    /// counted once per failing version. Returns how many were swapped.
    pub fn reload_changed(&self) -> usize {
        let mut swapped = 0;
        for db in &self.databases {
            let Ok(identity) = FileIdentity::of(&db.path) else {
                // Missing for a moment while an updater renames: next time.
                continue;
            };
            if identity == db.loaded().identity {
                continue;
            }
            let mut failed = crate::lock(&db.failed);
            if *failed == Some(identity) {
                continue;
            }
            match Loaded::open(&db.path) {
                Ok(loaded) if loaded.kind.same_role(db.loaded().kind) => {
                    tracing::info!(database = %db.path.display(), database_type = loaded.database_type(), "GeoIP database reloaded");
                    publish_build_time(&db.label, &loaded);
                    *db.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
                    *failed = None;
                    metrics::GEOIP_RELOADS
                        .with_label_values(&[db.label.as_str(), "ok"])
                        .inc();
                    swapped += 1;
                }
                outcome => {
                    let reason = match outcome {
                        Ok(loaded) => format!(
                            "the new file is a {} database where a {} one was in use",
                            loaded.kind,
                            db.loaded().kind
                        ),
                        Err(e) => e.to_string(),
                    };
                    tracing::warn!(database = %db.path.display(), %reason, "GeoIP database not reloaded; the previous version stays in use");
                    *failed = Some(identity);
                    metrics::GEOIP_RELOADS
                        .with_label_values(&[db.label.as_str(), "failed"])
                        .inc();
                }
            }
        }
        swapped
    }

    /// Calls [`reload_changed`](Self::reload_changed) every `interval` on a
    /// thread of its own, for as long as the databases are in use.
    pub fn watch(self: &Arc<Self>, interval: Duration) {
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("geoip-reload".into())
            .spawn(move || loop {
                std::thread::sleep(interval);
                match weak.upgrade() {
                    Some(geoip) => {
                        geoip.reload_changed();
                    }
                    None => return,
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "GeoIP reload thread not started; databases will not be reloaded");
        }
    }
}

impl Database {
    fn loaded(&self) -> Arc<Loaded> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn publish_build_time(label: &str, loaded: &Loaded) {
    metrics::GEOIP_BUILD_TIME
        .with_label_values(&[label])
        .set(i64::try_from(loaded.reader.metadata().build_epoch).unwrap_or(i64::MAX));
}

#[cfg(test)]
mod tests;
