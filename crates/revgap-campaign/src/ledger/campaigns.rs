//! Campaigns in the ledger: storing one (members, exclusions, drafts, rejected drafts) in one
//! transaction, and reading campaigns, members, drafts, exclusions and suppressions back.

use super::{Arm, Campaign, Ledger, LedgerError, Member, NewCampaign, StoredDraft};
use rusqlite::{OptionalExtension, params};

/// A draft from the columns channel, subject, body, source, passed, failures starting at
/// column `first`.
pub(super) fn stored_draft(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<StoredDraft> {
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

/// The measurement window's end of a campaign made before windows were recorded: its
/// creation day plus the longest default follow-up window.
fn legacy_window_end(created_at: &str) -> String {
    let weeks = revgap_core::config::OutcomeSettings::default()
        .windows
        .into_iter()
        .max()
        .unwrap_or(0) as u64;
    let created = chrono::DateTime::parse_from_rfc3339(created_at)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    (created + chrono::Days::new(7 * weeks)).to_string()
}

/// Another campaign that shares customers with one, while both windows are open.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Overlap {
    pub campaign_id: i64,
    pub name: String,
    pub shared_members: i64,
}

impl Ledger {
    /// Customers (either arm) of campaigns whose measurement window is still open on `day`
    /// (YYYY-MM-DD): a new campaign leaves them out unless overlap is allowed.
    pub fn busy_customers(
        &self,
        day: &str,
    ) -> Result<std::collections::HashMap<String, i64>, LedgerError> {
        let mut busy = std::collections::HashMap::new();
        for campaign in self.campaigns()? {
            if campaign.window_ends.as_str() < day {
                continue;
            }
            for member in self.members(campaign.campaign_id)? {
                busy.entry(member.customer_id)
                    .or_insert(campaign.campaign_id);
            }
        }
        Ok(busy)
    }

    /// The campaigns that share members with `campaign_id` while their measurement windows
    /// overlap (either one made later or earlier), most shared first.
    pub fn overlaps(&self, campaign_id: i64) -> Result<Vec<Overlap>, LedgerError> {
        let this = self.campaign(campaign_id)?;
        let day = |stamp: &str| stamp.get(..10).unwrap_or(stamp).to_string();
        let (start, end) = (day(&this.created_at), this.window_ends.clone());
        let mut found = Vec::new();
        for other in self.campaigns()? {
            if other.campaign_id == campaign_id
                || day(&other.created_at) > end
                || other.window_ends < start
            {
                continue;
            }
            let shared: i64 = self
                .connection
                .query_row(
                    "SELECT COUNT(*) FROM members a JOIN members b
                       ON a.customer_id = b.customer_id
                     WHERE a.campaign_id = ?1 AND b.campaign_id = ?2",
                    params![campaign_id, other.campaign_id],
                    |row| row.get(0),
                )
                .map_err(|e| self.sql_error(e))?;
            if shared > 0 {
                found.push(Overlap {
                    campaign_id: other.campaign_id,
                    name: other.name,
                    shared_members: shared,
                });
            }
        }
        found.sort_by_key(|overlap| std::cmp::Reverse(overlap.shared_members));
        Ok(found)
    }

    /// Stores a campaign with all its members and exclusions in one transaction; returns its
    /// id. A kill at any moment leaves either the whole campaign or none of it.
    pub fn create_campaign(&mut self, new: &NewCampaign<'_>) -> Result<i64, LedgerError> {
        self.in_transaction(|transaction| {
            transaction.execute(
                "INSERT INTO campaigns (name, created_at, status, salt, control_bp, follow_up,
                     analysis, window_ends) VALUES (?1, ?2, 'created', ?3, ?4, ?5, ?6, ?7)",
                params![
                    new.name,
                    new.created_at,
                    new.salt,
                    new.control_bp,
                    new.follow_up,
                    new.analysis,
                    new.window_ends
                ],
            )?;
            let campaign_id = transaction.last_insert_rowid();
            {
                let mut insert = transaction.prepare(
                    "INSERT INTO members (campaign_id, customer_id, arm, stratum, bucket, channel,
                         offer_id, address, pre_weekly_spend, churn_probability, gap,
                         planned_channel, planned_offer, segment)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )?;
                for member in new.members {
                    insert.execute(params![
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
                    ])?;
                }
                let mut exclude = transaction.prepare(
                    "INSERT INTO exclusions (campaign_id, reason, customers) VALUES (?1, ?2, ?3)",
                )?;
                for (reason, customers) in new.excluded {
                    exclude.execute(params![campaign_id, reason, customers])?;
                }
                for (table, drafts) in [("drafts", new.drafts), ("draft_rejections", new.rejected)]
                {
                    let mut draft = transaction.prepare(&format!(
                        "INSERT INTO {table} (campaign_id, customer_id, channel, subject, body,
                             source, passed, failures, created_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                    ))?;
                    for (customer_id, stored) in drafts {
                        draft.execute(params![
                            campaign_id,
                            customer_id,
                            stored.channel,
                            stored.subject,
                            stored.text,
                            stored.source,
                            stored.passed,
                            serde_json::to_string(&stored.failures).unwrap_or_default(),
                            new.created_at
                        ])?;
                    }
                }
            }
            Ok(campaign_id)
        })
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
                    (SELECT COUNT(*) FROM members m WHERE m.campaign_id = c.id AND m.arm = 'control'),
                    c.window_ends
             FROM campaigns c {filter} ORDER BY c.id DESC"
        );
        let run = || -> rusqlite::Result<Vec<Campaign>> {
            let mut statement = self.connection.prepare(&sql)?;
            let rows = statement.query_map(parameters, |row| {
                let created_at: String = row.get(2)?;
                let window_ends = row
                    .get::<_, Option<String>>(10)?
                    .unwrap_or_else(|| legacy_window_end(&created_at));
                Ok(Campaign {
                    campaign_id: row.get(0)?,
                    name: row.get(1)?,
                    created_at,
                    status: row.get(3)?,
                    salt: row.get(4)?,
                    control_bp: row.get(5)?,
                    follow_up: row.get(6)?,
                    analysis: row.get(7)?,
                    treated: row.get(8)?,
                    control: row.get(9)?,
                    window_ends,
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
