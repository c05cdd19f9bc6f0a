//! The success metrics the original named and never measured, across every measured
//! campaign: per campaign (its latest measurement, longest window) the headline incremental
//! revenue with its interval and verdict, then pooled: revenue recovered (the sum of the
//! campaigns' weekly incremental totals, intervals combined as independent), the action
//! success rate (treated members recovered, Wilson), the retention effect (control minus
//! treated no-purchase rate, Newcombe) and time to action.

use super::estimate::{self, Context, WindowEstimate};
use crate::ledger::{Arm, Campaign, Measurement, Member};
use revgap_core::stats::interval::{self, Interval};
use serde::Serialize;
use std::collections::HashMap;

/// One measured campaign, as the metrics see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignResult {
    pub campaign_id: i64,
    pub name: String,
    pub measured_at: String,
    pub weeks: usize,
    pub n_treated: usize,
    pub n_control: usize,
    /// The headline (CUPED when narrower) incremental weekly revenue per treated member.
    pub incremental_revenue_per_treated: Interval,
    /// Which estimator that is: "cuped" or "welch".
    pub estimator: &'static str,
    /// The same × treated members: weekly.
    pub incremental_revenue_total: Interval,
    pub verdict: &'static str,
    recovered_treated: usize,
    lapsed_treated: usize,
    lapsed_control: usize,
}

/// A measurement's longest window: its weeks and each member's mean weekly spend in
/// `members` order (a member the measurement lacks, which should not happen, spent 0).
pub fn longest_window(members: &[Member], measurement: &Measurement) -> Option<(usize, Vec<f64>)> {
    let (days, values) = measurement.windows.iter().max_by_key(|w| w.0)?;
    let position: HashMap<&str, usize> = measurement
        .customers
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let spend = members
        .iter()
        .map(|m| {
            position
                .get(m.customer_id.as_str())
                .and_then(|&i| values.get(i).copied())
                .unwrap_or(0.0)
        })
        .collect();
    Some(((*days / 7).max(1) as usize, spend))
}

/// The latest measurement's longest window of `campaign`, estimated; `None` when it has no
/// measurement or an arm has fewer than two members.
pub fn campaign_result(
    campaign: &Campaign,
    members: &[Member],
    measurement: &Measurement,
    context: &Context<'_>,
) -> Option<CampaignResult> {
    let (weeks, spend) = longest_window(members, measurement)?;
    let window: WindowEstimate = estimate::window(members, &spend, weeks, context)?;
    let headline = window.headline_revenue_per_treated;
    let count = |arm: Arm, test: &dyn Fn(&Member, f64) -> bool| {
        members
            .iter()
            .zip(&spend)
            .filter(|(m, y)| m.arm == arm && test(m, **y))
            .count()
    };
    let share = context.recovered_share;
    Some(CampaignResult {
        campaign_id: campaign.campaign_id,
        name: campaign.name.clone(),
        measured_at: measurement.taken_at.clone(),
        weeks,
        n_treated: window.n_treated,
        n_control: window.n_control,
        incremental_revenue_per_treated: headline,
        estimator: window.headline,
        incremental_revenue_total: window.headline_revenue_total,
        verdict: estimate::verdict(headline),
        recovered_treated: count(Arm::Treated, &|m, y| {
            y > 0.0 && y >= share * m.pre_weekly_spend
        }),
        lapsed_treated: count(Arm::Treated, &|_, y| y <= 0.0),
        lapsed_control: count(Arm::Control, &|_, y| y <= 0.0),
    })
}

/// Every measured campaign with its members and latest measurement, oldest first.
pub fn measured(
    ledger: &crate::ledger::Ledger,
) -> Result<Vec<(Campaign, Vec<Member>, Measurement)>, crate::ledger::LedgerError> {
    let mut found = Vec::new();
    for campaign in ledger.campaigns()?.into_iter().rev() {
        let Some(latest) = ledger.outcomes(campaign.campaign_id)?.pop() else {
            continue;
        };
        let members = ledger.members(campaign.campaign_id)?;
        found.push((campaign, members, latest));
    }
    Ok(found)
}

/// The measured result of one campaign (its latest measurement's longest window), `None`
/// while it has none.
pub fn result_of(
    ledger: &crate::ledger::Ledger,
    campaign: &Campaign,
    config: &revgap_core::config::Config,
) -> Result<Option<CampaignResult>, crate::ledger::LedgerError> {
    let Some(latest) = ledger.outcomes(campaign.campaign_id)?.pop() else {
        return Ok(None);
    };
    let members = ledger.members(campaign.campaign_id)?;
    let costs = estimate::offer_costs(&campaign.outreach());
    let context = Context::from_config(config, &costs);
    Ok(campaign_result(campaign, &members, &latest, &context))
}

/// The metrics of every measured campaign in the ledger.
pub fn from_ledger(
    ledger: &crate::ledger::Ledger,
    config: &revgap_core::config::Config,
) -> Result<Metrics, crate::ledger::LedgerError> {
    let mut results = Vec::new();
    let mut days = Vec::new();
    for (campaign, members, latest) in measured(ledger)? {
        let costs = estimate::offer_costs(&campaign.outreach());
        let context = Context::from_config(config, &costs);
        results.extend(campaign_result(&campaign, &members, &latest, &context));
        days.extend(estimate::days_to_action(
            &campaign,
            &ledger.delivered_times(campaign.campaign_id)?,
        ));
    }
    Ok(Metrics {
        llm: ledger.llm_usage()?,
        ..pooled(results, days)
    })
}

/// The metrics across campaigns.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Metrics {
    pub measured_campaigns: usize,
    /// Weekly incremental revenue summed over the campaigns, its interval combining theirs as
    /// independent (half-widths added in quadrature).
    pub revenue_recovered_weekly: Option<Interval>,
    /// Treated members recovered, pooled over campaigns.
    pub action_success_rate: Option<Interval>,
    /// Control no-purchase rate minus treated: the share of customers kept by acting.
    pub retention_effect: Option<Interval>,
    pub time_to_action_days: Option<(f64, f64)>,
    /// Campaign by campaign, oldest first: the trend.
    pub campaigns: Vec<CampaignResult>,
    /// What the model cost over every recorded run (a system figure).
    pub llm: crate::ledger::UsageTotals,
}

impl Metrics {
    /// The headline figures as (label, value) lines, for any view.
    pub fn headlines(&self, unit: revgap_core::text::ValueUnit) -> Vec<(&'static str, String)> {
        let mut lines = vec![("Measured campaigns", self.measured_campaigns.to_string())];
        if let Some(revenue) = self.revenue_recovered_weekly {
            lines.push((
                "Revenue recovered (incremental, weekly, all campaigns)",
                revenue.as_amount(unit),
            ));
        }
        if let Some(rate) = self.action_success_rate {
            lines.push((
                "Action success rate (treated members recovered)",
                rate.as_percent(),
            ));
        }
        if let Some(effect) = self.retention_effect {
            lines.push((
                "Retention effect (no-purchase rate, control minus treated)",
                effect.as_percent(),
            ));
        }
        if let Some((median, p90)) = self.time_to_action_days {
            lines.push((
                "Time to action",
                format!("median {median:.1} days, p90 {p90:.1} days"),
            ));
        }
        let llm = &self.llm;
        lines.push((
            "Model use (every recorded run)",
            format!(
                "{} call(s), {} answer(s) from the cache, about {} prompt and {} answer tokens over {} run(s)",
                llm.usage.calls,
                llm.usage.cached,
                llm.usage.prompt_tokens,
                llm.usage.completion_tokens,
                llm.runs
            ),
        ));
        lines
    }
}

/// Pools `results`; `days_to_action` are every delivered action's days from detection.
pub fn pooled(mut results: Vec<CampaignResult>, mut days_to_action: Vec<f64>) -> Metrics {
    results.sort_by_key(|r| r.campaign_id);
    let any = !results.is_empty();
    let sum = |f: &dyn Fn(&CampaignResult) -> usize| results.iter().map(f).sum::<usize>();
    let (treated, control) = (sum(&|r| r.n_treated), sum(&|r| r.n_control));
    let revenue = any.then(|| {
        let estimate: f64 = results
            .iter()
            .map(|r| r.incremental_revenue_total.estimate)
            .sum();
        let (low, high) = results.iter().fold((0.0, 0.0), |(low, high), r| {
            let i = r.incremental_revenue_total;
            (
                low + (i.estimate - i.ci_low).powi(2),
                high + (i.ci_high - i.estimate).powi(2),
            )
        });
        Interval {
            estimate,
            ci_low: estimate - low.sqrt(),
            ci_high: estimate + high.sqrt(),
        }
    });
    Metrics {
        measured_campaigns: results.len(),
        revenue_recovered_weekly: revenue,
        action_success_rate: any
            .then(|| interval::wilson(sum(&|r| r.recovered_treated), treated, estimate::LEVEL)),
        retention_effect: any.then(|| {
            interval::newcombe(
                sum(&|r| r.lapsed_control),
                control,
                sum(&|r| r.lapsed_treated),
                treated,
                estimate::LEVEL,
            )
        }),
        time_to_action_days: estimate::median_and_p90(&mut days_to_action),
        campaigns: results,
        llm: crate::ledger::UsageTotals::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: i64, total: Interval) -> CampaignResult {
        CampaignResult {
            campaign_id: id,
            name: format!("c{id}"),
            measured_at: "t".into(),
            weeks: 4,
            n_treated: 100,
            n_control: 50,
            incremental_revenue_per_treated: total.scaled(0.01),
            estimator: "welch",
            incremental_revenue_total: total,
            verdict: estimate::verdict(total),
            recovered_treated: 60,
            lapsed_treated: 10,
            lapsed_control: 15,
        }
    }

    #[test]
    fn campaigns_pool_as_independent_estimates() {
        let metrics = pooled(
            vec![
                result(
                    2,
                    Interval {
                        estimate: 400.0,
                        ci_low: 100.0,
                        ci_high: 700.0,
                    },
                ),
                result(
                    1,
                    Interval {
                        estimate: 100.0,
                        ci_low: -300.0,
                        ci_high: 500.0,
                    },
                ),
            ],
            vec![1.0, 2.0, 3.0],
        );
        let revenue = metrics.revenue_recovered_weekly.unwrap();
        assert_eq!(revenue.estimate, 500.0);
        assert!(
            (revenue.ci_high - revenue.estimate - 500.0).abs() < 1e-9,
            "√(300² + 400²)"
        );
        assert_eq!(metrics.campaigns[0].campaign_id, 1, "oldest first");
        assert_eq!(metrics.action_success_rate.unwrap().estimate, 0.6);
        // Control lapsed 30 of 100, treated 20 of 200: 0.3 − 0.1.
        assert!((metrics.retention_effect.unwrap().estimate - 0.2).abs() < 1e-12);
        assert_eq!(metrics.time_to_action_days, Some((2.0, 3.0)));
        let empty = pooled(Vec::new(), Vec::new());
        assert!(empty.revenue_recovered_weekly.is_none() && empty.action_success_rate.is_none());
    }
}
