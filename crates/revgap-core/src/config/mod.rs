//! The typed configuration: every threshold, window, multiplier and weight the engine uses.
//!
//! Defaults are the original system's numbers (spec section 2 and the literals it hard-coded,
//! listed in section 7.6). A TOML file may override any subset; unknown keys are rejected so a
//! typo never silently falls back to a default.

mod check;
mod dimension;
pub use dimension::{Dimension, UnknownDimension};
mod outreach;

pub use outreach::{CONSENT_CHANNELS, ChannelRules, Offer, OutreachSettings};

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Everything the analysis needs to know besides the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub windows: Windows,
    pub gaps: GapThresholds,
    pub churn: ChurnRules,
    pub opportunity: OpportunityRules,
    pub scoring: ScoringWeights,
    pub report: ReportSettings,
    pub llm: LlmConfig,
    pub model: ModelSettings,
    pub segments: SegmentSettings,
    pub peers: PeerSettings,
    pub calendar: Calendar,
    pub outreach: OutreachSettings,
    pub outcome: OutcomeSettings,
}

/// How campaign outcomes are read (`campaign measure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomeSettings {
    /// A member counts as recovered when follow-up weekly spend reaches this share of their
    /// pre-campaign weekly spend.
    pub recovered_share: f64,
    /// Follow-up windows in weeks when `--windows` is not given.
    pub windows: Vec<usize>,
    /// Churn-probability cut points of the risk bands in breakdowns (low, medium, high).
    pub risk_bands: [f64; 2],
    /// Breakdown cells with fewer members than this in either arm are marked too small.
    pub min_cell: usize,
    /// False discovery rate of the Benjamini–Hochberg step over breakdown cells.
    pub fdr_q: f64,
    /// Weight, in members, of the pooled rate a learned cell is shrunk toward.
    pub prior_strength: f64,
    /// Treated members a learned cell needs before it influences a decision.
    pub learn_min_treated: usize,
    /// The fewest control members a campaign may have (fewer is refused unless the campaign
    /// is made unmeasurable with `--no-control`).
    pub min_control: usize,
}

impl Default for OutcomeSettings {
    fn default() -> Self {
        Self {
            recovered_share: 0.8,
            windows: vec![2, 4, 8],
            risk_bands: [0.3, 0.7],
            min_cell: 30,
            fdr_q: 0.10,
            prior_strength: 20.0,
            learn_min_treated: 30,
            min_control: 30,
        }
    }
}

/// The peer baseline: a customer's recent weekly spend against the median of comparable
/// customers (same segment in `dimension`, same acquisition quarter). Used with the model
/// only: the original's mode keeps the original's three gap rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeerSettings {
    pub enabled: bool,
    /// The segment dimension that, with the acquisition quarter, makes a peer group.
    pub dimension: String,
    /// The weeks whose average weekly spend is compared (long enough that an occasional
    /// buyer's peers do not all show 0).
    pub window_weeks: usize,
    /// `below_peers` when recent spend is at least this far below the peers' median (%).
    pub below_pct: f64,
    /// High severity from this far below (%); medium above it.
    pub high_severity_pct: f64,
    /// Smaller peer groups give no baseline.
    pub min_group: usize,
}

impl Default for PeerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dimension: "value_tier".into(),
            window_weeks: 13,
            below_pct: -50.0,
            high_severity_pct: -75.0,
            min_group: 20,
        }
    }
}

/// Named date ranges that move expected spend: holidays, promotions, store closures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Calendar {
    pub events: Vec<CalendarEvent>,
}

/// One event: expected spend × `lift` in the weeks it overlaps, × `after_lift` for
/// `after_weeks` weeks after it (the dip after a promotion is not a gap; a promotion week
/// without its usual lift is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarEvent {
    pub name: String,
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    pub lift: f64,
    #[serde(default)]
    pub after_weeks: usize,
    #[serde(default = "one")]
    pub after_lift: f64,
}

fn one() -> f64 {
    1.0
}

/// Baseline / recent windows and the trend classification band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Windows {
    /// Number of leading weeks averaged into the baseline.
    pub baseline_weeks: usize,
    /// Number of trailing weeks averaged into the recent average (the original ignored this
    /// setting and reused `baseline_weeks`; here it is honoured).
    pub recent_weeks: usize,
    /// A trend above +band % is "growing", below −band % "declining", else "stable".
    pub trend_band_pct: f64,
    /// Which expected spend the recent weeks are compared with (see `engine::season`).
    pub baseline: BaselineChoice,
    /// Weeks before the recent window that give a customer's current level (trailing and
    /// seasonal baselines); also the fewest reference weeks a shortfall is judged on.
    pub level_weeks: usize,
    /// Weeks before the recent purchases whose purchases give a customer's usual level and
    /// spread when a shortfall is judged against the customer's own noise (model mode; at
    /// least `level_weeks` purchases are needed).
    pub reference_weeks: usize,
    /// Weight of the customer's own change a year earlier against the population's seasonal
    /// profile (seasonal baseline).
    pub own_season_weight: f64,
    /// A seasonal profile per segment of this dimension ("none": one profile for everyone).
    pub season_by: String,
    /// Customers' worth of weight the overall profile gets in a segment's profile: a segment
    /// of this size gets half its own pattern, a small one mostly the overall.
    pub season_shrink_customers: f64,
}

/// The baseline choice: `auto` takes the seasonal one when the data hold a year plus the
/// windows, else the original's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineChoice {
    Auto,
    Original,
    Trailing,
    Seasonal,
}

crate::choice!(BaselineChoice {
    Auto => "auto",
    Original => "original",
    Trailing => "trailing",
    Seasonal => "seasonal",
});

impl Windows {
    /// Weeks of history a customer needs before the rules judge them: both windows, apart.
    pub fn history_weeks_needed(&self) -> usize {
        self.baseline_weeks + self.recent_weeks
    }
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            baseline_weeks: 4,
            recent_weeks: 4,
            trend_band_pct: 5.0,
            baseline: BaselineChoice::Auto,
            level_weeks: 8,
            reference_weeks: 30,
            own_season_weight: 0.9,
            season_by: "value_tier".into(),
            season_shrink_customers: 500.0,
        }
    }
}

/// When a gap fires and how severe it is. All comparisons are strict (`<`), as in the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GapThresholds {
    /// declining_revenue fires when trend % < this.
    pub declining_revenue_pct: f64,
    /// below_baseline fires when the latest week is this % (or more) below baseline.
    pub below_baseline_pct: f64,
    /// zero_spend fires when at least this many of the recent weeks are exactly zero.
    pub zero_spend_weeks: usize,
    /// Gap % strictly below this is "high" severity.
    pub high_severity_pct: f64,
    /// Gap % strictly below this (and not high) is "medium"; anything else is "low".
    pub medium_severity_pct: f64,
    /// A recent week counts as "at risk" for a declining gap when its spend is below this
    /// fraction of baseline (the original's hard-coded 0.85).
    pub at_risk_spend_ratio: f64,
    /// Model mode: a shortfall is a gap only when the recent spend is at least this many
    /// standard errors of the customer's own noise below the expected spend (and beyond
    /// `declining_revenue_pct`, the floor), medium from here…
    pub shortfall_sigmas: f64,
    /// …and high from this many (and beyond `high_severity_pct`).
    pub shortfall_sigmas_high: f64,
}

impl Default for GapThresholds {
    fn default() -> Self {
        Self {
            declining_revenue_pct: -15.0,
            below_baseline_pct: -20.0,
            zero_spend_weeks: 2,
            high_severity_pct: -30.0,
            medium_severity_pct: -15.0,
            at_risk_spend_ratio: 0.85,
            shortfall_sigmas: 2.0,
            shortfall_sigmas_high: 3.0,
        }
    }
}

/// The rule-based churn score, in integer points out of 100 so that sums are exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChurnRules {
    /// Points when the zero_spend condition holds (recent zero weeks ≥ `gaps.zero_spend_weeks`).
    pub zero_spend_points: u32,
    /// Points when trend % < `strong_decline_pct`.
    pub strong_decline_points: u32,
    pub strong_decline_pct: f64,
    /// Points when trend % < `mild_decline_pct` (and not strong).
    pub mild_decline_points: u32,
    pub mild_decline_pct: f64,
    /// Points when recent / baseline < `significant_decline_ratio`.
    pub significant_decline_points: u32,
    pub significant_decline_ratio: f64,
    /// Score (points) at or above which a customer is listed as a churn risk (0.30).
    pub risk_points: u32,
    /// Score (points) at or above which a customer is a *high* churn risk (0.70).
    pub high_risk_points: u32,
    /// Probability mapping: the first band whose `min_points` the score reaches wins.
    pub probability_bands: Vec<ProbabilityBand>,
}

/// One row of the score → probability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbabilityBand {
    pub min_points: u32,
    pub probability: f64,
}

impl ChurnRules {
    /// The probability band a score (in points) falls in.
    pub fn probability_of(&self, points: u32) -> f64 {
        self.probability_bands
            .iter()
            .find(|band| points >= band.min_points)
            .map_or(0.0, |band| band.probability)
    }
}

impl Default for ChurnRules {
    fn default() -> Self {
        Self {
            zero_spend_points: 40,
            strong_decline_points: 30,
            strong_decline_pct: -20.0,
            mild_decline_points: 15,
            mild_decline_pct: -10.0,
            significant_decline_points: 30,
            significant_decline_ratio: 0.5,
            risk_points: 30,
            high_risk_points: 70,
            probability_bands: vec![
                ProbabilityBand {
                    min_points: 70,
                    probability: 0.75,
                },
                ProbabilityBand {
                    min_points: 50,
                    probability: 0.50,
                },
                ProbabilityBand {
                    min_points: 30,
                    probability: 0.25,
                },
                ProbabilityBand {
                    min_points: 0,
                    probability: 0.10,
                },
            ],
        }
    }
}

/// Opportunity sizing (weeks of recovered spend) and the recovery-probability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpportunityRules {
    /// zero_spend → win_back: baseline × this.
    pub win_back_weeks: f64,
    /// declining + high → retention: |gap| × this.
    pub retention_high_weeks: f64,
    /// declining + medium/low → retention: |gap| × this.
    pub retention_weeks: f64,
    /// below_baseline → re_engagement: |gap| × this.
    pub re_engagement_weeks: f64,
    /// Recovery-probability factor (0–10) per opportunity.
    pub recovery_win_back: f64,
    pub recovery_retention_high: f64,
    pub recovery_retention: f64,
    pub recovery_re_engagement: f64,
}

impl Default for OpportunityRules {
    fn default() -> Self {
        Self {
            win_back_weeks: 4.0,
            retention_high_weeks: 4.0,
            retention_weeks: 2.0,
            re_engagement_weeks: 4.0,
            recovery_win_back: 6.0,
            recovery_retention_high: 8.0,
            recovery_retention: 7.0,
            recovery_re_engagement: 6.0,
        }
    }
}

/// Weights of the four priority factors (each factor is on a 0–10 scale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringWeights {
    pub revenue_impact: f64,
    pub churn_risk: f64,
    pub customer_value: f64,
    pub recovery_probability: f64,
}

impl Default for ScoringWeights {
    fn default() -> Self {
        Self {
            revenue_impact: 0.35,
            churn_risk: 0.30,
            customer_value: 0.20,
            recovery_probability: 0.15,
        }
    }
}

/// How many entries the reports list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Customers in the markdown "Top Priority Customers" section.
    pub top_customers: usize,
    /// Customers in the markdown "High Churn Risk" section.
    pub top_churn: usize,
    /// `--since-last`: a gap that grew by this share or more (or became more severe) has
    /// worsened.
    pub worsened_gap_share: f64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            top_customers: 10,
            top_churn: 10,
            worsened_gap_share: 0.10,
        }
    }
}

/// Where the churn probability comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnModel {
    /// The original's point rules and its fixed gap rules (reproduces the original).
    Rules,
    /// The default: the churn probability learned on BG/NBD features (or BG/NBD P(no
    /// purchase in the horizon)), gaps judged against each customer's rhythm; where BG/NBD
    /// cannot describe the data, the learned model without it (see `model::decide`).
    Bgnbd,
    /// The churn probability learned from recency, frequency, age and spend alone, without
    /// BG/NBD (what the default falls back to; asked for, it is used on any data).
    Logistic,
}

impl crate::choice::Choice for ChurnModel {
    const ALL: &'static [Self] = &[Self::Rules, Self::Bgnbd, Self::Logistic];

    fn name(self) -> &'static str {
        match self {
            Self::Rules => "rules",
            Self::Bgnbd => "bgnbd",
            Self::Logistic => "logistic",
        }
    }

    fn help(self) -> Option<&'static str> {
        Some(match self {
            Self::Rules => {
                "the original's point rules and its fixed gap rules (reproduces the original)"
            }
            Self::Bgnbd => {
                "the default: the churn probability learned on BG/NBD features, gaps judged against each customer's rhythm; where BG/NBD cannot describe the data, the learned model without it"
            }
            Self::Logistic => {
                "the churn probability learned from recency, frequency, age and spend alone, without BG/NBD"
            }
        })
    }
}

crate::choice_traits!(ChurnModel);

/// The predictive layer inside the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSettings {
    pub churn_model: ChurnModel,
    /// Weeks ahead for P(no purchase) and revenue at risk (the original's
    /// prediction_horizon_weeks).
    pub horizon_weeks: f64,
    /// Central probability of the revenue-at-risk interval.
    pub interval: f64,
    /// Parameter draws for the interval (parametric bootstrap).
    pub bootstrap_draws: u32,
    /// With the model in use: a quiet spell is a gap from this churn probability on.
    pub flag_probability: f64,
    /// With the model in use: severity is high from this churn probability, medium from the
    /// next, low below.
    pub high_risk_probability: f64,
    pub medium_risk_probability: f64,
    /// With the model in use: declines are judged only for customers expected to buy at least
    /// this often in the recent window (fewer purchases cannot show a decline).
    pub min_expected_purchases: f64,
    /// Churn probabilities are recalibrated (a Platt map learned on a split one horizon
    /// before the data's end) when their decile calibration error there is above this.
    pub recalibrate_above: f64,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            churn_model: ChurnModel::Bgnbd,
            horizon_weeks: 4.0,
            interval: 0.9,
            bootstrap_draws: 200,
            flag_probability: 0.5,
            high_risk_probability: 0.7,
            medium_risk_probability: 0.4,
            min_expected_purchases: 2.0,
            recalibrate_above: 0.05,
        }
    }
}

/// How customers are segmented (see `segment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentSettings {
    /// Value tiers by total spend: below the first quantile "low", from it "medium", from the
    /// second "high".
    pub value_tier_quantiles: [f64; 2],
    /// Fixed spend amounts instead of quantiles: [medium from, high from].
    pub value_tier_amounts: Option<[f64; 2]>,
    /// Weeks without a purchase after which a customer is "lapsed" (and, having come back
    /// after such a pause, "reactivated").
    pub lapsed_weeks: usize,
    /// Below this model P(alive) a customer who still buys is "at risk".
    pub at_risk_p_alive: f64,
    /// First ages of the age bands.
    pub age_band_starts: Vec<u32>,
    /// Share of weeks with a purchase from which a customer is weekly, regular, occasional.
    pub frequency_band_shares: [f64; 3],
    /// Extra customer columns to segment by in every report (e.g. ["region"]).
    pub extra_dimensions: Vec<String>,
    /// With two years of data: a customer whose spend correlates with the seasonal profile at
    /// least this much is a "seasonal shopper".
    pub seasonal_correlation: f64,
    /// Gap thresholds for particular segments (the first matching rule applies).
    pub rules: Vec<SegmentRule>,
}

/// Gap thresholds for the customers of one segment, e.g. a tighter decline threshold for the
/// high-value tier: `[[segments.rules]] dimension = "value_tier", label = "high",
/// declining_revenue_pct = -10.0`. Thresholds left out keep the `[gaps]` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    pub dimension: String,
    pub label: String,
    pub declining_revenue_pct: Option<f64>,
    pub below_baseline_pct: Option<f64>,
    pub zero_spend_weeks: Option<usize>,
    /// Recommended actions for this segment's opportunities, instead of the defaults (e.g.
    /// `["personal_call", "reactivation_offer"]` for lapsed members).
    pub actions: Option<Vec<String>>,
}

impl SegmentRule {
    /// The `[gaps]` thresholds with this rule's overrides.
    pub fn thresholds(&self, gaps: &GapThresholds) -> GapThresholds {
        GapThresholds {
            declining_revenue_pct: self
                .declining_revenue_pct
                .unwrap_or(gaps.declining_revenue_pct),
            below_baseline_pct: self.below_baseline_pct.unwrap_or(gaps.below_baseline_pct),
            zero_spend_weeks: self.zero_spend_weeks.unwrap_or(gaps.zero_spend_weeks),
            ..gaps.clone()
        }
    }

    /// "value_tier = high: decline below -10%": what the rationale says applied.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(pct) = self.declining_revenue_pct {
            parts.push(format!("decline below {pct}%"));
        }
        if let Some(pct) = self.below_baseline_pct {
            parts.push(format!("latest week below {pct}%"));
        }
        if let Some(weeks) = self.zero_spend_weeks {
            parts.push(format!("{weeks} zero weeks"));
        }
        if self.actions.is_some() {
            parts.push("its own actions".into());
        }
        format!("{} = {}: {}", self.dimension, self.label, parts.join(", "))
    }
}

impl Default for SegmentSettings {
    fn default() -> Self {
        Self {
            value_tier_quantiles: [0.5, 0.8],
            value_tier_amounts: None,
            lapsed_weeks: 8,
            at_risk_p_alive: 0.5,
            age_band_starts: vec![25, 35, 45, 55, 65],
            frequency_band_shares: [0.75, 0.4, 0.15],
            extra_dimensions: Vec::new(),
            seasonal_correlation: 0.4,
            rules: Vec::new(),
        }
    }
}

/// Which request field carries the output-token limit: OpenAI honours
/// `max_completion_tokens`; llama.cpp-based servers honour only `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    MaxTokens,
    MaxCompletionTokens,
}

/// The OpenAI-compatible endpoint for generated narratives. `OPENAI_BASE_URL`,
/// `REVGAP_LLM_MODEL` and the variable named by `api_key_env` override the file; command-line
/// flags override those.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    pub enabled: bool,
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key (the key itself is never stored).
    pub api_key_env: String,
    pub temperature: f64,
    pub max_output_tokens: u32,
    pub token_limit_field: TokenLimitField,
    /// Whole request, connect, and longest silence between streamed chunks.
    pub timeout_s: f64,
    pub connect_timeout_s: f64,
    pub idle_timeout_s: f64,
    /// Retries on 429, 5xx and connection errors (honouring Retry-After).
    pub max_retries: u32,
    /// The customer attributes a prompt may carry, by column name (age, household_size,
    /// loyalty_member, or an extra column of the customers file). Unset: all of them except
    /// names and free text (a column whose name says name, e-mail, phone, address, note,
    /// comment, description or text).
    pub prompt_attributes: Option<Vec<String>>,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            temperature: 0.3,
            max_output_tokens: 220,
            token_limit_field: TokenLimitField::MaxTokens,
            timeout_s: 60.0,
            connect_timeout_s: 5.0,
            idle_timeout_s: 20.0,
            max_retries: 3,
            prompt_attributes: None,
        }
    }
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read config: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: invalid config: {message}")]
    Parse { path: String, message: TomlError },
    #[error("{path}: invalid config: {message}")]
    Invalid { path: String, message: InvalidValue },
}

/// TOML that does not read as a configuration (a syntax error, an unknown key, a wrong
/// type), in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TomlError(pub String);

/// The first configured value without meaning: its key and one line naming the value and
/// what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    pub key: String,
    pub message: String,
}

/// Windows longer than the data they are to run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "windows.baseline_weeks + windows.recent_weeks = {needed} weeks, longer than the data's {weeks} weeks; expected at most {weeks}"
)]
pub struct WindowsTooLong {
    pub needed: usize,
    pub weeks: usize,
}

impl Config {
    /// Loads a TOML file; keys it leaves out keep their defaults.
    pub fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        crate::atomic::protect(path, "the config file");
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::from_toml_str(&text)
            .map_err(|message| ConfigError::Parse {
                path: shown.clone(),
                message,
            })?
            .validated()
            .map_err(|message| ConfigError::Invalid {
                path: shown,
                message,
            })
    }

    /// Parses TOML text; the error is a single line.
    pub fn from_toml_str(text: &str) -> Result<Self, TomlError> {
        toml::from_str(text)
            .map_err(|e| TomlError(e.to_string().lines().collect::<Vec<_>>().join(" ")))
    }

    /// Checks windows the user chose against the data they will run on (known only after
    /// loading). The default windows never fail: on data shorter than they need, every
    /// customer is reported as new instead.
    pub fn check_data_weeks(&self, weeks: usize) -> Result<(), WindowsTooLong> {
        let needed = self.windows.history_weeks_needed();
        if needed > weeks && self.windows != Windows::default() {
            return Err(WindowsTooLong { needed, weeks });
        }
        Ok(())
    }

    /// Sum of the four scoring weights (the score's maximum is 10 × this).
    pub fn weight_total(&self) -> f64 {
        let w = &self.scoring;
        w.revenue_impact + w.churn_risk + w.customer_value + w.recovery_probability
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_toml_keeps_other_defaults() {
        let cfg = Config::from_toml_str("[gaps]\ndeclining_revenue_pct = -25.0\n").unwrap();
        assert_eq!(cfg.gaps.declining_revenue_pct, -25.0);
        assert_eq!(cfg.gaps.below_baseline_pct, -20.0);
        assert_eq!(cfg.scoring, ScoringWeights::default());
    }

    #[test]
    fn unknown_key_is_rejected_with_its_name() {
        let err = Config::from_toml_str("[gaps]\ndeclining_threshold = -25.0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("declining_threshold"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn defaults_are_the_originals_numbers() {
        let cfg = Config::default();
        assert_eq!(cfg.windows.baseline_weeks, 4);
        assert_eq!(cfg.gaps.high_severity_pct, -30.0);
        assert_eq!(cfg.churn.zero_spend_points, 40);
        assert!((cfg.weight_total() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn zero_window_is_invalid() {
        let mut cfg = Config::default();
        cfg.windows.recent_weeks = 0;
        assert!(cfg.validated().is_err());
    }
}
