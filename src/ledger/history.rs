//! What the ledger knows about one customer, for the explorer's detail pane and draft
//! preview: the campaigns they are in (arm, channel, offer), their drafts with the checker's
//! verdict, and whether an action reached them.

use super::{Arm, Ledger, LedgerError, StoredDraft};

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
