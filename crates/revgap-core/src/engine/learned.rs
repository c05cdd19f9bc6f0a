//! Learned recovery as the engine takes it: the measured incremental chance that acting
//! recovers a customer (treated recovery rate minus control recovery rate), per value tier,
//! with the pooled figure for tiers without enough evidence.
//!
//! It is learned from measured campaigns elsewhere (`outcome::learn`); the engine only reads
//! it. An analysis given none is exactly the unlearned one, which is what `--no-learning`
//! relies on.

use serde::Serialize;

/// What measured campaigns say about recovery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedRecovery {
    /// Measured campaigns behind the figures.
    pub campaigns: usize,
    /// Treated members behind the pooled lift.
    pub pooled_treated: usize,
    /// Pooled incremental recovery: treated rate − control rate over every campaign.
    pub pooled_lift: f64,
    /// Tiers whose cells have enough treated members, with their treated-weighted lift.
    pub tiers: Vec<TierLift>,
}

/// One value tier's learned lift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierLift {
    pub tier: String,
    pub lift: f64,
    pub n_treated: usize,
}

/// Where a customer's learned lift came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiftBasis {
    /// The customer's value tier had enough treated members.
    Tier,
    /// Every measured campaign pooled.
    Pooled,
}

/// The lift applied to one customer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AppliedLift {
    pub lift: f64,
    pub basis: LiftBasis,
    pub n_treated: usize,
    pub campaigns: usize,
}

impl AppliedLift {
    /// The recovery factor (0–10) this lift stands for: 10 × the incremental probability.
    /// A measured lift below zero means acting did not help: the factor is 0, not negative.
    pub fn recovery_factor(&self) -> f64 {
        10.0 * self.lift.clamp(0.0, 1.0)
    }

    /// Expected incremental weekly recovery for a gap of this size (gap × lift, never < 0).
    pub fn expected_recovery(&self, gap_size: f64) -> f64 {
        gap_size * self.lift.max(0.0)
    }

    /// The rationale's sentence, naming the default it replaced.
    pub fn describe(&self, tier: &str, default_factor: f64) -> String {
        let basis = match self.basis {
            LiftBasis::Tier => format!("value tier {tier}"),
            LiftBasis::Pooled => "all measured members".to_string(),
        };
        format!(
            "Recovery factor {:.1} learned from {} measured campaign(s) ({basis}: {:+.1} pp incremental recovery, {} treated), replacing the default {:.1}.",
            self.recovery_factor(),
            self.campaigns,
            self.lift * 100.0,
            self.n_treated,
            default_factor
        )
    }
}

/// A learned factor that replaced a customer's default, for the rationale and reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedNote {
    pub lift: AppliedLift,
    pub tier: String,
    /// The configured factor it replaced.
    pub default_factor: f64,
}

impl LearnedNote {
    pub fn describe(&self) -> String {
        self.lift.describe(&self.tier, self.default_factor)
    }
}

impl LearnedRecovery {
    /// The lift for a customer of value tier `tier`.
    pub fn for_tier(&self, tier: &str) -> AppliedLift {
        match self.tiers.iter().find(|t| t.tier == tier) {
            Some(found) => AppliedLift {
                lift: found.lift,
                basis: LiftBasis::Tier,
                n_treated: found.n_treated,
                campaigns: self.campaigns,
            },
            None => AppliedLift {
                lift: self.pooled_lift,
                basis: LiftBasis::Pooled,
                n_treated: self.pooled_treated,
                campaigns: self.campaigns,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned() -> LearnedRecovery {
        LearnedRecovery {
            campaigns: 2,
            pooled_treated: 400,
            pooled_lift: 0.12,
            tiers: vec![TierLift {
                tier: "high".into(),
                lift: 0.31,
                n_treated: 120,
            }],
        }
    }

    #[test]
    fn a_tier_with_evidence_uses_its_own_lift_and_others_the_pooled_one() {
        let table = learned();
        let high = table.for_tier("high");
        assert_eq!((high.basis, high.n_treated), (LiftBasis::Tier, 120));
        assert!((high.recovery_factor() - 3.1).abs() < 1e-12);
        let low = table.for_tier("low");
        assert_eq!((low.basis, low.n_treated), (LiftBasis::Pooled, 400));
        assert!((low.expected_recovery(50.0) - 6.0).abs() < 1e-12);
        assert_eq!(
            high.describe("high", 6.0),
            "Recovery factor 3.1 learned from 2 measured campaign(s) (value tier high: +31.0 pp incremental recovery, 120 treated), replacing the default 6.0."
        );
    }

    #[test]
    fn a_harmful_lift_scores_zero_and_expects_nothing() {
        let lift = AppliedLift {
            lift: -0.2,
            basis: LiftBasis::Pooled,
            n_treated: 50,
            campaigns: 1,
        };
        assert_eq!(lift.recovery_factor(), 0.0);
        assert_eq!(lift.expected_recovery(80.0), 0.0);
    }
}
