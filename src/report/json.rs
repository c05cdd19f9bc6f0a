//! The JSON report. Its field names are a stable, documented schema (README, "JSON schema");
//! add fields, never rename or remove them. Money is rounded to cents, percentages to 0.01,
//! scores to 0.0001 at output time only.

use super::ReportContext;
use super::format::round;
use crate::data::LoadReport;
use crate::engine::{CustomerInsight, Gap, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Bumped only on an incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything but the customers: written first in JSON, last in JSON lines.
#[derive(Serialize)]
struct Head<'a> {
    schema_version: u32,
    generated_at: &'a str,
    source: &'a str,
    weeks: usize,
    summary: SummaryOut,
    /// What measured campaigns taught this analysis (absent without learning).
    #[serde(skip_serializing_if = "Option::is_none")]
    learning: Option<&'a crate::engine::learned::LearnedRecovery>,
    load: &'a LoadReport,
}

#[derive(Serialize)]
struct SummaryOut {
    customers_analyzed: usize,
    customers_with_gaps: usize,
    gaps_total: usize,
    gaps_by_type: BTreeMap<&'static str, usize>,
    high_severity_gaps: usize,
    churn_risk_customers: usize,
    high_churn_risk_customers: usize,
    total_revenue_gap: f64,
    potential_recovery_revenue: f64,
    skipped_rows: u64,
    as_of: Option<String>,
    churn_model: String,
    new_customers: usize,
    value_unit: crate::text::ValueUnit,
    baseline_kind: &'static str,
}

#[derive(Serialize)]
struct GapOut {
    #[serde(rename = "type")]
    kind: &'static str,
    severity: &'static str,
    gap_amount: f64,
    gap_pct: f64,
    current: f64,
    expected: f64,
    weeks_at_risk: usize,
}

#[derive(Serialize)]
struct ChurnOut {
    score: f64,
    probability: f64,
    factors: Vec<&'static str>,
    weeks_since_last_purchase: usize,
}

#[derive(Serialize)]
struct OpportunityOut {
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
struct LearnedOut {
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
struct SpendOut {
    total_revenue: f64,
    baseline_avg: f64,
    recent_avg: f64,
    latest_week: f64,
    trend_pct: f64,
    trend: crate::engine::Trend,
}

#[derive(Serialize)]
struct NarrativeOut {
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
struct CustomerOut<'a> {
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
struct ForecastOut {
    weeks: usize,
    expected: f64,
    low: f64,
    high: f64,
    interval: f64,
}

#[derive(Serialize)]
struct PredictionOut {
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

fn gap_out(gap: &Gap) -> GapOut {
    GapOut {
        kind: gap.kind.key(),
        severity: gap.severity.key(),
        gap_amount: round(gap.gap_amount, 2),
        gap_pct: round(gap.gap_pct, 2),
        current: round(gap.current, 2),
        expected: round(gap.expected, 2),
        weeks_at_risk: gap.weeks_at_risk,
    }
}

fn summary_out(summary: &Summary) -> SummaryOut {
    SummaryOut {
        customers_analyzed: summary.customers_analyzed,
        customers_with_gaps: summary.customers_with_gaps,
        gaps_total: summary.gaps_total,
        gaps_by_type: summary.gaps_by_type.clone(),
        high_severity_gaps: summary.high_severity_gaps,
        churn_risk_customers: summary.churn_risk_customers,
        high_churn_risk_customers: summary.high_churn_risk_customers,
        total_revenue_gap: round(summary.total_revenue_gap, 2),
        potential_recovery_revenue: round(summary.potential_recovery_revenue, 2),
        skipped_rows: summary.skipped_rows,
        as_of: summary.as_of.map(|d| d.to_string()),
        churn_model: summary.churn_model.clone(),
        new_customers: summary.new_customers,
        value_unit: summary.value_unit,
        baseline_kind: summary
            .baseline_kind
            .unwrap_or(crate::engine::season::BaselineKind::Original)
            .key(),
    }
}

fn customer_out<'a>(
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
        priority_score: round(insight.priority_score, 4),
        primary_gap: insight.primary_gap.as_ref().map(gap_out),
        secondary_gaps: insight.secondary_gaps.iter().map(gap_out).collect(),
        churn: ChurnOut {
            score: insight.churn.score(),
            probability: round(insight.churn.probability, 4),
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
                    lift: round(note.lift.lift, 4),
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
                .map(|(name, value, _)| (*name, round(*value, 4)))
                .collect()
        }),
        spend: SpendOut {
            total_revenue: round(profile.total_revenue, 2),
            baseline_avg: round(profile.baseline_avg, 2),
            recent_avg: round(profile.recent_avg, 2),
            latest_week: round(profile.latest_week, 2),
            trend_pct: round(profile.trend_pct, 2),
            trend: profile.trend,
        },
        attributes,
        prediction: insight.prediction.map(|p| PredictionOut {
            horizon_weeks: p.horizon_weeks,
            p_alive: round(p.p_alive, 4),
            p_no_purchase: round(p.p_no_purchase, 4),
            churn_probability: round(p.churn_probability, 4),
            expected_purchases: round(p.expected_purchases, 4),
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

fn head<'a>(context: &'a ReportContext) -> Head<'a> {
    Head {
        schema_version: SCHEMA_VERSION,
        generated_at: &context.generated_at,
        source: &context.dataset.source,
        weeks: context.dataset.week_count(),
        summary: summary_out(&context.analysis.summary),
        learning: context.analysis.learned.as_deref(),
        load: &context.dataset.load,
    }
}

/// Keeps an I/O error's kind (a closed pipe must stay a closed pipe).
fn to_io(error: serde_json::Error) -> std::io::Error {
    std::io::Error::from(error)
}

/// Streams the JSON document: the head's fields, then `"customers"`, one customer at a time.
/// The bytes are exactly serde_json's for the whole document (compact or pretty).
pub fn write(
    context: &ReportContext,
    parts: &mut super::Parts,
    options: super::Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let head = head(context);
    let text = if options.pretty {
        serde_json::to_string_pretty(&head)
    } else {
        serde_json::to_string(&head)
    }
    .map_err(to_io)?;
    // The head is an object: reopen it before its closing brace.
    let open = text
        .strip_suffix(if options.pretty { "\n}" } else { "}" })
        .ok_or_else(|| std::io::Error::other("unexpected JSON head"))?;
    out.write_all(open.as_bytes())?;
    out.write_all(if options.pretty {
        b",\n  \"customers\": ["
    } else {
        b",\"customers\":["
    })?;
    let mut written = 0;
    parts(&mut |context| {
        super::write_in_rounds(context.customers, out, |position, customer, bytes| {
            let insight = context.analysis.insight(context.dataset, customer);
            let value = customer_out(context, &insight, options.with_rationale);
            let position = written + position;
            if options.pretty {
                bytes.extend_from_slice(if position == 0 { b"\n" } else { b",\n" });
                let text = serde_json::to_string_pretty(&value).map_err(to_io)?;
                for (number, line) in text.split('\n').enumerate() {
                    if number > 0 {
                        bytes.push(b'\n');
                    }
                    bytes.extend_from_slice(b"    ");
                    bytes.extend_from_slice(line.as_bytes());
                }
            } else {
                if position > 0 {
                    bytes.push(b',');
                }
                serde_json::to_writer(&mut *bytes, &value).map_err(to_io)?;
            }
            Ok(())
        })?;
        written += context.customers.len();
        Ok(())
    })?;
    let close: &[u8] = match (options.pretty, written == 0) {
        (true, false) => b"\n  ]\n}\n",
        (true, true) => b"]\n}\n",
        (false, _) => b"]}\n",
    };
    out.write_all(close)
}

/// Streams JSON lines: one compact customer per line, then the head as the last line (the
/// one with `"summary"`), so a pipeline sees customers at once and the totals at the end.
pub fn write_lines(
    context: &ReportContext,
    parts: &mut super::Parts,
    options: super::Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    parts(&mut |context| {
        super::write_in_rounds(context.customers, out, |_, customer, bytes| {
            let insight = context.analysis.insight(context.dataset, customer);
            serde_json::to_writer(
                &mut *bytes,
                &customer_out(context, &insight, options.with_rationale),
            )
            .map_err(to_io)?;
            bytes.push(b'\n');
            Ok(())
        })
    })?;
    serde_json::to_writer(&mut *out, &head(context)).map_err(to_io)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Options, ReportContext};

    /// The streamed document is byte for byte what serde_json makes of the whole, in both
    /// layouts and with or without customers.
    #[test]
    fn streaming_equals_the_whole_document() {
        let dataset = crate::data::generate::in_memory(&crate::data::generate::GenerateOptions {
            customers: 60,
            weeks: 12,
            seed: 5,
            ..Default::default()
        });
        let config = crate::config::Config::default();
        let analysis = crate::engine::analyze(&dataset, &config);
        for listed in [analysis.ranking.clone(), Vec::new()] {
            let context = ReportContext {
                dataset: &dataset,
                analysis: &analysis,
                config: &config,
                customers: &listed,
                generated_at: "2026-01-01 00:00:00".into(),
                narratives: None,
            };
            #[derive(Serialize)]
            struct Whole<'a> {
                #[serde(flatten)]
                head: Head<'a>,
                customers: Vec<CustomerOut<'a>>,
            }
            let insights: Vec<_> = listed
                .iter()
                .map(|c| analysis.insight(&dataset, *c))
                .collect();
            let whole = Whole {
                head: head(&context),
                customers: insights
                    .iter()
                    .map(|insight| customer_out(&context, insight, true))
                    .collect(),
            };
            for pretty in [false, true] {
                let mut streamed = Vec::new();
                write(
                    &context,
                    &mut super::super::whole(&context),
                    Options {
                        pretty,
                        ..Options::FULL
                    },
                    &mut streamed,
                )
                .unwrap();
                let expected = if pretty {
                    serde_json::to_string_pretty(&whole).unwrap()
                } else {
                    serde_json::to_string(&whole).unwrap()
                } + "\n";
                assert_eq!(
                    String::from_utf8(streamed).unwrap(),
                    expected,
                    "pretty {pretty}"
                );
            }
            let mut lines = Vec::new();
            write_lines(
                &context,
                &mut super::super::whole(&context),
                Options::FULL,
                &mut lines,
            )
            .unwrap();
            let lines = String::from_utf8(lines).unwrap();
            let parsed: Vec<serde_json::Value> = lines
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(parsed.len(), listed.len() + 1);
            let mut whole = serde_json::to_value(&whole).unwrap();
            let customers = whole.as_object_mut().unwrap().remove("customers").unwrap();
            assert_eq!(parsed.last().unwrap(), &whole);
            assert_eq!(
                &parsed[..listed.len()],
                customers.as_array().unwrap().as_slice()
            );
        }
    }
}
