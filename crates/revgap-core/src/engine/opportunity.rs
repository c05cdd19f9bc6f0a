//! Recovery opportunities, one per (customer, gap type): never looked up by customer alone.

use super::gaps::{Gap, GapType, Severity};
use crate::config::Config;
use serde::Serialize;

/// What kind of campaign recovers a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityType {
    WinBack,
    Retention,
    ReEngagement,
}

impl OpportunityType {
    /// The kind of campaign that recovers a gap of this type.
    pub fn of_gap(kind: GapType) -> Self {
        match kind {
            GapType::ZeroSpend => Self::WinBack,
            GapType::DecliningRevenue => Self::Retention,
            GapType::BelowBaseline | GapType::BelowPeers => Self::ReEngagement,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::WinBack => "win_back",
            Self::Retention => "retention",
            Self::ReEngagement => "re_engagement",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::WinBack => "Win Back",
            Self::Retention => "Retention",
            Self::ReEngagement => "Re-engagement",
        }
    }
}

/// The opportunity attached to one gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opportunity {
    #[serde(rename = "type")]
    pub kind: OpportunityType,
    pub gap_type: GapType,
    pub potential_revenue: f64,
    pub actions: Vec<String>,
    /// Recovery-probability factor, 0–10.
    pub recovery_probability: f64,
}

/// How an opportunity is sized from its gap: one definition for the engine and for every
/// explanation of a potential.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// What a recovered week is worth: the expected spend for a customer who stopped buying,
    /// else the gap.
    pub per_week: f64,
    /// Weeks of it the opportunity counts (`opportunity.*_weeks`).
    pub weeks: f64,
    /// Recovery-probability factor, 0–10.
    pub recovery_probability: f64,
    pub actions: Vec<&'static str>,
}

impl Sizing {
    pub fn of(rules: &crate::config::OpportunityRules, gap: &Gap) -> Self {
        let size = gap.gap_amount.abs();
        let (per_week, weeks, actions, recovery_probability) = match gap.kind {
            GapType::ZeroSpend => (
                gap.expected,
                rules.win_back_weeks,
                vec![
                    "re_engagement_campaign",
                    "win_back_offer",
                    "loyalty_program",
                ],
                rules.recovery_win_back,
            ),
            GapType::DecliningRevenue if gap.severity == Severity::High => (
                size,
                rules.retention_high_weeks,
                vec![
                    "retention_campaign",
                    "personalized_offer",
                    "loyalty_program",
                ],
                rules.recovery_retention_high,
            ),
            GapType::DecliningRevenue => (
                size,
                rules.retention_weeks,
                vec!["retention_campaign"],
                rules.recovery_retention,
            ),
            GapType::BelowBaseline => (
                size,
                rules.re_engagement_weeks,
                vec!["re_engagement_campaign", "personalized_offer"],
                rules.recovery_re_engagement,
            ),
            GapType::BelowPeers => (
                size,
                rules.re_engagement_weeks,
                vec!["personalized_offer", "cross_sell_recommendations"],
                rules.recovery_re_engagement,
            ),
        };
        Self {
            per_week,
            weeks,
            recovery_probability,
            actions,
        }
    }

    /// Whether the weeks multiply the expected spend (a customer who stopped) or the gap.
    pub fn of_expected_spend(gap: &Gap) -> bool {
        gap.kind == GapType::ZeroSpend
    }
}

impl Opportunity {
    /// The opportunity for `gap` of a customer (loyalty members also get loyalty benefits).
    pub fn for_gap(
        gap: &Gap,
        loyalty_member: bool,
        config: &Config,
        segment_actions: Option<&[String]>,
    ) -> Self {
        let Sizing {
            per_week,
            weeks,
            recovery_probability,
            mut actions,
        } = Sizing::of(&config.opportunity, gap);
        let potential_revenue = per_week * weeks;
        let kind = OpportunityType::of_gap(gap.kind);
        if loyalty_member {
            actions.push("loyalty_benefits");
        }
        let actions = match segment_actions {
            Some(configured) => configured.to_vec(),
            None => actions.into_iter().map(String::from).collect(),
        };
        Self {
            kind,
            gap_type: gap.kind,
            potential_revenue,
            actions,
            recovery_probability,
        }
    }
}
