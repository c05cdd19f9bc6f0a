//! Hand-off: getting treated members to the systems that contact them: CSV exports for the
//! sending platforms (`export`), the signed webhook sender (`webhook`) and email straight to
//! customers through an SMTP relay (`smtp`). Senders share the ledger's actions (one per
//! member and route under an idempotency key, every attempt recorded, delivered at most once)
//! and one driver (`deliver`): each action is claimed in the ledger before it is sent, so two
//! senders of one campaign at once deliver each member once; a send has an overall deadline
//! and tells stderr how it is going when it takes longer than two seconds.

mod drive;

pub use drive::{Attempt, SendPolicy, deliver};

pub mod export;
pub mod smtp;
pub mod webhook;

use crate::ledger::{Action, Arm, Ledger, LedgerError, Member, StoredDraft};
use std::collections::HashMap;
use std::time::Duration;

/// A treated member still to send on a route: their passing draft and the action, under its
/// idempotency key (`revgap-c<campaign>-<customer>-<route>`).
pub struct Due<'a> {
    pub member: &'a Member,
    pub draft: &'a StoredDraft,
    pub action: Action,
    pub key: String,
}

/// The members a route still has to send, in order; counts into `outcome` the ones it
/// skips: on another channel (`carries` says no), on the suppression list, without a passing
/// draft, delivered before.
/// Control members are the measurement: they are never due.
pub fn due<'a>(
    ledger: &mut Ledger,
    campaign_id: i64,
    members: &'a [Member],
    drafts: &'a HashMap<String, Vec<StoredDraft>>,
    route: &str,
    carries: impl Fn(&str) -> bool,
    outcome: &mut Outcome,
) -> Result<Vec<Due<'a>>, LedgerError> {
    // Read at every send: a suppression added after the campaign was made still holds.
    let blocked = crate::campaign::suppress::Blocklist::from_ledger(ledger)?;
    let mut due = Vec::new();
    for member in members.iter().filter(|m| m.arm == Arm::Treated) {
        let channel = member.channel.as_deref().unwrap_or("");
        if !carries(channel) {
            outcome.other_channel += 1;
            continue;
        }
        if blocked.blocks_member(&member.customer_id, member.address.as_deref()) {
            outcome.suppressed += 1;
            continue;
        }
        let Some(draft) = drafts
            .get(&member.customer_id)
            .and_then(|list| list.iter().find(|d| d.channel == channel && d.passed))
        else {
            outcome.held_back += 1;
            continue;
        };
        let key = format!("revgap-c{campaign_id}-{}-{route}", member.customer_id);
        let action = ledger.action(campaign_id, &member.customer_id, route, &key)?;
        if action.delivered {
            outcome.delivered_before += 1;
            continue;
        }
        due.push(Due {
            member,
            draft,
            action,
            key,
        });
    }
    Ok(due)
}

/// How a send ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub delivered_now: usize,
    pub delivered_before: usize,
    /// Delivered during this run by another sender of the same campaign.
    pub delivered_elsewhere: usize,
    /// Members still to deliver (a re-run retries them).
    pub pending: usize,
    /// Of the pending, the ones another sender still held when this one ended.
    pub held_elsewhere: usize,
    /// Members without a passing draft: never sent.
    pub held_back: usize,
    /// Treated members on a channel this route does not carry.
    pub other_channel: usize,
    /// Treated members on the suppression list: never sent.
    pub suppressed: usize,
    /// Members whose delivery was refused for good (an SMTP 5xx, a bad address): not retried
    /// in this run.
    pub refused: usize,
    /// The last error of a member left pending or refused, as recorded.
    pub last_error: Option<String>,
    /// Why the send stopped before every member was tried.
    pub stopped: Option<Stop>,
}

/// Why a send stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stop {
    #[error("the deadline of {0} s was reached")]
    Deadline(u64),
    #[error("the endpoint answered 410 Gone: re-run after fixing the endpoint")]
    Gone,
    #[error(
        "the endpoint asked to wait {asked} s (Retry-After), longer than a send waits ({longest} s): re-run later"
    )]
    AskedToWait { asked: u64, longest: u64 },
}

/// Retry policy for one member in one run.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub base: Duration,
    pub max_wait: Duration,
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(250),
            max_wait: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// How long to wait after failed attempt `attempt` (0-based): what the other side asked
    /// for, else exponential backoff with jitter; never above `max_wait`.
    pub fn wait(&self, attempt: u32, asked: Option<Duration>) -> Duration {
        let backoff = self.base.saturating_mul(1 << attempt.min(16));
        // Jitter from the clock's nanoseconds: senders retrying together spread out.
        let nanos = u64::from(chrono::Utc::now().timestamp_subsec_nanos());
        let jitter = Duration::from_millis(nanos % (backoff.as_millis() as u64 / 2 + 1));
        asked.unwrap_or(backoff + jitter).min(self.max_wait)
    }
}
