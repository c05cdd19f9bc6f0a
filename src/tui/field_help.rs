//! `?` on a field: what a number in the list or the detail means, from the report's own
//! definitions (`report::definitions`), followed by how the selected customer's value came
//! about (its factors, the model that produced it). `?` again shows every key.

pub use super::basics::Field;
use super::state::AppState;
use crate::report::definitions;

/// Markdown emphasis is for reports; the terminal shows plain text.
fn plain(text: String) -> String {
    text.replace("**", "")
}

/// The definition, then the selected customer's value explained; one paragraph per entry.
pub fn explain(state: &AppState, field: Field) -> Vec<String> {
    let Some(loaded) = &state.loaded else {
        return vec!["No analysis yet.".into()];
    };
    let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
    let config = &analysis.config;
    let mut lines = vec![plain(match field {
        Field::Score => definitions::priority(config, analysis),
        Field::Gap => format!("{} {}", definitions::gaps(config), definitions::ONE_INSIGHT),
        Field::GapPerWeek => definitions::gap_per_week(config),
        Field::Churn => definitions::churn(config, analysis),
        Field::Potential => definitions::potential(config),
        Field::Averages => definitions::windows(config),
        Field::Segments => definitions::segments(config),
    })];
    let Some(customer) = state.selected_customer() else {
        return lines;
    };
    let insight = analysis.insight(dataset, customer);
    let unit = insight.unit;
    let id = crate::text::one_line(&dataset.customer_ids[customer]).into_owned();
    let mut this = |text: String| lines.push(format!("Customer {id}: {text}"));
    match field {
        Field::Score => match &insight.score {
            Some(factors) => {
                let parts: Vec<String> = factors
                    .rows(config)
                    .iter()
                    .map(|(name, factor, weight)| {
                        format!("{} {factor:.1} × {weight:.2}", name.replace('_', " "))
                    })
                    .collect();
                this(format!(
                    "{} = {:.2} of 10, rank {}.",
                    parts.join(" + "),
                    insight.priority_score,
                    insight.rank.map_or("-".into(), |r| r.to_string())
                ));
            }
            None => this("no gap, so no priority score.".into()),
        },
        Field::Gap => match &insight.primary_gap {
            Some(gap) => {
                let others = crate::report::format::secondary_signals(&insight.secondary_gaps);
                this(format!(
                    "primary {} ({}) at {:.1}%{}.",
                    gap.kind.label(),
                    gap.severity.key(),
                    gap.gap_pct,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!("; also {others}")
                    }
                ));
            }
            None => this("no gap fires.".into()),
        },
        Field::GapPerWeek => match &insight.primary_gap {
            Some(gap) => this(format!(
                "{} against an expected {}: {} per week below ({:.1}%), {} week(s) at risk.",
                unit.amount(gap.current),
                unit.amount(gap.expected),
                unit.amount(gap.gap_amount.abs()),
                gap.gap_pct,
                gap.weeks_at_risk
            )),
            None => this("no gap.".into()),
        },
        Field::Churn => {
            let factors: Vec<&str> = insight.churn.factors.iter().map(|f| f.key()).collect();
            let model = match (analysis.churn_model.as_str(), &insight.prediction) {
                ("rules", _) => "the rules".to_string(),
                (method, Some(prediction)) => format!(
                    "the {method} model (BG/NBD P(alive) {:.0}%)",
                    prediction.p_alive * 100.0
                ),
                (method, None) => format!("the {method} model"),
            };
            this(format!(
                "{:.0}% from {model}; rule score {:.2} from {}; last purchase {} week(s) ago.",
                analysis.churn_probability(customer) * 100.0,
                insight.churn.score(),
                if factors.is_empty() {
                    "no factor".to_string()
                } else {
                    factors.join(", ")
                },
                insight.churn.weeks_since_last_purchase
            ));
        }
        Field::Potential => match (&insight.opportunity, &insight.primary_gap) {
            (Some(opportunity), Some(gap)) => {
                let sizing = crate::engine::opportunity::Sizing::of(&config.opportunity, gap);
                this(format!(
                    "{} = {} {} per week × {} weeks ({}); recovery factor {:.1} of 10{}.",
                    unit.amount(opportunity.potential_revenue),
                    unit.amount(sizing.per_week),
                    if crate::engine::opportunity::Sizing::of_expected_spend(gap) {
                        "expected spend"
                    } else {
                        "gap"
                    },
                    sizing.weeks,
                    opportunity.kind.label(),
                    opportunity.recovery_probability,
                    insight
                        .learned_recovery
                        .as_ref()
                        .map_or(String::new(), |_| " (learned from measured campaigns)"
                            .into())
                ))
            }
            _ => this("no opportunity without a gap.".into()),
        },
        Field::Averages => this(format!(
            "baseline {}, recent {}, latest week {}, trend {:+.1}%.",
            unit.amount(insight.profile.baseline_avg),
            unit.amount(insight.profile.recent_avg),
            unit.amount(insight.profile.latest_week),
            insight.profile.trend_pct
        )),
        Field::Segments => {
            let labels: Vec<String> = analysis
                .segments
                .of(customer)
                .map(|(dimension, label)| format!("{dimension} {label}"))
                .collect();
            this(format!("{}.", labels.join(", ")));
        }
    }
    lines
}
