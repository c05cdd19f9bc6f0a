//! What the ledger knows about one customer, for the explorer's detail pane and draft
//! preview: the campaigns they are in (arm, channel, offer), their drafts with the checker's
//! verdict, and whether an action reached them; and one campaign's members the same way, for
//! the campaign view.

use super::{Arm, Ledger, LedgerError, StoredDraft};
use std::collections::HashMap;

/// One customer's place in one campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub campaign_id: i64,
    pub campaign: String,
    pub follow_up: String,
    pub arm: Arm,
    pub channel: Option<String>,
    pub offer: Option<String>,
    /// Actions delivered to this member (webhook, email).
    pub delivered: i64,
    pub drafts: Vec<StoredDraft>,
}

impl Ledger {
    /// Every campaign `customer_id` is a member of, newest first, with drafts and deliveries.
    pub fn history(&self, customer_id: &str) -> Result<Vec<Membership>, LedgerError> {
        let run = || -> rusqlite::Result<Vec<Membership>> {
            let mut statement = self.connection.prepare(
                "SELECT c.id, c.name, c.follow_up, m.arm, m.channel, m.offer_id,
                        (SELECT COUNT(*) FROM actions a WHERE a.campaign_id = c.id
                           AND a.customer_id = m.customer_id AND a.status = 'delivered')
                 FROM members m JOIN campaigns c ON c.id = m.campaign_id
                 WHERE m.customer_id = ?1 ORDER BY c.id DESC",
            )?;
            let rows = statement.query_map([customer_id], |row| {
                let arm: String = row.get(3)?;
                Ok(Membership {
                    campaign_id: row.get(0)?,
                    campaign: row.get(1)?,
                    follow_up: row.get(2)?,
                    arm: Arm::parse(&arm).unwrap_or(Arm::Control),
                    channel: row.get(4)?,
                    offer: row.get(5)?,
                    delivered: row.get(6)?,
                    drafts: Vec::new(),
                })
            })?;
            let mut memberships: Vec<Membership> = rows.collect::<rusqlite::Result<_>>()?;
            let mut drafts = self.connection.prepare(
                "SELECT channel, subject, body, source, passed, failures FROM drafts
                 WHERE campaign_id = ?1 AND customer_id = ?2 ORDER BY channel",
            )?;
            for membership in &mut memberships {
                let rows = drafts.query_map(
                    rusqlite::params![membership.campaign_id, customer_id],
                    |row| super::campaigns::stored_draft(row, 0),
                )?;
                membership.drafts = rows.collect::<rusqlite::Result<_>>()?;
            }
            Ok(memberships)
        };
        run().map_err(|e| self.sql_error(e))
    }
}

/// One member of a campaign as the explorer's campaign view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub customer_id: String,
    pub arm: Arm,
    pub channel: Option<String>,
    pub offer: Option<String>,
    /// Actions delivered to this member, and delivery attempts made.
    pub delivered: i64,
    pub attempts: i64,
    /// The last failed attempt's reason, when one failed.
    pub last_error: Option<String>,
    /// The drafts' verdict: `None` without drafts, else whether every draft passed the checker.
    pub drafts_passed: Option<bool>,
}

impl RosterRow {
    /// Where the member's delivery stands, in words.
    pub fn delivery(&self) -> String {
        match (self.arm, self.delivered, self.attempts, &self.last_error) {
            (Arm::Control, ..) => "never contacted (control)".into(),
            (_, delivered, _, _) if delivered > 0 => "delivered".into(),
            (_, _, 0, _) => "not sent".into(),
            (_, _, attempts, Some(reason)) => format!(
                "not delivered after {attempts} attempt{}: {reason}",
                if attempts == 1 { "" } else { "s" }
            ),
            (_, _, attempts, None) => format!("not delivered after {attempts} attempt(s)"),
        }
    }

    /// The checker's verdict on the member's drafts, in a word.
    pub fn draft_verdict(&self) -> &'static str {
        match self.drafts_passed {
            None => "–",
            Some(true) => "passed",
            Some(false) => "rejected",
        }
    }
}

impl Ledger {
    /// Every member of `campaign_id` with arm, channel, offer, delivery and draft verdict, in
    /// the ledger's member order (treated first).
    pub fn roster(&self, campaign_id: i64) -> Result<Vec<RosterRow>, LedgerError> {
        let members = self.members(campaign_id)?;
        let deliveries = self.deliveries(campaign_id)?;
        let run = || -> rusqlite::Result<(HashMap<String, String>, HashMap<String, bool>)> {
            let mut errors = HashMap::new();
            let mut statement = self.connection.prepare(
                "SELECT a.customer_id, COALESCE(d.error, 'HTTP ' || d.http_status)
                 FROM delivery_attempts d JOIN actions a ON a.id = d.action_id
                 WHERE a.campaign_id = ?1 AND a.status != 'delivered'
                   AND (d.error IS NOT NULL OR d.http_status NOT BETWEEN 200 AND 299)
                 ORDER BY d.id",
            )?;
            let rows = statement.query_map([campaign_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            for row in rows {
                let (customer, error): (String, String) = row?;
                errors.insert(customer, error);
            }
            let mut verdicts = HashMap::new();
            let mut statement = self.connection.prepare(
                "SELECT customer_id, MIN(passed) FROM drafts WHERE campaign_id = ?1
                 GROUP BY customer_id",
            )?;
            let rows = statement.query_map([campaign_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            for row in rows {
                let (customer, passed): (String, bool) = row?;
                verdicts.insert(customer, passed);
            }
            Ok((errors, verdicts))
        };
        let (mut errors, verdicts) = run().map_err(|e| self.sql_error(e))?;
        let mut rows: Vec<RosterRow> = members
            .into_iter()
            .map(|member| {
                let (delivered, attempts) = deliveries
                    .get(&member.customer_id)
                    .copied()
                    .unwrap_or((0, 0));
                RosterRow {
                    last_error: errors.remove(&member.customer_id),
                    drafts_passed: verdicts.get(&member.customer_id).copied(),
                    customer_id: member.customer_id,
                    arm: member.arm,
                    channel: member.channel,
                    offer: member.offer,
                    delivered,
                    attempts,
                }
            })
            .collect();
        rows.sort_by_key(|row| row.arm != Arm::Treated);
        Ok(rows)
    }
}
