//! The ledger: one SQLite file that remembers every campaign, its members (treated and
//! control, never deleted), drafts, actions, delivery attempts, suppressions and outcome
//! snapshots. It owns the schema and its migrations (keyed on `PRAGMA user_version`; a file
//! from a newer revgap is refused, never altered), the connection settings (WAL, so the
//! explorer reads while a command writes; a busy timeout), and typed rows. Every multi-row
//! change is one transaction.

mod actions;
mod campaigns;
mod history;
mod schema;
mod suppressions;
mod usage;

pub use usage::UsageTotals;

pub use campaigns::Overlap;
pub use history::{Membership, RosterRow};
pub use suppressions::Suppression;

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What can go wrong with the ledger, each one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: cannot open the ledger: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "{path}: the ledger is at schema version {found}, newer than this revgap's {supported}; use a newer revgap (the file was not changed)"
    )]
    Newer {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{path}: the ledger is locked by another revgap process (waited {waited_ms} ms)")]
    Locked { path: String, waited_ms: u64 },
    #[error("{path}: {source}")]
    Sql {
        path: String,
        source: rusqlite::Error,
    },
    #[error("campaign {0} is not in the ledger")]
    NoCampaign(i64),
    #[error("no ledger at {path}")]
    Missing { path: String },
    #[error("{path}: the ledger is read-only ({why}); nothing was changed")]
    ReadOnly { path: String, why: String },
    #[error(
        "{path}: the ledger is at schema version {found}, older than this revgap's {supported}, and cannot be upgraded ({why}); run a command that writes it once"
    )]
    Older {
        path: String,
        found: i64,
        supported: i64,
        why: String,
    },
}

/// How long a write waits for another writer before giving up.
const BUSY_TIMEOUT_MS: u64 = 5_000;

/// An open ledger.
pub struct Ledger {
    connection: Connection,
    path: String,
}

/// One campaign as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Campaign {
    pub campaign_id: i64,
    pub name: String,
    pub created_at: String,
    pub status: String,
    pub salt: String,
    /// Control share in basis points (1,000 = 10 %).
    pub control_bp: i64,
    pub follow_up: String,
    /// The data and analysis the campaign came from (source, as-of date, churn model,
    /// baseline), as JSON text.
    pub analysis: String,
    pub treated: i64,
    pub control: i64,
    /// The last day (YYYY-MM-DD) of its measurement window: until then its members are kept
    /// out of other campaigns.
    pub window_ends: String,
}

/// One member as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Member {
    pub customer_id: String,
    pub arm: Arm,
    pub stratum: String,
    pub bucket: i64,
    pub channel: Option<String>,
    pub offer: Option<String>,
    /// The email address or phone number of the channel (treated members only).
    pub address: Option<String>,
    /// Average weekly spend before the campaign (for balance and, later, CUPED).
    pub pre_weekly_spend: f64,
    pub churn_probability: f64,
    pub gap: f64,
    /// The channel and offer the member would get if treated, settled before randomization
    /// (kept for both arms, so outcomes compare like with like within a channel or offer).
    pub planned_channel: String,
    pub planned_offer: Option<String>,
    /// The member's value tier when the campaign was made ("" when unknown).
    pub segment: String,
}

/// One measurement of a campaign's outcome (`campaign measure`).
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub campaign_id: i64,
    pub taken_at: String,
    /// The follow-up data it was read from.
    pub source: String,
    pub follow_up_start: String,
    /// Member ids, in the order of each window's values.
    pub customers: Vec<String>,
    /// (window in days, mean weekly spend per member).
    pub windows: Vec<(i64, Vec<f64>)>,
}

/// One action (a send to one member on one route), by its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub id: i64,
    pub delivered: bool,
}

/// What a sender's claim on an action found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This sender holds it now.
    Mine,
    /// Delivered already (by this or another sender).
    Delivered,
    /// Another sender holds it until `until_ms` (Unix milliseconds).
    Held { by: String, until_ms: i64 },
}

/// Which arm a member is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    Treated,
    Control,
}

impl Arm {
    pub fn key(self) -> &'static str {
        match self {
            Self::Treated => "treated",
            Self::Control => "control",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "treated" => Some(Self::Treated),
            "control" => Some(Self::Control),
            _ => None,
        }
    }
}

/// A campaign to store, with its members and the customers left out (by reason).
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub salt: &'a str,
    pub control_bp: i64,
    pub created_at: String,
    pub follow_up: String,
    pub analysis: String,
    /// The last day of its measurement window (YYYY-MM-DD).
    pub window_ends: String,
    pub members: &'a [Member],
    pub excluded: &'a [(String, i64)],
    /// (customer id, draft) of treated members.
    pub drafts: &'a [(String, StoredDraft)],
    /// (customer id, draft) the checker rejected on the way, with their reasons.
    pub rejected: &'a [(String, StoredDraft)],
}

/// A draft as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredDraft {
    pub channel: String,
    pub subject: Option<String>,
    pub text: String,
    pub source: String,
    pub passed: bool,
    pub failures: Vec<String>,
}

impl Campaign {
    /// The outreach settings the campaign was made with (the defaults for a campaign that did
    /// not record them).
    pub fn outreach(&self) -> revgap_core::config::OutreachSettings {
        self.analysis_value("outreach")
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default()
    }

    /// Whether the campaign has a control group to be measured against (`--no-control` makes
    /// one that has not).
    pub fn measurable(&self) -> bool {
        self.control_bp > 0
            && self
                .analysis_value("measurable")
                .and_then(|v| v.as_bool())
                .unwrap_or(true)
    }

    /// The last day of the data the campaign was made from.
    pub fn as_of(&self) -> Option<chrono::NaiveDate> {
        self.analysis_value("as_of")?.as_str()?.parse().ok()
    }

    fn analysis_value(&self, key: &str) -> Option<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(&self.analysis)
            .ok()?
            .get(key)
            .cloned()
    }
}

/// The ledger's default place: `revgap/ledger.sqlite` in the platform's data directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "revgap")
        .map(|dirs| dirs.data_dir().join("ledger.sqlite"))
}

/// Connections without URI names: a ledger path is a file name, whatever it looks like.
fn flags(write: bool) -> rusqlite::OpenFlags {
    use rusqlite::OpenFlags;
    let access = if write {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    };
    access | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

/// Why a command may not write the ledger at `path`, judged by the permission bits (root
/// would write through them, and a file its owner made read-only is meant to stay so).
fn read_only_reason(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).ok().map(|m| m.permissions().mode());
        if let Some(file) = mode(path)
            && file & 0o222 == 0
        {
            return Some(format!("mode {:04o}", file & 0o7777));
        }
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // SQLite makes its -wal and -shm files in the ledger's directory.
        if let Some(dir) = mode(directory)
            && dir & 0o222 == 0
        {
            return Some(format!(
                "its directory {} has mode {:04o}",
                directory.display(),
                dir & 0o7777
            ));
        }
        None
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.permissions().readonly())
            .map(|_| "a read-only file".to_string())
    }
}

impl Ledger {
    /// Opens the ledger at `path` for a command that only reads it: never created, never
    /// changed (opened read-only: no journal mode switch, no mode change). A ledger from an
    /// older revgap is upgraded first when it may be written.
    pub fn open_read_only(path: &Path) -> Result<Self, LedgerError> {
        revgap_core::atomic::protect_database(path, "the ledger");
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(LedgerError::Missing { path: shown });
        }
        let found = Self::version_of(path)?;
        let supported = schema::MIGRATIONS.len() as i64;
        if found < supported {
            if let Some(why) = read_only_reason(path) {
                return Err(LedgerError::Older {
                    path: shown,
                    found,
                    supported,
                    why,
                });
            }
            drop(Self::open(path)?);
        }
        let connection = Connection::open_with_flags(path, flags(false)).map_err(|source| {
            LedgerError::Open {
                path: shown.clone(),
                source,
            }
        })?;
        let ledger = Self {
            connection,
            path: shown,
        };
        ledger
            .connection
            .busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(|e| ledger.sql_error(e))?;
        Ok(ledger)
    }

    /// An empty ledger in memory: what a reader sees where no ledger has been made yet.
    pub fn empty() -> Result<Self, LedgerError> {
        let path = "(no ledger yet)".to_string();
        let connection = Connection::open_in_memory().map_err(|source| LedgerError::Open {
            path: path.clone(),
            source,
        })?;
        let mut ledger = Self { connection, path };
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens the ledger at `path` only when it exists, for a writer that must not leave an
    /// empty one behind (the model's usage count).
    pub fn open_existing(path: &Path) -> Result<Option<Self>, LedgerError> {
        if !path.is_file() {
            return Ok(None);
        }
        Self::open(path).map(Some)
    }

    /// The schema version of the file at `path`, read without changing anything; a newer
    /// one than this revgap's is refused.
    fn version_of(path: &Path) -> Result<i64, LedgerError> {
        let shown = path.display().to_string();
        let connection = Connection::open_with_flags(path, flags(false)).map_err(|source| {
            LedgerError::Open {
                path: shown.clone(),
                source,
            }
        })?;
        let found: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|source| LedgerError::Sql {
                path: shown.clone(),
                source,
            })?;
        let supported = schema::MIGRATIONS.len() as i64;
        if found > supported {
            return Err(LedgerError::Newer {
                path: shown,
                found,
                supported,
            });
        }
        Ok(found)
    }

    /// Opens (creating when missing) and migrates the ledger at `path`, for a command that
    /// writes it. A read-only ledger (its mode, or its directory's) and one from a newer
    /// revgap are refused before anything is changed; only a ledger made here is given the
    /// owner-only mode.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        revgap_core::atomic::protect_database(path, "the ledger");
        let shown = path.display().to_string();
        let existed = path.exists();
        if existed {
            if let Some(why) = read_only_reason(path) {
                return Err(LedgerError::ReadOnly { path: shown, why });
            }
            Self::version_of(path)?;
        } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            revgap_core::atomic::private_dir(parent).map_err(|e| LedgerError::Open {
                path: shown.clone(),
                source: rusqlite::Error::InvalidPath(PathBuf::from(format!("{e}"))),
            })?;
            if let Some(why) = read_only_reason(path) {
                return Err(LedgerError::ReadOnly { path: shown, why });
            }
        }
        let connection =
            Connection::open_with_flags(path, flags(true)).map_err(|source| LedgerError::Open {
                path: shown.clone(),
                source,
            })?;
        // Contact addresses live here: owner-only, like the cache (SQLite gives its -wal and
        // -shm files the main file's mode). A file that was there keeps the mode its owner
        // gave it.
        #[cfg(unix)]
        if !existed && std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let mut ledger = Self {
            connection,
            path: shown,
        };
        ledger.configure()?;
        ledger.migrate()?;
        Ok(ledger)
    }

    fn sql_error(&self, source: rusqlite::Error) -> LedgerError {
        let busy = matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if busy {
            LedgerError::Locked {
                path: self.path.clone(),
                waited_ms: BUSY_TIMEOUT_MS,
            }
        } else {
            LedgerError::Sql {
                path: self.path.clone(),
                source,
            }
        }
    }

    fn configure(&mut self) -> Result<(), LedgerError> {
        let result = self
            .connection
            .busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .and_then(|()| {
                self.connection
                    .pragma_update(None, "journal_mode", "WAL")
                    .and_then(|()| self.connection.pragma_update(None, "foreign_keys", "ON"))
                    .and_then(|()| self.connection.pragma_update(None, "synchronous", "FULL"))
            });
        result.map_err(|e| self.sql_error(e))
    }

    /// Brings the schema to this revgap's version, one transaction per step; refuses (and
    /// leaves alone) a file from a newer revgap.
    fn migrate(&mut self) -> Result<(), LedgerError> {
        let found: i64 = self
            .connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.sql_error(e))?;
        let supported = schema::MIGRATIONS.len() as i64;
        if found > supported {
            return Err(LedgerError::Newer {
                path: self.path.clone(),
                found,
                supported,
            });
        }
        if found == supported {
            return Ok(());
        }
        // A step may rebuild a table others refer to (SQLite's way to change a CHECK): foreign
        // keys are off while steps run (the pragma is ignored inside a transaction) and the
        // references are checked before they are turned back on.
        self.connection
            .pragma_update(None, "foreign_keys", "OFF")
            .map_err(|e| self.sql_error(e))?;
        for (index, step) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = index as i64 + 1;
            self.in_transaction(|transaction| {
                transaction.execute_batch(step)?;
                let broken: i64 = transaction.query_row(
                    "SELECT COUNT(*) FROM pragma_foreign_key_check",
                    [],
                    |row| row.get(0),
                )?;
                if broken > 0 {
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                        Some(format!("migration {version} broke {broken} reference(s)")),
                    ));
                }
                transaction.pragma_update(None, "user_version", version)
            })?;
        }
        self.connection
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| self.sql_error(e))
    }

    /// Runs `change` in one transaction: committed when it succeeds, rolled back when it
    /// fails (and by SQLite after a kill), so a multi-row change lands whole or not at all.
    fn in_transaction<T>(
        &mut self,
        change: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        let path = self.path.clone();
        let wrap = |source: rusqlite::Error| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(&wrap)?;
        let value = change(&transaction).map_err(&wrap)?;
        transaction.commit().map_err(&wrap)?;
        Ok(value)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, LedgerError> {
        self.connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.sql_error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, arm: Arm) -> Member {
        Member {
            customer_id: id.into(),
            arm,
            stratum: "risk1-gap0".into(),
            bucket: 7,
            channel: (arm == Arm::Treated).then(|| "email".to_string()),
            offer: None,
            address: None,
            pre_weekly_spend: 10.0,
            churn_probability: 0.2,
            gap: 5.0,
            planned_channel: "email".into(),
            planned_offer: Some("WINBACK15".into()),
            segment: String::new(),
        }
    }

    fn campaign<'a>(name: &'a str, members: &'a [Member]) -> NewCampaign<'a> {
        NewCampaign {
            name,
            salt: "s",
            control_bp: 1_000,
            created_at: "2026-11-25T00:00:00Z".into(),
            follow_up: "2026-12-09".into(),
            analysis: "{}".into(),
            window_ends: "2027-01-20".into(),
            members,
            excluded: &[],
            drafts: &[],
            rejected: &[],
        }
    }

    #[test]
    fn a_failed_campaign_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        // The second member repeats the first: the insert fails half-way.
        let members = [member("a", Arm::Treated), member("a", Arm::Control)];
        assert!(
            ledger
                .create_campaign(&campaign("broken", &members))
                .is_err()
        );
        assert!(ledger.campaigns().unwrap().is_empty());
        let members = [member("a", Arm::Treated), member("b", Arm::Control)];
        let id = ledger.create_campaign(&campaign("fine", &members)).unwrap();
        assert_eq!(ledger.members(id).unwrap().len(), 2);
    }

    #[test]
    fn members_are_never_deleted_and_arms_never_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let members = [member("a", Arm::Treated), member("b", Arm::Control)];
        let id = ledger.create_campaign(&campaign("kept", &members)).unwrap();
        let deleted = ledger
            .connection
            .execute("DELETE FROM members WHERE customer_id = 'b'", []);
        assert!(deleted.unwrap_err().to_string().contains("never deleted"));
        let moved = ledger.connection.execute(
            "UPDATE members SET arm = 'treated' WHERE customer_id = 'b'",
            [],
        );
        assert!(
            moved
                .unwrap_err()
                .to_string()
                .contains("fixed at assignment")
        );
        assert_eq!(ledger.members(id).unwrap()[1].arm, Arm::Control);
    }

    #[test]
    fn a_ledger_from_a_newer_revgap_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        drop(Ledger::open(&path).unwrap());
        {
            let connection = Connection::open(&path).unwrap();
            connection.pragma_update(None, "user_version", 99).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let error = Ledger::open(&path).err().unwrap().to_string();
        assert!(
            error.contains(&format!(
                "schema version 99, newer than this revgap's {}",
                schema::MIGRATIONS.len()
            )),
            "{error}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[cfg(unix)]
    #[test]
    fn the_ledger_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        drop(Ledger::open(&path).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[test]
    fn a_reader_is_not_blocked_while_a_command_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        let mut writer = Ledger::open(&path).unwrap();
        let members = [member("a", Arm::Treated), member("b", Arm::Control)];
        writer
            .create_campaign(&campaign("first", &members))
            .unwrap();
        // A command holds a write transaction open (as `campaign create` does while it stores).
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        holder
            .execute(
                "INSERT INTO suppressions (customer_id, channel, reason, added_at)
                 VALUES ('a', 'any', 'test', 't')",
                [],
            )
            .unwrap();
        // The explorer's reads go through (WAL: a blocked read would fail after the busy
        // timeout) and see the committed state.
        let reader = Ledger::open(&path).unwrap();
        assert_eq!(reader.campaigns().unwrap().len(), 1);
        assert!(
            reader.suppressed().unwrap().is_empty(),
            "uncommitted rows are not seen"
        );
        holder.execute_batch("COMMIT").unwrap();
        assert_eq!(reader.suppressed().unwrap().len(), 1);
    }

    #[test]
    fn opening_twice_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        let latest = schema::MIGRATIONS.len() as i64;
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.schema_version().unwrap(), latest);
        drop(ledger);
        assert_eq!(
            Ledger::open(&path).unwrap().schema_version().unwrap(),
            latest
        );
    }

    #[test]
    fn a_version_1_ledger_is_migrated_and_keeps_its_campaigns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.sqlite");
        {
            let connection = Connection::open(&path).unwrap();
            connection.execute_batch(schema::MIGRATIONS[0]).unwrap();
            connection.pragma_update(None, "user_version", 1).unwrap();
            connection
                .execute(
                    "INSERT INTO campaigns (name, created_at, status, salt, control_bp, follow_up,
                     analysis) VALUES ('old', 't', 'created', 's', 1000, 'f', '{}')",
                    [],
                )
                .unwrap();
        }
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(
            ledger.schema_version().unwrap(),
            schema::MIGRATIONS.len() as i64
        );
        assert_eq!(ledger.campaigns().unwrap()[0].name, "old");
        assert!(ledger.rejected_drafts(1).unwrap().is_empty());
    }
}
