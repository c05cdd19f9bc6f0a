//! The three gap rules (declining_revenue, below_baseline, zero_spend) and their severity.

use super::baseline::SpendProfile;
use crate::config::{Config, GapThresholds};
use serde::{Deserialize, Serialize};

/// The kinds of revenue gap, in the order the original detected them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapType {
    DecliningRevenue,
    BelowBaseline,
    ZeroSpend,
    /// Recent spend far below comparable customers' (model mode; see `engine::peers`).
    BelowPeers,
}

impl GapType {
    pub const ALL: [GapType; 4] = [
        Self::DecliningRevenue,
        Self::BelowBaseline,
        Self::ZeroSpend,
        Self::BelowPeers,
    ];

    /// The stable machine name (JSON, CSV, filters).
    pub fn key(self) -> &'static str {
        match self {
            Self::DecliningRevenue => "declining_revenue",
            Self::BelowBaseline => "below_baseline",
            Self::ZeroSpend => "zero_spend",
            Self::BelowPeers => "below_peers",
        }
    }

    /// The human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::DecliningRevenue => "Declining Revenue",
            Self::BelowBaseline => "Below Baseline",
            Self::ZeroSpend => "Zero Spend",
            Self::BelowPeers => "Below Peers",
        }
    }

    /// Which gap explains a customer best when two are equally large: stopping entirely is
    /// the most specific, a single weak week the least.
    fn specificity(self) -> u8 {
        match self {
            Self::ZeroSpend => 3,
            Self::DecliningRevenue => 2,
            Self::BelowBaseline => 1,
            Self::BelowPeers => 0,
        }
    }
}

/// How serious a gap is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    /// Severity of a gap percentage (strict `<` against both cut-offs).
    pub fn of_pct(pct: f64, thresholds: &GapThresholds) -> Self {
        if pct < thresholds.high_severity_pct {
            Self::High
        } else if pct < thresholds.medium_severity_pct {
            Self::Medium
        } else {
            Self::Low
        }
    }
}

/// One detected gap. Amounts are weekly dollars, unrounded; `gap_amount` = current − expected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Gap {
    #[serde(rename = "type")]
    pub kind: GapType,
    pub severity: Severity,
    pub gap_amount: f64,
    pub gap_pct: f64,
    pub current: f64,
    pub expected: f64,
    pub weeks_at_risk: usize,
    /// Model mode: how many standard errors of the customer's own week-to-week noise the
    /// shortfall is (see `shortfall`); none for the original's rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigmas: Option<f64>,
}

impl Gap {
    /// Larger gaps first; equal amounts by specificity.
    pub fn explains_more_than(&self, other: &Gap) -> bool {
        let (mine, theirs) = (self.gap_amount.abs(), other.gap_amount.abs());
        mine > theirs || (mine == theirs && self.kind.specificity() > other.kind.specificity())
    }

    /// One sentence, as the original's rule-based rationale.
    pub fn rationale(&self, unit: crate::text::ValueUnit) -> String {
        match self.kind {
            GapType::DecliningRevenue if self.sigmas.is_some() => format!(
                "Weekly spend over the last {} weeks, {}, is {:.1}% below the {} expected: {:.1} standard deviations below the usual spend for this customer.",
                self.weeks_at_risk,
                unit.amount(self.current),
                self.gap_pct.abs(),
                unit.amount(self.expected),
                self.sigmas.unwrap_or(0.0)
            ),
            GapType::DecliningRevenue => {
                format!(
                    "Customer spend declined {:.1}% from baseline.",
                    self.gap_pct.abs()
                )
            }
            GapType::BelowBaseline => format!(
                "Latest week's spend {} is {:.1}% below baseline {}.",
                unit.amount(self.current),
                self.gap_pct.abs(),
                unit.amount(self.expected)
            ),
            GapType::ZeroSpend => format!(
                "No spend in {} week(s), zero spend in the recent period (churn risk).",
                self.weeks_at_risk
            ),
            GapType::BelowPeers => format!(
                "Weekly spend over the last {} weeks, {}, is {:.1}% below the median {} of comparable customers (same segment and acquisition quarter).",
                self.weeks_at_risk,
                unit.amount(self.current),
                self.gap_pct.abs(),
                unit.amount(self.expected)
            ),
        }
    }
}

/// Detects every gap the rules find for one customer, in detection order. A new customer is
/// not judged, and a gap is always spend *below* expectation: a rule that fires while the
/// current spend is at or above the expected spend found no gap.
///
/// The original's rules (`churn_model = "rules"`) judge one week against fixed percentages.
/// Otherwise (model mode) a gap is a shortfall the customer's own noise does not explain:
/// the recent window against the expected spend, in standard errors of the customer's own
/// week-to-week variation (`shortfall`), with the percentage thresholds as a floor; severity
/// follows how sure and how large it is. A quiet spell is a gap only when it is unlikely to
/// end: the model's churn probability (`model_churn`) at least `model.flag_probability`, or,
/// without one, a spell this customer's own purchase rhythm makes rarer than one in twenty.
pub fn detect_gaps(profile: &SpendProfile, model_churn: Option<f64>, config: &Config) -> Vec<Gap> {
    detect_gaps_with(
        profile,
        model_churn,
        config,
        &config.gaps,
        None,
        None,
        profile.baseline_avg,
    )
}

/// As [`detect_gaps`], with the thresholds of the customer's segment rule, in model mode the
/// median recent weekly spend of the customer's peers (see `engine::peers`), and the
/// customer's shortfall against their own noise.
pub fn detect_gaps_with(
    profile: &SpendProfile,
    model_churn: Option<f64>,
    config: &Config,
    thresholds: &GapThresholds,
    peer: Option<PeerComparison>,
    shortfall: Option<super::shortfall::Shortfall>,
    usual_before_spell: f64,
) -> Vec<Gap> {
    if profile.is_new {
        return Vec::new();
    }
    let mut gaps = if config.model.churn_model == crate::config::ChurnModel::Rules {
        rule_gaps(profile, thresholds)
    } else {
        let mut gaps: Vec<Gap> = shortfall
            .and_then(|s| shortfall_gap(s, profile, thresholds))
            .into_iter()
            .collect();
        gaps.extend(quiet_gap(profile, model_churn, config, usual_before_spell));
        if let Some(gap) = peer.and_then(|peer| peer_gap(profile, peer, config)) {
            gaps.push(gap);
        }
        gaps
    };
    gaps.retain(|gap| gap.gap_amount < 0.0);
    gaps
}

/// A shortfall beyond the customer's noise and beyond the percentage floor.
fn shortfall_gap(
    shortfall: super::shortfall::Shortfall,
    profile: &SpendProfile,
    thresholds: &GapThresholds,
) -> Option<Gap> {
    let super::shortfall::Shortfall {
        expected,
        recent,
        sigmas,
        pct,
        weeks,
        ..
    } = shortfall;
    if !(pct < thresholds.declining_revenue_pct && sigmas >= thresholds.shortfall_sigmas) {
        return None;
    }
    let severity =
        if sigmas >= thresholds.shortfall_sigmas_high && pct < thresholds.high_severity_pct {
            Severity::High
        } else if pct < thresholds.medium_severity_pct {
            Severity::Medium
        } else {
            Severity::Low
        };
    Some(Gap {
        kind: GapType::DecliningRevenue,
        severity,
        gap_amount: recent - expected,
        gap_pct: pct,
        current: recent,
        expected,
        weeks_at_risk: weeks.max(profile.recent_weeks_below_par.min(weeks)),
        sigmas: Some(sigmas),
    })
}

/// A quiet spell unlikely to end (see [`detect_gaps`]), against `usual`, the customer's weekly
/// spend before it.
fn quiet_gap(
    profile: &SpendProfile,
    model_churn: Option<f64>,
    config: &Config,
    usual: f64,
) -> Option<Gap> {
    let settings = &config.model;
    let quiet = profile.weeks_since_last_purchase;
    if quiet == 0 {
        return None;
    }
    let severity = match model_churn {
        Some(churn) if churn < settings.flag_probability => return None,
        Some(churn) if churn >= settings.high_risk_probability => Severity::High,
        Some(churn) if churn >= settings.medium_risk_probability => Severity::Medium,
        Some(_) => Severity::Low,
        None => {
            // How often this customer goes `quiet` weeks without buying, by their own share
            // of weeks with a purchase before the spell.
            let before = profile.history_weeks.saturating_sub(quiet).max(1);
            let bought = before.saturating_sub(profile.zero_weeks_total.saturating_sub(quiet));
            let share = bought as f64 / before as f64;
            let chance = (1.0 - share).powi(quiet as i32);
            if chance > 0.05 {
                return None;
            }
            if chance <= 0.01 {
                Severity::High
            } else {
                Severity::Medium
            }
        }
    };
    Some(Gap {
        kind: GapType::ZeroSpend,
        severity,
        gap_amount: profile.latest_week - usual,
        gap_pct: if usual > 0.0 {
            (profile.latest_week - usual) / usual * 100.0
        } else {
            0.0
        },
        current: profile.latest_week,
        expected: usual,
        weeks_at_risk: quiet,
        sigmas: None,
    })
}

/// A customer's average weekly spend over the peer window, and their peers' median of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeerComparison {
    pub own: f64,
    pub median: f64,
}

/// `below_peers`: weekly spend over the peer window at least `peers.below_pct` below the
/// peers' median, for a customer who is also below their own baseline (a customer who always
/// spent little, and still does, is small, not slipping).
fn peer_gap(profile: &SpendProfile, peer: PeerComparison, config: &Config) -> Option<Gap> {
    let settings = &config.peers;
    let PeerComparison { own, median } = peer;
    if profile.is_new || median <= 0.0 || own >= profile.baseline_avg {
        return None;
    }
    let pct = (own - median) / median * 100.0;
    (pct <= settings.below_pct).then_some(Gap {
        kind: GapType::BelowPeers,
        severity: if pct <= settings.high_severity_pct {
            Severity::High
        } else {
            Severity::Medium
        },
        gap_amount: own - median,
        gap_pct: pct,
        current: own,
        expected: median,
        weeks_at_risk: settings.window_weeks,
        sigmas: None,
    })
}

fn rule_gaps(profile: &SpendProfile, thresholds: &GapThresholds) -> Vec<Gap> {
    let baseline = profile.baseline_avg;
    let mut gaps = Vec::new();
    if profile.trend_pct < thresholds.declining_revenue_pct {
        gaps.push(Gap {
            kind: GapType::DecliningRevenue,
            severity: Severity::of_pct(profile.trend_pct, thresholds),
            gap_amount: profile.recent_avg - baseline,
            gap_pct: profile.trend_pct,
            current: profile.recent_avg,
            expected: baseline,
            weeks_at_risk: profile.recent_weeks_below_par,
            sigmas: None,
        });
    }
    let latest = profile.latest_week;
    let expected_latest = profile.expected_latest;
    if latest > 0.0 && expected_latest > 0.0 {
        let pct = (latest - expected_latest) / expected_latest * 100.0;
        if pct < thresholds.below_baseline_pct {
            gaps.push(Gap {
                kind: GapType::BelowBaseline,
                severity: Severity::of_pct(pct, thresholds),
                gap_amount: latest - expected_latest,
                gap_pct: pct,
                current: latest,
                expected: expected_latest,
                weeks_at_risk: 1,
                sigmas: None,
            });
        }
    }
    if profile.recent_zero_weeks >= thresholds.zero_spend_weeks {
        // Current is the latest week's real spend (not forced to 0). Weeks at risk use the
        // same zero-streak as "weeks since last purchase", so a customer who stopped six weeks
        // ago shows 6 in both places; zeros that are not trailing count as recent zero weeks.
        let pct = if baseline > 0.0 {
            (latest - baseline) / baseline * 100.0
        } else {
            0.0
        };
        gaps.push(Gap {
            kind: GapType::ZeroSpend,
            severity: Severity::High,
            gap_amount: latest - baseline,
            gap_pct: pct,
            current: latest,
            expected: baseline,
            weeks_at_risk: profile
                .weeks_since_last_purchase
                .max(profile.recent_zero_weeks),
            sigmas: None,
        });
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(pattern: &str) -> SpendProfile {
        let weeks: Vec<f64> = pattern
            .chars()
            .map(|c| if c == 'x' { 40.0 } else { 0.0 })
            .collect();
        SpendProfile::of(&weeks, &Config::default())
    }

    fn below_peers(
        profile: &SpendProfile,
        churn: Option<f64>,
        own: f64,
        median: f64,
    ) -> Option<Gap> {
        // Without a model churn probability: the original's rules, which have no peer signal.
        let config = match churn {
            Some(_) => Config::default(),
            None => rules(),
        };
        let peer = PeerComparison { own, median };
        detect_gaps_with(
            profile,
            churn,
            &config,
            &config.gaps,
            Some(peer),
            None,
            profile.baseline_avg,
        )
        .into_iter()
        .find(|g| g.kind == GapType::BelowPeers)
    }

    #[test]
    fn below_peers_needs_the_model_a_slip_and_a_far_lower_spend() {
        let slipping = SpendProfile::of(
            &[
                40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 20.0, 15.0, 20.0, 15.0,
            ],
            &Config::default(),
        );
        // Half the peers' median or less: medium; a quarter or less: high.
        let gap = below_peers(&slipping, Some(0.2), 20.0, 40.0).unwrap();
        assert_eq!(
            (gap.severity, gap.gap_amount, gap.gap_pct),
            (Severity::Medium, -20.0, -50.0)
        );
        assert_eq!(gap.weeks_at_risk, 13);
        let gap = below_peers(&slipping, Some(0.2), 20.0, 90.0).unwrap();
        assert_eq!(gap.severity, Severity::High);
        assert!(
            below_peers(&slipping, Some(0.2), 20.0, 39.0).is_none(),
            "only 49 % below"
        );
        assert!(
            below_peers(&slipping, None, 20.0, 90.0).is_none(),
            "the original's rules have no peer signal"
        );
        let small_and_steady = SpendProfile::of(&[10.0; 12], &Config::default());
        assert!(
            below_peers(&small_and_steady, Some(0.2), 10.0, 90.0).is_none(),
            "always small is not slipping"
        );
    }

    fn rules() -> Config {
        let mut config = Config::default();
        config.model.churn_model = crate::config::ChurnModel::Rules;
        config
    }

    #[test]
    fn the_rules_flag_a_monthly_buyers_normal_quiet_weeks() {
        let monthly = profile("x...x...x...x...x...x..");
        let gaps = detect_gaps(&monthly, None, &rules());
        assert!(gaps.iter().any(|g| g.kind == GapType::ZeroSpend));
        // Without the rules and without a model, the spell is judged by the customer's own
        // rhythm: two quiet weeks are usual for a buyer every fourth week.
        assert!(detect_gaps(&monthly, None, &Config::default()).is_empty());
        let weekly_gone_quiet = profile("xxxxxxxxxxxxxxxxxx.....");
        let gaps = detect_gaps(&weekly_gone_quiet, None, &Config::default());
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(
            (gaps[0].kind, gaps[0].severity),
            (GapType::ZeroSpend, Severity::High)
        );
    }

    #[test]
    fn with_the_model_a_quiet_spell_is_a_gap_only_when_it_is_likely_to_last() {
        let monthly = profile("x...x...x...x...x...x..");
        let config = Config::default();
        assert!(
            detect_gaps(&monthly, Some(0.2), &config).is_empty(),
            "normal rhythm"
        );
        let gaps = detect_gaps(&monthly, Some(0.85), &config);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].kind, GapType::ZeroSpend);
        assert_eq!(
            gaps[0].severity,
            Severity::High,
            "severity is the risk band"
        );
        assert_eq!(gaps[0].weeks_at_risk, 2);
        let medium = detect_gaps(&monthly, Some(0.55), &config);
        assert_eq!(medium[0].severity, Severity::Medium);
    }

    #[test]
    fn a_shortfall_is_a_gap_when_sure_and_beyond_the_floor_severity_by_both() {
        let config = Config::default();
        let weekly = SpendProfile::of(&[40.0; 30], &config);
        let judged = |pct: f64, sigmas: f64| {
            let shortfall = super::super::shortfall::Shortfall {
                expected: 40.0,
                recent: 40.0 * (1.0 + pct / 100.0),
                spread: 4.0,
                sigmas,
                pct,
                weeks: 4,
            };
            detect_gaps_with(
                &weekly,
                Some(0.1),
                &config,
                &config.gaps,
                None,
                Some(shortfall),
                40.0,
            )
            .into_iter()
            .find(|g| g.kind == GapType::DecliningRevenue)
            .map(|g| g.severity)
        };
        assert_eq!(judged(-40.0, 3.5), Some(Severity::High));
        assert_eq!(
            judged(-40.0, 2.5),
            Some(Severity::Medium),
            "sure, not very sure"
        );
        assert_eq!(
            judged(-20.0, 6.0),
            Some(Severity::Medium),
            "sure, not large"
        );
        assert_eq!(judged(-40.0, 1.5), None, "within the customer's noise");
        assert_eq!(judged(-10.0, 8.0), None, "below the percentage floor");
        let gap = detect_gaps_with(
            &weekly,
            Some(0.1),
            &config,
            &config.gaps,
            None,
            Some(super::super::shortfall::Shortfall {
                expected: 40.0,
                recent: 20.0,
                spread: 4.0,
                sigmas: 3.1,
                pct: -50.0,
                weeks: 4,
            }),
            40.0,
        )[0];
        assert_eq!(
            gap.rationale(crate::text::ValueUnit::Currency),
            "Weekly spend over the last 4 weeks, $20.00, is 50.0% below the $40.00 expected: 3.1 standard deviations below the usual spend for this customer."
        );
    }
}
