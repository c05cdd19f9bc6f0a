//! What a campaign recovered, by assignment (intention to treat: every assigned member,
//! delivered or not). Per window: incremental weekly revenue per treated customer (Welch),
//! the same after CUPED on pre-campaign spend (the headline when it narrows the interval),
//! the total over the treated, what would have come back anyway, recovery and churn per arm
//! (Wilson) and the recovery lift (Newcombe), the share of the gap closed, offer cost and net
//! revenue over the window, and a verdict that is never "lift" from an interval crossing 0.

use crate::ledger::{Arm, Member};
use revgap_core::stats::interval::{self, Interval};
use serde::Serialize;
use std::collections::HashMap;

/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// What the estimates need besides the members and their follow-up spend.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// A member counts as recovered when follow-up weekly spend ≥ this share of their
    /// pre-campaign weekly spend.
    pub recovered_share: f64,
    /// Cost of one redemption by offer id.
    pub offer_costs: &'a HashMap<String, f64>,
    /// Churn-probability cut points of the low / medium / high risk bands.
    pub risk_bands: [f64; 2],
    pub min_cell: usize,
    pub fdr_q: f64,
}

impl<'a> Context<'a> {
    /// The `[outcome]` settings, with the campaign's offer costs.
    pub fn from_config(
        config: &revgap_core::config::Config,
        offer_costs: &'a HashMap<String, f64>,
    ) -> Self {
        Self {
            recovered_share: config.outcome.recovered_share,
            offer_costs,
            risk_bands: config.outcome.risk_bands,
            min_cell: config.outcome.min_cell,
            fdr_q: config.outcome.fdr_q,
        }
    }
}

/// Each offer's cost per redemption, from a campaign's catalog.
pub fn offer_costs(outreach: &revgap_core::config::OutreachSettings) -> HashMap<String, f64> {
    outreach
        .offers
        .iter()
        .map(|o| (o.id.clone(), o.cost))
        .collect()
}

/// Days from the end of the data a campaign's gaps were found on to each delivery
/// (`delivered`: customer id, RFC 3339 time).
pub fn days_to_action(
    campaign: &crate::ledger::Campaign,
    delivered: &[(String, String)],
) -> Vec<f64> {
    let Some(detected) = campaign
        .as_of()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
    else {
        return Vec::new();
    };
    delivered
        .iter()
        .filter_map(|(_, at)| {
            let at = chrono::DateTime::parse_from_rfc3339(at).ok()?;
            Some((at.with_timezone(&chrono::Utc) - detected).num_seconds() as f64 / 86_400.0)
        })
        .collect()
}

/// CUPED's estimate with θ and the variance it removed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CupedOut {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub theta: f64,
    pub variance_reduction: f64,
}

impl CupedOut {
    pub fn interval(&self) -> Interval {
        Interval {
            estimate: self.estimate,
            ci_low: self.ci_low,
            ci_high: self.ci_high,
        }
    }
}

/// One window's estimates (amounts per week in the data's currency unless named otherwise).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowEstimate {
    pub weeks: usize,
    pub n_treated: usize,
    pub n_control: usize,
    pub mean_treated: f64,
    pub mean_control: f64,
    /// Welch's (unadjusted) incremental weekly revenue per treated member.
    pub incremental_revenue_per_treated: Interval,
    /// Welch's, × treated members.
    pub incremental_revenue_total: Interval,
    pub cuped: Option<CupedOut>,
    /// "cuped" when its interval is narrower, else "welch".
    pub headline: &'static str,
    /// The headline estimator's incremental weekly revenue per treated member: what
    /// `measure`, `metrics` and the explorer all lead with.
    pub headline_revenue_per_treated: Interval,
    /// The same × treated members.
    pub headline_revenue_total: Interval,
    /// Control mean × treated count: weekly revenue the treated would have brought anyway.
    pub would_have_come_back: f64,
    pub recovery_rate_treated: f64,
    pub recovery_rate_control: f64,
    pub recovery_rate_treated_interval: Interval,
    pub recovery_rate_control_interval: Interval,
    pub recovery_lift: Interval,
    /// No purchase in the window, per arm (the original's "customer retention", inverted).
    pub churn_treated: Interval,
    pub churn_control: Interval,
    /// Incremental weekly revenue per treated ÷ their mean weekly gap before the campaign.
    pub gap_closed_share: Option<Interval>,
    /// Cost of the offers of treated members who bought in the window (each counted as one
    /// redemption: an upper bound).
    pub offer_cost: f64,
    /// Incremental revenue over the whole window minus the offer cost.
    pub net_incremental_revenue: Interval,
    pub verdict: &'static str,
    /// By planned channel, planned offer, segment and churn-risk band.
    pub breakdowns: Vec<Cell>,
}

/// One breakdown cell: members who share a label (both arms), compared within it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub dimension: &'static str,
    pub label: String,
    pub n_treated: usize,
    pub n_control: usize,
    /// `None` when an arm has fewer than two members.
    pub incremental_revenue_per_treated: Option<Interval>,
    pub p_value: Option<f64>,
    /// Fewer than `min_cell` members in an arm: shown, never called significant.
    pub too_small: bool,
    /// A discovery after Benjamini–Hochberg over the cells that are not too small, whose 95 %
    /// interval also excludes zero (never a winner from a crossing interval).
    pub significant: bool,
}

impl WindowEstimate {
    /// The interval the verdict reads: CUPED's when it is the headline, else Welch's.
    pub fn headline_interval(&self) -> Interval {
        match (self.headline, self.cuped) {
            ("cuped", Some(cuped)) => cuped.interval(),
            _ => self.incremental_revenue_per_treated,
        }
    }
}

/// "lift" when the headline interval is above zero, "no lift" when it is below zero (the
/// campaign lowered spend), "insufficient evidence" whenever it crosses zero.
pub fn verdict(interval: Interval) -> &'static str {
    if interval.ci_low > 0.0 {
        "lift"
    } else if interval.ci_high < 0.0 {
        "no lift"
    } else {
        "insufficient evidence"
    }
}

/// The estimates of one window; `spend` is each member's mean weekly follow-up spend, in
/// member order. `None` when an arm has fewer than two members.
pub fn window(
    members: &[Member],
    spend: &[f64],
    weeks: usize,
    context: &Context<'_>,
) -> Option<WindowEstimate> {
    let arm_of = |arm: Arm| -> Vec<(f64, &Member)> {
        members
            .iter()
            .zip(spend)
            .filter(|(m, _)| m.arm == arm)
            .map(|(m, y)| (*y, m))
            .collect()
    };
    let (treated, control) = (arm_of(Arm::Treated), arm_of(Arm::Control));
    let ys = |rows: &[(f64, &Member)]| rows.iter().map(|r| r.0).collect::<Vec<f64>>();
    let pairs = |rows: &[(f64, &Member)]| {
        rows.iter()
            .map(|(y, m)| (*y, m.pre_weekly_spend))
            .collect::<Vec<(f64, f64)>>()
    };
    let welch = interval::welch(&ys(&treated), &ys(&control), LEVEL)?;
    let cuped = interval::cuped(&pairs(&treated), &pairs(&control), LEVEL);
    let (n_t, n_c) = (treated.len(), control.len());
    let (mean_t, _) = interval::mean_and_variance(&ys(&treated));
    let (mean_c, _) = interval::mean_and_variance(&ys(&control));
    let headline = match cuped {
        Some(c) if c.welch.interval.width() < welch.interval.width() => c.welch.interval,
        _ => welch.interval,
    };
    let recovered = |rows: &[(f64, &Member)]| {
        rows.iter()
            .filter(|(y, m)| *y > 0.0 && *y >= context.recovered_share * m.pre_weekly_spend)
            .count()
    };
    let lapsed = |rows: &[(f64, &Member)]| rows.iter().filter(|(y, _)| *y <= 0.0).count();
    let (recovered_t, recovered_c) = (recovered(&treated), recovered(&control));
    let rate_t = interval::wilson(recovered_t, n_t, LEVEL);
    let rate_c = interval::wilson(recovered_c, n_c, LEVEL);
    let mean_gap = treated.iter().map(|(_, m)| m.gap).sum::<f64>() / n_t as f64;
    let offer_cost: f64 = treated
        .iter()
        .filter(|(y, _)| *y > 0.0)
        .filter_map(|(_, m)| context.offer_costs.get(m.offer.as_deref()?))
        .sum();
    let total = headline.scaled(n_t as f64);
    let over_window = total.scaled(weeks as f64);
    Some(WindowEstimate {
        weeks,
        n_treated: n_t,
        n_control: n_c,
        mean_treated: mean_t,
        mean_control: mean_c,
        incremental_revenue_per_treated: welch.interval,
        incremental_revenue_total: welch.interval.scaled(n_t as f64),
        cuped: cuped.map(|c| CupedOut {
            estimate: c.welch.interval.estimate,
            ci_low: c.welch.interval.ci_low,
            ci_high: c.welch.interval.ci_high,
            theta: c.theta,
            variance_reduction: c.variance_reduction,
        }),
        headline: if headline == welch.interval {
            "welch"
        } else {
            "cuped"
        },
        headline_revenue_per_treated: headline,
        headline_revenue_total: total,
        would_have_come_back: mean_c * n_t as f64,
        recovery_rate_treated: rate_t.estimate,
        recovery_rate_control: rate_c.estimate,
        recovery_rate_treated_interval: rate_t,
        recovery_rate_control_interval: rate_c,
        recovery_lift: interval::newcombe(recovered_t, n_t, recovered_c, n_c, LEVEL),
        churn_treated: interval::wilson(lapsed(&treated), n_t, LEVEL),
        churn_control: interval::wilson(lapsed(&control), n_c, LEVEL),
        gap_closed_share: (mean_gap > 0.0).then(|| headline.scaled(1.0 / mean_gap)),
        offer_cost,
        net_incremental_revenue: Interval {
            estimate: over_window.estimate - offer_cost,
            ci_low: over_window.ci_low - offer_cost,
            ci_high: over_window.ci_high - offer_cost,
        },
        verdict: verdict(headline),
        breakdowns: breakdowns(members, spend, context),
    })
}

/// The cells of every breakdown dimension, Benjamini–Hochberg applied across all of them.
pub fn breakdowns(members: &[Member], spend: &[f64], context: &Context<'_>) -> Vec<Cell> {
    type Labeller<'b> = (&'static str, Box<dyn Fn(&Member) -> String + 'b>);
    let [low, high] = context.risk_bands;
    let dimensions: [Labeller<'_>; 4] = [
        ("channel", Box::new(|m: &Member| m.planned_channel.clone())),
        (
            "offer",
            Box::new(|m: &Member| m.planned_offer.clone().unwrap_or_else(|| "none".into())),
        ),
        ("segment", Box::new(|m: &Member| m.segment.clone())),
        (
            "churn_risk",
            Box::new(move |m: &Member| {
                if m.churn_probability >= high {
                    "high".into()
                } else if m.churn_probability >= low {
                    "medium".into()
                } else {
                    "low".into()
                }
            }),
        ),
    ];
    let mut cells = Vec::new();
    for (dimension, label_of) in &dimensions {
        let mut groups: std::collections::BTreeMap<String, (Vec<f64>, Vec<f64>)> =
            Default::default();
        for (member, y) in members.iter().zip(spend) {
            let label = label_of(member);
            if label.is_empty() {
                continue;
            }
            let group = groups.entry(label).or_default();
            match member.arm {
                Arm::Treated => group.0.push(*y),
                Arm::Control => group.1.push(*y),
            }
        }
        for (label, (treated, control)) in groups {
            let result = interval::welch(&treated, &control, LEVEL);
            cells.push(Cell {
                dimension,
                label,
                n_treated: treated.len(),
                n_control: control.len(),
                incremental_revenue_per_treated: result.map(|w| w.interval),
                p_value: result.as_ref().map(interval::welch_p_value),
                too_small: treated.len().min(control.len()) < context.min_cell,
                significant: false,
            });
        }
    }
    let tested: Vec<usize> = (0..cells.len())
        .filter(|&i| !cells[i].too_small && cells[i].p_value.is_some_and(|p| p.is_finite()))
        .collect();
    let p_values: Vec<f64> = tested
        .iter()
        .map(|&i| cells[i].p_value.unwrap_or(1.0))
        .collect();
    for (discovery, &i) in interval::benjamini_hochberg(&p_values, context.fdr_q)
        .into_iter()
        .zip(&tested)
    {
        cells[i].significant = discovery
            && cells[i]
                .incremental_revenue_per_treated
                .is_some_and(|effect| !effect.crosses_zero());
    }
    cells
}

/// Median and 90th percentile of `values` (nearest rank); `None` when empty.
pub fn median_and_p90(values: &mut [f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at =
        |q: f64| values[((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    Some((at(0.5), at(0.9)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::synthetic::{self, Truth};

    fn members(n: usize) -> Vec<Member> {
        (0..n)
            .map(|i| Member {
                customer_id: i.to_string(),
                // Every fifth member in control, as a 20 % holdout.
                arm: if i % 5 == 0 {
                    Arm::Control
                } else {
                    Arm::Treated
                },
                stratum: "s".into(),
                bucket: 0,
                channel: None,
                offer: Some("WINBACK15".into()),
                address: None,
                pre_weekly_spend: 30.0 + (i * 37 % 170) as f64,
                churn_probability: 0.5,
                gap: 40.0,
                planned_channel: "email".into(),
                planned_offer: Some("WINBACK15".into()),
                segment: String::new(),
            })
            .collect()
    }

    /// Mean weekly follow-up spend for `members` with this truth.
    fn follow_up(members: &[Member], effect: f64, correlation: f64, seed: u64) -> Vec<f64> {
        let pre: Vec<f64> = members.iter().map(|m| m.pre_weekly_spend).collect();
        let treated: Vec<bool> = members.iter().map(|m| m.arm == Arm::Treated).collect();
        let truth = Truth {
            effect,
            correlation,
            seed,
        };
        synthetic::weekly(&pre, &treated, 4, truth)
            .iter()
            .map(|w| w.iter().sum::<f64>() / 4.0)
            .collect()
    }

    fn context(costs: &HashMap<String, f64>) -> Context<'_> {
        Context {
            recovered_share: 0.8,
            offer_costs: costs,
            risk_bands: [0.3, 0.7],
            min_cell: 30,
            fdr_q: 0.1,
        }
    }

    #[test]
    fn with_an_effect_the_interval_covers_the_truth_about_95_percent_of_the_time() {
        let costs = HashMap::new();
        let members = members(1000);
        let mut covered = 0;
        let mut lift = 0;
        for seed in 0..200 {
            let spend = follow_up(&members, 12.0, 0.7, seed);
            let estimate = window(&members, &spend, 4, &context(&costs)).unwrap();
            let welch = estimate.incremental_revenue_per_treated;
            if welch.ci_low <= 12.0 && 12.0 <= welch.ci_high {
                covered += 1;
            }
            if estimate.verdict == "lift" {
                lift += 1;
            }
        }
        assert!((182..=198).contains(&covered), "covered {covered} of 200");
        assert!(lift > 150, "a real effect is mostly found: {lift} of 200");
    }

    #[test]
    fn without_an_effect_the_verdict_is_insufficient_evidence_about_95_percent_of_the_time() {
        let costs = HashMap::new();
        let members = members(1000);
        let quiet = (0..200)
            .filter(|seed| {
                let spend = follow_up(&members, 0.0, 0.7, 1000 + seed);
                window(&members, &spend, 4, &context(&costs))
                    .unwrap()
                    .verdict
                    == "insufficient evidence"
            })
            .count();
        assert!(
            (182..=198).contains(&quiet),
            "insufficient evidence {quiet} of 200"
        );
    }

    #[test]
    fn cuped_narrows_the_interval_by_a_quarter_at_correlation_0_7() {
        let costs = HashMap::new();
        let members = members(2000);
        let mut ratios = Vec::new();
        for seed in 0..20 {
            let spend = follow_up(&members, 12.0, 0.7, 5000 + seed);
            let estimate = window(&members, &spend, 4, &context(&costs)).unwrap();
            let cuped = estimate.cuped.unwrap();
            let welch = estimate.incremental_revenue_per_treated;
            ratios.push((cuped.ci_high - cuped.ci_low) / welch.width());
            assert_eq!(estimate.headline, "cuped");
        }
        let mean_ratio = ratios.iter().sum::<f64>() / ratios.len() as f64;
        assert!(mean_ratio <= 0.75, "CUPED width ratio {mean_ratio}");
    }

    #[test]
    fn recovery_offer_cost_and_the_gap_closed_follow_the_members() {
        let costs: HashMap<String, f64> = [("WINBACK15".to_string(), 2.0)].into();
        let members = members(10);
        // Treated spend at their pre level (recovered), control nothing (lapsed).
        let spend: Vec<f64> = members
            .iter()
            .map(|m| {
                if m.arm == Arm::Treated {
                    m.pre_weekly_spend
                } else {
                    0.0
                }
            })
            .collect();
        let estimate = window(&members, &spend, 2, &context(&costs)).unwrap();
        assert_eq!((estimate.n_treated, estimate.n_control), (8, 2));
        assert_eq!(estimate.recovery_rate_treated, 1.0);
        assert_eq!(estimate.recovery_rate_control, 0.0);
        assert_eq!(estimate.churn_control.estimate, 1.0);
        assert_eq!(estimate.offer_cost, 16.0);
        let headline = if estimate.headline == "cuped" {
            let c = estimate.cuped.unwrap();
            c.estimate
        } else {
            estimate.incremental_revenue_per_treated.estimate
        };
        assert!(
            (estimate.net_incremental_revenue.estimate - (headline * 8.0 * 2.0 - 16.0)).abs()
                < 1e-9
        );
        assert!((estimate.gap_closed_share.unwrap().estimate - headline / 40.0).abs() < 1e-12);
    }

    #[test]
    fn breakdown_cells_compare_like_with_like_and_small_cells_are_never_significant() {
        let costs = HashMap::new();
        let mut members = members(2000);
        for (i, member) in members.iter_mut().enumerate() {
            member.planned_channel = if i % 10 < 2 { "sms" } else { "email" }.into();
            member.segment = if i % 3 == 0 { "high" } else { "low" }.into();
        }
        // A large effect by email only; SMS members get none.
        let mut spend = follow_up(&members, 0.0, 0.7, 77);
        for (member, y) in members.iter().zip(spend.iter_mut()) {
            if member.arm == Arm::Treated && member.planned_channel == "email" {
                *y += 40.0;
            }
        }
        let estimate = window(&members, &spend, 4, &context(&costs)).unwrap();
        let cell = |dimension: &str, label: &str| {
            estimate
                .breakdowns
                .iter()
                .find(|c| c.dimension == dimension && c.label == label)
                .unwrap()
                .clone()
        };
        let email = cell("channel", "email");
        assert!(email.significant && !email.too_small, "{email:?}");
        let sms = cell("channel", "sms");
        // 400 SMS members, half of them control: tested, and no effect.
        assert!(!sms.too_small && !sms.significant, "{sms:?}");
        for cell in &estimate.breakdowns {
            if cell.significant {
                assert!(!cell.incremental_revenue_per_treated.unwrap().crosses_zero());
            }
        }
        let risk = cell("churn_risk", "medium");
        assert_eq!(risk.n_treated + risk.n_control, 2000);
        // A cell under 30 control members is shown but never significant.
        let few: Vec<Member> = members.iter().take(100).cloned().collect();
        let small = breakdowns(&few, &spend[..100], &context(&costs));
        assert!(small.iter().all(|c| c.too_small && !c.significant));
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut days = vec![5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 6.0, 7.0, 8.0, 9.0];
        assert_eq!(median_and_p90(&mut days), Some((5.0, 9.0)));
        assert_eq!(median_and_p90(&mut []), None);
    }
}
