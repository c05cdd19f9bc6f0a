//! The ledger: one SQLite file that remembers every campaign, its members (treated and
//! control, never deleted), drafts, actions, delivery attempts, suppressions and outcome
//! snapshots. It owns the schema and its migrations (keyed on `PRAGMA user_version`; a file
//! from a newer revgap is refused, never altered), the connection settings (WAL, so the
//! explorer reads while a command writes; a busy timeout), and typed rows. Every multi-row
//! change is one transaction.

mod actions;
mod history;
mod schema;

pub use history::Membership;

use rusqlite::{Connection, OptionalExtension, params};
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
    pub fn outreach(&self) -> crate::config::OutreachSettings {
        self.analysis_value("outreach")
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default()
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

/// A draft from the columns channel, subject, body, source, passed, failures starting at
/// column `first`.
fn stored_draft(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<StoredDraft> {
    let failures: String = row.get(first + 5)?;
    Ok(StoredDraft {
        channel: row.get(first)?,
        subject: row.get(first + 1)?,
        text: row.get(first + 2)?,
        source: row.get(first + 3)?,
        passed: row.get(first + 4)?,
        failures: serde_json::from_str(&failures).unwrap_or_default(),
    })
}

/// The ledger's default place: `revgap/ledger.sqlite` in the platform's data directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "revgap")
        .map(|dirs| dirs.data_dir().join("ledger.sqlite"))
}

impl Ledger {
    /// Opens (creating when missing) and migrates the ledger at `path`.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let shown = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::atomic::private_dir(parent).map_err(|e| LedgerError::Open {
                path: shown.clone(),
                source: rusqlite::Error::InvalidPath(PathBuf::from(format!("{e}"))),
            })?;
        }
        let connection = Connection::open(path).map_err(|source| LedgerError::Open {
            path: shown.clone(),
            source,
        })?;
        // Contact addresses live here: owner-only, like the cache (SQLite gives its -wal and
        // -shm files the main file's mode).
        #[cfg(unix)]
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
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
        for (index, step) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = index as i64 + 1;
            let transaction = self
                .connection
                .transaction()
                .map_err(|e| LedgerError::Sql {
                    path: self.path.clone(),
                    source: e,
                })?;
            transaction
                .execute_batch(step)
                .and_then(|()| transaction.pragma_update(None, "user_version", version))
                .and_then(|()| transaction.commit())
                .map_err(|e| LedgerError::Sql {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, LedgerError> {
        self.connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.sql_error(e))
    }

    /// Stores a campaign with all its members and exclusions in one transaction; returns its
    /// id. A kill at any moment leaves either the whole campaign or none of it.
    pub fn create_campaign(&mut self, new: &NewCampaign<'_>) -> Result<i64, LedgerError> {
        let path = self.path.clone();
        let wrap = |source: rusqlite::Error| LedgerError::Sql {
            path: path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(&wrap)?;
        transaction
            .execute(
                "INSERT INTO campaigns (name, created_at, status, salt, control_bp, follow_up, analysis)
                 VALUES (?1, ?2, 'created', ?3, ?4, ?5, ?6)",
                params![
                    new.name,
                    new.created_at,
                    new.salt,
                    new.control_bp,
                    new.follow_up,
                    new.analysis
                ],
            )
            .map_err(&wrap)?;
        let campaign_id = transaction.last_insert_rowid();
        {
            let mut insert = transaction
                .prepare(
                    "INSERT INTO members (campaign_id, customer_id, arm, stratum, bucket, channel,
                     offer_id, address, pre_weekly_spend, churn_probability, gap,
                     planned_channel, planned_offer, segment)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(&wrap)?;
            for member in new.members {
                insert
                    .execute(params![
                        campaign_id,
                        member.customer_id,
                        member.arm.key(),
                        member.stratum,
                        member.bucket,
                        member.channel,
                        member.offer,
                        member.address,
                        member.pre_weekly_spend,
                        member.churn_probability,
                        member.gap,
                        member.planned_channel,
                        member.planned_offer,
                        member.segment
                    ])
                    .map_err(&wrap)?;
            }
            let mut exclude = transaction
                .prepare(
                    "INSERT INTO exclusions (campaign_id, reason, customers) VALUES (?1, ?2, ?3)",
                )
                .map_err(&wrap)?;
            for (reason, customers) in new.excluded {
                exclude
                    .execute(params![campaign_id, reason, customers])
                    .map_err(&wrap)?;
            }
            for (table, drafts) in [("drafts", new.drafts), ("draft_rejections", new.rejected)] {
                let mut draft = transaction
                    .prepare(&format!(
                        "INSERT INTO {table} (campaign_id, customer_id, channel, subject, body,
                         source, passed, failures, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                    ))
                    .map_err(&wrap)?;
                for (customer_id, stored) in drafts {
                    draft
                        .execute(params![
                            campaign_id,
                            customer_id,
                            stored.channel,
                            stored.subject,
                            stored.text,
                            stored.source,
                            stored.passed,
                            serde_json::to_string(&stored.failures).unwrap_or_default(),
                            new.created_at
                        ])
                        .map_err(&wrap)?;
                }
            }
        }
        transaction.commit().map_err(&wrap)?;
        Ok(campaign_id)
    }

    /// Every campaign, newest first, with its arm sizes.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, LedgerError> {
        self.query_campaigns("", [])
    }

    /// One campaign.
    pub fn campaign(&self, campaign_id: i64) -> Result<Campaign, LedgerError> {
        self.query_campaigns("WHERE c.id = ?1", [campaign_id])?
            .pop()
            .ok_or(LedgerError::NoCampaign(campaign_id))
    }

    fn query_campaigns<P: rusqlite::Params>(
        &self,
        filter: &str,
        parameters: P,
    ) -> Result<Vec<Campaign>, LedgerError> {
        let sql = format!(
            "SELECT c.id, c.name, c.created_at, c.status, c.salt, c.control_bp, c.follow_up, c.analysis,
                    (SELECT COUNT(*) FROM members m WHERE m.campaign_id = c.id AND m.arm = 'treated'),
                    (SELECT COUNT(*) FROM members m WHERE m.campaign_id = c.id AND m.arm = 'control')
             FROM campaigns c {filter} ORDER BY c.id DESC"
        );
        let run = || -> rusqlite::Result<Vec<Campaign>> {
            let mut statement = self.connection.prepare(&sql)?;
            let rows = statement.query_map(parameters, |row| {
                Ok(Campaign {
                    campaign_id: row.get(0)?,
                    name: row.get(1)?,
                    created_at: row.get(2)?,
                    status: row.get(3)?,
                    salt: row.get(4)?,
                    control_bp: row.get(5)?,
                    follow_up: row.get(6)?,
                    analysis: row.get(7)?,
                    treated: row.get(8)?,
                    control: row.get(9)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// A campaign's members in customer order of assignment (bucket, then id).
    pub fn members(&self, campaign_id: i64) -> Result<Vec<Member>, LedgerError> {
        self.campaign(campaign_id)?;
        let run = || -> rusqlite::Result<Vec<Member>> {
            let mut statement = self.connection.prepare(
                "SELECT customer_id, arm, stratum, bucket, channel, offer_id, address,
                        pre_weekly_spend, churn_probability, gap, planned_channel, planned_offer,
                        segment
                 FROM members WHERE campaign_id = ?1 ORDER BY stratum, bucket, customer_id",
            )?;
            let rows = statement.query_map([campaign_id], |row| {
                let arm: String = row.get(1)?;
                Ok(Member {
                    customer_id: row.get(0)?,
                    arm: Arm::parse(&arm).unwrap_or(Arm::Control),
                    stratum: row.get(2)?,
                    bucket: row.get(3)?,
                    channel: row.get(4)?,
                    offer: row.get(5)?,
                    address: row.get(6)?,
                    pre_weekly_spend: row.get(7)?,
                    churn_probability: row.get(8)?,
                    gap: row.get(9)?,
                    planned_channel: row.get(10)?,
                    planned_offer: row.get(11)?,
                    segment: row.get(12)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// A campaign's drafts by customer id.
    pub fn drafts(
        &self,
        campaign_id: i64,
    ) -> Result<std::collections::HashMap<String, Vec<StoredDraft>>, LedgerError> {
        self.drafts_in("drafts", campaign_id)
    }

    /// A campaign's rejected drafts by customer (a model's tries that failed the checker).
    pub fn rejected_drafts(
        &self,
        campaign_id: i64,
    ) -> Result<std::collections::HashMap<String, Vec<StoredDraft>>, LedgerError> {
        self.drafts_in("draft_rejections", campaign_id)
    }

    fn drafts_in(
        &self,
        table: &str,
        campaign_id: i64,
    ) -> Result<std::collections::HashMap<String, Vec<StoredDraft>>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<(String, StoredDraft)>> {
            let mut statement = self.connection.prepare(&format!(
                "SELECT customer_id, channel, subject, body, source, passed, failures
                 FROM {table} WHERE campaign_id = ?1 ORDER BY customer_id, channel, id"
            ))?;
            let rows = statement.query_map([campaign_id], |row| {
                Ok((row.get(0)?, stored_draft(row, 1)?))
            })?;
            rows.collect()
        };
        let mut by_customer: std::collections::HashMap<String, Vec<StoredDraft>> =
            Default::default();
        for (customer, draft) in run().map_err(|e| self.sql_error(e))? {
            by_customer.entry(customer).or_default().push(draft);
        }
        Ok(by_customer)
    }

    /// A campaign's exclusions: (reason, customers).
    pub fn exclusions(&self, campaign_id: i64) -> Result<Vec<(String, i64)>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<(String, i64)>> {
            let mut statement = self.connection.prepare(
                "SELECT reason, customers FROM exclusions WHERE campaign_id = ?1 ORDER BY reason",
            )?;
            let rows = statement.query_map([campaign_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// Customers who opted out (any channel, or the one named).
    pub fn suppressed(&self) -> Result<std::collections::HashSet<(String, String)>, LedgerError> {
        let run = || -> rusqlite::Result<std::collections::HashSet<(String, String)>> {
            let mut statement = self
                .connection
                .prepare("SELECT customer_id, channel FROM suppressions")?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        run().map_err(|e| self.sql_error(e))
    }

    /// Records an opt-out (`channel` "any" for every channel); idempotent.
    pub fn suppress(
        &mut self,
        customer_id: &str,
        channel: &str,
        reason: &str,
        at: &str,
    ) -> Result<(), LedgerError> {
        self.connection
            .execute(
                "INSERT OR IGNORE INTO suppressions (customer_id, channel, reason, added_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![customer_id, channel, reason, at],
            )
            .map(|_| ())
            .map_err(|e| self.sql_error(e))
    }

    /// Whether a campaign with this name exists (names are the analyst's handle).
    pub fn campaign_named(&self, name: &str) -> Result<Option<i64>, LedgerError> {
        self.connection
            .query_row("SELECT id FROM campaigns WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()
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
