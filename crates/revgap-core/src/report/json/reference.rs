//! The customer record as serde structs: the schema's reference model (tests only). Reports
//! write records with `record::write_customer`, without intermediate values; the tests check
//! its bytes against serde_json's of these, and use `sample` as data.

use crate::engine::{CustomerInsight, Gap};
use crate::report::ReportContext;
use crate::report::format::round;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub(crate) struct GapOut {
    #[serde(rename = "type")]
    kind: &'static str,
    severity: &'static str,
    gap_amount: f64,
    gap_pct: f64,
    current: f64,
    expected: f64,
    weeks_at_risk: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    sigmas: Option<f64>,
}

#[derive(Serialize)]
pub(crate) struct ChurnOut {
    score: f64,
    probability: f64,
    factors: Vec<&'static str>,
    weeks_since_last_purchase: usize,
}

#[derive(Serialize)]
pub(crate) struct OpportunityOut {
    #[serde(rename = "type")]
    kind: &'static str,
    potential_revenue: f64,
    actions: Vec<String>,
    /// For the customer success team: the model's grounded "Next step" sentence, else the
    /// rule-based next step.
    description: String,
    description_source: &'static str,
    /// Present when a learned recovery factor replaced the configured one.
    #[serde(skip_serializing_if = "Option::is_none")]
    learned_recovery: Option<LearnedOut>,
}

#[derive(Serialize)]
pub(crate) struct LearnedOut {
    /// Measured incremental recovery probability (treated − control).
    lift: f64,
    /// "tier" (the customer's value tier had enough treated members) or "pooled".
    basis: crate::engine::learned::LiftBasis,
    n_treated: usize,
    campaigns: usize,
    default_factor: f64,
    /// |gap| × lift: expected incremental weekly recovery, what campaigns target by.
    expected_incremental_recovery: f64,
}

#[derive(Serialize)]
pub(crate) struct SpendOut {
    total_revenue: f64,
    baseline_avg: f64,
    recent_avg: f64,
    latest_week: f64,
    trend_pct: f64,
    trend: crate::engine::Trend,
}

#[derive(Serialize)]
pub(crate) struct NarrativeOut {
    /// Present with `--with-rationale` (or `--llm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_step: Option<String>,
    source: &'static str,
    grounding: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback_reason: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct CustomerOut<'a> {
    customer_id: &'a str,
    rank: Option<usize>,
    priority_score: f64,
    primary_gap: Option<GapOut>,
    secondary_gaps: Vec<GapOut>,
    churn: ChurnOut,
    opportunity: Option<OpportunityOut>,
    score_factors: Option<BTreeMap<&'static str, f64>>,
    spend: SpendOut,
    attributes: BTreeMap<String, serde_json::Value>,
    rationale: NarrativeOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    prediction: Option<PredictionOut>,
    /// Label per segment dimension (value_tier, lifecycle, rfm, …).
    segments: BTreeMap<&'a str, &'a str>,
    /// Expected spend over the next `model.horizon_weeks` weeks with its interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    forecast: Option<ForecastOut>,
    /// Which expected-spend baseline the gap rules compared against.
    baseline_kind: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ForecastOut {
    weeks: usize,
    expected: f64,
    low: f64,
    high: f64,
    interval: f64,
}

#[derive(Serialize)]
pub(crate) struct PredictionOut {
    horizon_weeks: f64,
    p_alive: f64,
    p_no_purchase: f64,
    churn_probability: f64,
    expected_purchases: f64,
    expected_spend: f64,
    expected_spend_low: f64,
    expected_spend_high: f64,
    revenue_at_risk: f64,
    revenue_at_risk_low: f64,
    revenue_at_risk_high: f64,
}

pub(crate) fn gap_out(gap: &Gap) -> GapOut {
    GapOut {
        kind: gap.kind.key(),
        severity: gap.severity.key(),
        gap_amount: round(gap.gap_amount, 2),
        gap_pct: gap.gap_pct,
        current: round(gap.current, 2),
        expected: round(gap.expected, 2),
        weeks_at_risk: gap.weeks_at_risk,
        sigmas: gap.sigmas,
    }
}

pub(crate) fn customer_out<'a>(
    context: &'a ReportContext,
    insight: &CustomerInsight,
    with_rationale: bool,
) -> CustomerOut<'a> {
    let profile = &insight.profile;
    let mut attributes = BTreeMap::new();
    if let Some(found) = context.profile(insight.customer) {
        attributes.insert("age".into(), serde_json::json!(found.age));
        attributes.insert(
            "household_size".into(),
            serde_json::json!(found.household_size),
        );
        attributes.insert(
            "loyalty_member".into(),
            serde_json::json!(found.loyalty_member),
        );
        for (name, value) in context.dataset.extra_columns.iter().zip(found.extra.iter()) {
            attributes.insert(name.clone(), serde_json::json!(value));
        }
    }
    CustomerOut {
        segments: context.analysis.segments.of(insight.customer).collect(),
        forecast: context
            .analysis
            .season
            .forecast(
                insight.customer,
                &context.dataset.weeks_of(insight.customer),
                context.config,
                context.config.model.horizon_weeks.round().max(1.0) as usize,
                context.config.model.interval,
            )
            .map(|f| ForecastOut {
                weeks: f.weeks,
                expected: round(f.expected, 2),
                low: round(f.low, 2),
                high: round(f.high, 2),
                interval: context.config.model.interval,
            }),
        baseline_kind: context.analysis.season.kind().key(),
        customer_id: &context.dataset.customer_ids[insight.customer],
        rank: insight.rank,
        priority_score: insight.priority_score,
        primary_gap: insight.primary_gap.as_ref().map(gap_out),
        secondary_gaps: insight.secondary_gaps.iter().map(gap_out).collect(),
        churn: ChurnOut {
            score: insight.churn.score(),
            probability: insight.churn.probability,
            factors: insight.churn.factors.iter().map(|f| f.key()).collect(),
            weeks_since_last_purchase: insight.churn.weeks_since_last_purchase,
        },
        opportunity: insight.opportunity.as_ref().map(|o| {
            let (description, source) = context.opportunity_description(insight);
            OpportunityOut {
                kind: o.kind.key(),
                potential_revenue: round(o.potential_revenue, 2),
                actions: o.actions.clone(),
                description,
                description_source: source.key(),
                learned_recovery: insight.learned_recovery.as_ref().map(|note| LearnedOut {
                    lift: note.lift.lift,
                    basis: note.lift.basis,
                    n_treated: note.lift.n_treated,
                    campaigns: note.lift.campaigns,
                    default_factor: note.default_factor,
                    expected_incremental_recovery: round(
                        note.lift.expected_recovery(insight.gap_size()),
                        2,
                    ),
                }),
            }
        }),
        score_factors: insight.score.map(|factors| {
            factors
                .rows(context.config)
                .iter()
                .map(|(name, value, _)| (*name, *value))
                .collect()
        }),
        spend: SpendOut {
            total_revenue: round(profile.total_revenue, 2),
            baseline_avg: round(profile.baseline_avg, 2),
            recent_avg: round(profile.recent_avg, 2),
            latest_week: round(profile.latest_week, 2),
            trend_pct: profile.trend_pct,
            trend: profile.trend,
        },
        attributes,
        prediction: insight.prediction.map(|p| PredictionOut {
            horizon_weeks: p.horizon_weeks,
            p_alive: p.p_alive,
            p_no_purchase: p.p_no_purchase,
            churn_probability: p.churn_probability,
            expected_purchases: p.expected_purchases,
            expected_spend: round(p.expected_spend, 2),
            expected_spend_low: round(p.expected_spend_low, 2),
            expected_spend_high: round(p.expected_spend_high, 2),
            revenue_at_risk: round(p.revenue_at_risk, 2),
            revenue_at_risk_low: round(p.revenue_at_risk_low, 2),
            revenue_at_risk_high: round(p.revenue_at_risk_high, 2),
        }),
        rationale: {
            let shown = context.rationale_shown(insight, with_rationale);
            NarrativeOut {
                text: with_rationale.then_some(shown.text),
                next_step: with_rationale.then(|| crate::narrative::rules::next_step(insight)),
                source: shown.source.key(),
                grounding: shown.grounding,
                fallback_reason: shown.fallback_reason,
            }
        },
    }
}

/// A generated panel of `customers` × 12 weeks, analysed with the default configuration.
pub(crate) fn sample(
    customers: usize,
    seed: u64,
) -> (
    crate::data::Dataset,
    crate::config::Config,
    crate::engine::Analysis,
) {
    let dataset = crate::data::generate::in_memory(&crate::data::generate::GenerateOptions {
        customers,
        weeks: 12,
        seed,
        ..Default::default()
    });
    let config = crate::config::Config::default();
    let analysis = crate::engine::analyze(&dataset, &config);
    (dataset, config, analysis)
}
