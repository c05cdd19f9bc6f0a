//! The learned recovery table: from measured campaigns, how much acting raised the chance of
//! recovery per planned channel × offer × segment. Each arm's recovery rate in a cell is a
//! Beta–Binomial posterior mean shrunk toward that arm's pooled rate (the prior is worth
//! `prior_strength` members), so a small cell says little until it has members; the learned
//! lift is the difference, and a cell counts for decisions only from `min_treated` treated
//! members on. Intervals are Newcombe's on the raw counts.

use crate::ledger::{Arm, Member};
use revgap_core::engine::learned::{LearnedRecovery, TierLift};
use revgap_core::stats::interval::{self, Interval};
use serde::Serialize;
use std::collections::BTreeMap;

/// How the table is learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Learning {
    /// A member recovered when follow-up weekly spend ≥ this share of pre-campaign spend.
    pub recovered_share: f64,
    /// The prior's weight in members.
    pub prior_strength: f64,
    /// Treated members a cell needs before it influences a decision.
    pub min_treated: usize,
}

/// One channel × offer × segment cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedCell {
    pub channel: String,
    pub offer: String,
    pub segment: String,
    pub n_treated: usize,
    pub recovered_treated: usize,
    pub n_control: usize,
    pub recovered_control: usize,
    /// Shrunk recovery rates per arm, and their difference: the learned incremental lift.
    pub rate_treated: f64,
    pub rate_control: f64,
    pub lift: f64,
    /// Newcombe's interval of the raw difference.
    pub lift_interval: Interval,
    /// Enough treated members to influence decisions.
    pub active: bool,
}

/// The table, with the pooled rates the cells shrink toward.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedTable {
    pub campaigns: usize,
    pub pooled_treated: usize,
    pub pooled_control: usize,
    pub pooled_rate_treated: f64,
    pub pooled_rate_control: f64,
    /// Treated members the pooled figures need before learning is used at all.
    pub min_treated: usize,
    pub cells: Vec<LearnedCell>,
}

impl LearnedTable {
    /// What the engine takes: per value tier, the treated-weighted lift of its active cells,
    /// and the pooled lift for the rest. `None` until the pooled figures have `min_treated`
    /// treated members and a control to compare with: before that, nothing was learned.
    pub fn recovery(&self) -> Option<LearnedRecovery> {
        if self.pooled_treated < self.min_treated || self.pooled_control == 0 {
            return None;
        }
        let mut tiers: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for cell in self.cells.iter().filter(|c| c.active) {
            let entry = tiers.entry(cell.segment.as_str()).or_default();
            entry.0 += cell.lift * cell.n_treated as f64;
            entry.1 += cell.n_treated;
        }
        Some(LearnedRecovery {
            campaigns: self.campaigns,
            pooled_treated: self.pooled_treated,
            pooled_lift: self.pooled_rate_treated - self.pooled_rate_control,
            tiers: tiers
                .into_iter()
                .map(|(tier, (weighted, n_treated))| TierLift {
                    tier: tier.to_string(),
                    lift: weighted / n_treated as f64,
                    n_treated,
                })
                .collect(),
        })
    }
}

/// The learned table from every measured campaign in the ledger (each campaign's latest
/// measurement, longest window).
pub fn from_ledger(
    ledger: &crate::ledger::Ledger,
    learning: Learning,
) -> Result<LearnedTable, crate::ledger::LedgerError> {
    let campaigns: Vec<(Vec<Member>, Vec<f64>)> = super::metrics::measured(ledger)?
        .into_iter()
        .filter_map(|(_, members, latest)| {
            let (_, spend) = super::metrics::longest_window(&members, &latest)?;
            Some((members, spend))
        })
        .collect();
    Ok(learn(&campaigns, learning))
}

/// The learned recovery an analysis uses, from the ledger; `None` until something was
/// learned.
pub fn recovery_from(
    ledger: &crate::ledger::Ledger,
    config: &revgap_core::config::Config,
) -> Result<Option<LearnedRecovery>, crate::ledger::LedgerError> {
    Ok(from_ledger(ledger, Learning::from_config(config))?.recovery())
}

/// The learned recovery from the ledger at `path`; none when there is no path or no ledger
/// there.
pub fn learned_at(
    path: Option<&std::path::Path>,
    config: &revgap_core::config::Config,
) -> Result<Option<std::sync::Arc<LearnedRecovery>>, crate::ledger::LedgerError> {
    let Some(ledger) = path
        .filter(|path| path.is_file())
        .map(crate::ledger::Ledger::open_read_only)
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(recovery_from(&ledger, config)?.map(std::sync::Arc::new))
}

impl Learning {
    pub fn from_config(config: &revgap_core::config::Config) -> Self {
        Self {
            recovered_share: config.outcome.recovered_share,
            prior_strength: config.outcome.prior_strength,
            min_treated: config.outcome.learn_min_treated,
        }
    }
}

/// Learns from each campaign's members and their follow-up weekly spend (same order).
pub fn learn(campaigns: &[(Vec<Member>, Vec<f64>)], learning: Learning) -> LearnedTable {
    #[derive(Default)]
    struct Counts {
        n: [usize; 2],
        recovered: [usize; 2],
    }
    let arm_index = |arm: Arm| usize::from(arm == Arm::Control);
    let mut cells: BTreeMap<(String, String, String), Counts> = BTreeMap::new();
    let mut pooled = Counts::default();
    for (members, spend) in campaigns {
        for (member, y) in members.iter().zip(spend) {
            let recovered = *y > 0.0 && *y >= learning.recovered_share * member.pre_weekly_spend;
            let key = (
                member.planned_channel.clone(),
                member
                    .planned_offer
                    .clone()
                    .unwrap_or_else(|| "none".into()),
                member.segment.clone(),
            );
            let arm = arm_index(member.arm);
            for counts in [cells.entry(key).or_default(), &mut pooled] {
                counts.n[arm] += 1;
                counts.recovered[arm] += usize::from(recovered);
            }
        }
    }
    let rate = |recovered: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            recovered as f64 / n as f64
        }
    };
    let pooled_rate = [
        rate(pooled.recovered[0], pooled.n[0]),
        rate(pooled.recovered[1], pooled.n[1]),
    ];
    let shrunk = |recovered: usize, n: usize, prior: f64| {
        (recovered as f64 + prior * learning.prior_strength)
            / (n as f64 + learning.prior_strength).max(f64::MIN_POSITIVE)
    };
    LearnedTable {
        campaigns: campaigns.len(),
        pooled_treated: pooled.n[0],
        pooled_control: pooled.n[1],
        min_treated: learning.min_treated,
        pooled_rate_treated: pooled_rate[0],
        pooled_rate_control: pooled_rate[1],
        cells: cells
            .into_iter()
            .map(|((channel, offer, segment), counts)| {
                let rate_treated = shrunk(counts.recovered[0], counts.n[0], pooled_rate[0]);
                let rate_control = shrunk(counts.recovered[1], counts.n[1], pooled_rate[1]);
                LearnedCell {
                    channel,
                    offer,
                    segment,
                    n_treated: counts.n[0],
                    recovered_treated: counts.recovered[0],
                    n_control: counts.n[1],
                    recovered_control: counts.recovered[1],
                    rate_treated,
                    rate_control,
                    lift: rate_treated - rate_control,
                    lift_interval: interval::newcombe(
                        counts.recovered[0],
                        counts.n[0],
                        counts.recovered[1],
                        counts.n[1],
                        super::estimate::LEVEL,
                    ),
                    active: counts.n[0] >= learning.min_treated,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A campaign member planned for `channel` and the WINBACK15 offer, value tier "high".
    pub(crate) fn member(i: usize, arm: Arm, channel: &str) -> Member {
        Member {
            customer_id: i.to_string(),
            arm,
            stratum: "s".into(),
            bucket: 0,
            channel: None,
            offer: None,
            address: None,
            pre_weekly_spend: 100.0,
            churn_probability: 0.5,
            gap: 10.0,
            planned_channel: channel.into(),
            planned_offer: Some("WINBACK15".into()),
            segment: "high".into(),
        }
    }

    const LEARNING: Learning = Learning {
        recovered_share: 0.8,
        prior_strength: 20.0,
        min_treated: 30,
    };

    #[test]
    fn cells_shrink_toward_the_pooled_rate_and_activate_at_30_treated() {
        let mut members = Vec::new();
        let mut spend = Vec::new();
        // Email: 100 treated, 80 recovered; 50 control, 20 recovered.
        for i in 0..150 {
            let treated = i < 100;
            members.push(member(
                i,
                if treated { Arm::Treated } else { Arm::Control },
                "email",
            ));
            let recovered = if treated { i < 80 } else { i < 120 };
            spend.push(if recovered { 90.0 } else { 10.0 });
        }
        // SMS: 5 treated, all recovered; 5 control, none.
        for i in 150..160 {
            let treated = i < 155;
            members.push(member(
                i,
                if treated { Arm::Treated } else { Arm::Control },
                "sms",
            ));
            spend.push(if treated { 100.0 } else { 0.0 });
        }
        let table = learn(&[(members, spend)], LEARNING);
        assert_eq!(table.campaigns, 1);
        // Pooled: treated 85 / 105, control 20 / 55.
        assert!((table.pooled_rate_treated - 85.0 / 105.0).abs() < 1e-12);
        let email = &table.cells[0];
        assert_eq!(
            (
                email.channel.as_str(),
                email.n_treated,
                email.recovered_treated
            ),
            ("email", 100, 80)
        );
        let expected = (80.0 + 20.0 * 85.0 / 105.0) / 120.0;
        assert!(
            (email.rate_treated - expected).abs() < 1e-12,
            "{}",
            email.rate_treated
        );
        assert!(email.active && email.lift > 0.3);
        let sms = &table.cells[1];
        // Raw lift 1.0, but five members each: shrunk far toward the pooled difference.
        assert!(!sms.active);
        assert!(
            sms.lift < 0.75 && sms.lift > table.pooled_rate_treated - table.pooled_rate_control
        );
        assert!(sms.lift_interval.ci_low < sms.lift_interval.estimate);
    }

    #[test]
    fn nothing_measured_learns_nothing() {
        let table = learn(&[], LEARNING);
        assert!(table.cells.is_empty());
        assert_eq!(table.pooled_rate_treated, 0.0);
    }
}
