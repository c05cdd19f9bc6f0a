//! What the numbers mean, in one place: the markdown report's methodology and the explorer's
//! field help (`?`) both read their definitions from here, with the configuration's own
//! thresholds and weights, so the two can never say different things.

use crate::config::Config;
use crate::engine::Analysis;

/// Baseline and recent windows.
pub fn windows(config: &Config) -> String {
    format!(
        "**Baseline:** mean weekly spend of the first {} weeks; **recent:** mean of the last {} weeks.",
        config.windows.baseline_weeks, config.windows.recent_weeks
    )
}

/// When each gap fires, and its severity.
pub fn gaps(config: &Config) -> String {
    let gaps = &config.gaps;
    format!(
        "**Gaps:** declining revenue when the trend is below {:.1}%; below baseline when the latest week is more than {:.1}% under baseline; zero spend with at least {} zero weeks in the recent window. Severity: high below {:.1}%, medium below {:.1}%.",
        gaps.declining_revenue_pct,
        -gaps.below_baseline_pct,
        gaps.zero_spend_weeks,
        gaps.high_severity_pct,
        gaps.medium_severity_pct
    )
}

/// One insight per customer.
pub const ONE_INSIGHT: &str = "**One insight per customer:** the largest gap is primary, the others are secondary signals; totals count each customer once.";

/// What the priority score is made of, with the weights in use and where the recovery factor
/// comes from.
pub fn priority(config: &Config, analysis: &Analysis) -> String {
    let weights = &config.scoring;
    let recovery_basis = match analysis.learned.as_deref() {
        Some(learned) => format!(
            "learned from {} measured campaign(s): 10 × the measured incremental recovery of the customer's value tier, else of all measured members ({:+.1} pp); --no-learning uses the table by opportunity type",
            learned.campaigns,
            learned.pooled_lift * 100.0
        ),
        None => "by opportunity type".to_string(),
    };
    let churn_basis = if analysis.models.is_some() || analysis.learned_churn.is_some() {
        "10 × the model's churn probability"
    } else {
        "churn points / 10"
    };
    format!(
        "**Priority score (0–10):** revenue impact {:.2} (percentile of the gap in dollars), churn risk {:.2} ({churn_basis}), customer value {:.2} (percentile of total spend), recovery probability {:.2} ({recovery_basis}); ties broken by gap size, churn, then id.",
        weights.revenue_impact,
        weights.churn_risk,
        weights.customer_value,
        weights.recovery_probability
    )
}

/// The gap per week.
pub fn gap_per_week(config: &Config) -> String {
    if config.model.churn_model != crate::config::ChurnModel::Rules {
        return format!(
            "**Gap per week:** how far below its expected level the primary gap's spend is, in the data's currency per week: for a shortfall, the recent weeks against what this customer usually spends (their own level over the {} weeks before, adjusted for season and their own yearly pattern), flagged only when at least {:.1} standard deviations of their own week-to-week variation below it; for a quiet customer, the latest week against their usual spend before the spell; for below peers, the recent weeks against the peers' median. Totals count each customer's primary gap once.",
            config.windows.reference_weeks, config.gaps.shortfall_sigmas
        );
    }
    format!(
        "**Gap per week:** how far below its expected level the primary gap's spend is, in the data's currency per week: the recent {}-week average against the baseline for a declining customer, the latest week against the baseline for below baseline and zero spend. Totals count each customer's primary gap once.",
        config.windows.recent_weeks
    )
}

/// The churn probability, by the model that produced it.
pub fn churn(config: &Config, analysis: &Analysis) -> String {
    let rules = format!(
        "the rules: churn points (zero-spend weeks, declining trend, significant decline, weeks since the last purchase) mapped to a probability; a risk from {:.2} rule score, high from {:.2}",
        f64::from(config.churn.risk_points) / 100.0,
        f64::from(config.churn.high_risk_points) / 100.0
    );
    let horizon = config.model.horizon_weeks;
    // In plain words: whether the probabilities held up on this data's own earlier weeks.
    let checked = analysis
        .recalibration
        .as_ref()
        .map_or(String::new(), |check| {
            format!(
                " This data's own check (the same model one horizon before the end, against what followed): {}.",
                check.describe(config.model.recalibrate_above)
            )
        });
    let text = match analysis.churn_model.as_str() {
        "bgnbd" => format!(
            "**Churn probability:** the chance of no purchase in the next {horizon} weeks, from the BG/NBD model fitted on this data; {rules} when the model is not used."
        ),
        "bgnbd+logistic" => format!(
            "**Churn probability:** the chance of no purchase in the next {horizon} weeks, from a logistic model learned on this data's own earlier weeks (recency, frequency, customer age, spend and the BG/NBD P(alive)), checked for calibration by `revgap backtest`; {rules} when the model is not used."
        ),
        "logistic" => format!(
            "**Churn probability:** the chance of no purchase in the next {horizon} weeks, from a logistic model learned on this data's own earlier weeks (recency, frequency, customer age, spend), checked for calibration by `revgap backtest`; {rules} when the model is not used."
        ),
        _ => format!("**Churn probability:** from {rules}."),
    };
    format!("{text}{checked}")
}

/// The opportunity's potential revenue, with the weeks the configuration counts (the sizing
/// `engine::opportunity::Sizing` applies).
pub fn potential(config: &Config) -> String {
    let rules = &config.opportunity;
    format!(
        "**Potential revenue:** the revenue a successful action would recover, from the primary gap: a customer who stopped buying (win back) is worth their expected weekly spend × {} weeks; a severe decline (retention) the weekly gap × {} weeks, a milder one × {}; spend below the baseline or the peers (re-engagement) the gap × {} weeks. A campaign's control group measures how much of it comes back.",
        rules.win_back_weeks,
        rules.retention_high_weeks,
        rules.retention_weeks,
        rules.re_engagement_weeks
    )
}

/// Segments, with the value tiers' real split.
pub fn segments(config: &Config) -> String {
    let tiers = match config.segments.value_tier_amounts {
        Some([medium, high]) => format!(
            "total spend below {} low, from it medium, from {} high",
            crate::text::money(medium),
            crate::text::money(high)
        ),
        None => {
            let [low, high] = config.segments.value_tier_quantiles;
            format!(
                "the top {:.0} % of customers by total spend high, the next {:.0} % medium, the other {:.0} % low",
                (1.0 - high) * 100.0,
                (high - low) * 100.0,
                low * 100.0
            )
        }
    };
    format!(
        "**Segments:** value tier: {tiers}; lifecycle by recency and trend; RFM by recency, frequency and spend; each customer has one label per dimension."
    )
}
