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
}

impl GapType {
    pub const ALL: [GapType; 3] = [Self::DecliningRevenue, Self::BelowBaseline, Self::ZeroSpend];

    /// The stable machine name (JSON, CSV, filters).
    pub fn key(self) -> &'static str {
        match self {
            Self::DecliningRevenue => "declining_revenue",
            Self::BelowBaseline => "below_baseline",
            Self::ZeroSpend => "zero_spend",
        }
    }

    /// The human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::DecliningRevenue => "Declining Revenue",
            Self::BelowBaseline => "Below Baseline",
            Self::ZeroSpend => "Zero Spend",
        }
    }

    /// Which gap explains a customer best when two are equally large: stopping entirely is
    /// the most specific, a single weak week the least.
    fn specificity(self) -> u8 {
        match self {
            Self::ZeroSpend => 2,
            Self::DecliningRevenue => 1,
            Self::BelowBaseline => 0,
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
        }
    }
}

/// Detects every gap the rules find for one customer, in detection order. A new customer is
/// not judged, and a gap is always spend *below* expectation: a rule that fires while the
/// current spend is at or above the expected spend found no gap.
pub fn detect_gaps(profile: &SpendProfile, config: &Config) -> Vec<Gap> {
    let mut gaps = rule_gaps(profile, config);
    if profile.is_new {
        gaps.clear();
    }
    gaps.retain(|gap| gap.gap_amount < 0.0);
    gaps
}

fn rule_gaps(profile: &SpendProfile, config: &Config) -> Vec<Gap> {
    let thresholds = &config.gaps;
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
        });
    }
    let latest = profile.latest_week;
    if latest > 0.0 && baseline > 0.0 {
        let pct = (latest - baseline) / baseline * 100.0;
        if pct < thresholds.below_baseline_pct {
            gaps.push(Gap {
                kind: GapType::BelowBaseline,
                severity: Severity::of_pct(pct, thresholds),
                gap_amount: latest - baseline,
                gap_pct: pct,
                current: latest,
                expected: baseline,
                weeks_at_risk: 1,
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
        });
    }
    gaps
}
