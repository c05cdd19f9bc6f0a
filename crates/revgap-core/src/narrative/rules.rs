//! The rule-based rationale and next step: built only from the engine's numbers, so it is
//! always grounded, and used whenever generated text is absent or rejected.

use crate::config::Config;
use crate::engine::{CustomerInsight, GapType, OpportunityType};
use crate::format::action_label;

/// Why this customer is on the list, for the analyst (internal, not customer-facing).
pub fn rationale(insight: &CustomerInsight, config: &Config) -> String {
    let Some(gap) = &insight.primary_gap else {
        return "No revenue gap: spend is within the configured thresholds.".into();
    };
    let profile = &insight.profile;
    let mut text = gap.rationale(insight.unit);
    // In model mode the gap's own sentence names the customer's usual spend; the fixed
    // baseline window may lie inside a long quiet spell and read $0.00.
    let own_sentence = gap.sigmas.is_some()
        || (gap.kind == GapType::ZeroSpend && insight.model_churn.is_some() && gap.expected > 0.0);
    if own_sentence && gap.kind == GapType::ZeroSpend {
        text.push_str(&format!(
            " Usual spend {} per week before the spell.",
            insight.unit.amount(gap.expected)
        ));
    } else if !own_sentence {
        text.push_str(&format!(
            " Baseline {} per week, recent average {} ({:+.1}%).",
            insight.unit.amount(profile.baseline_avg),
            insight.unit.amount(profile.recent_avg),
            profile.trend_pct
        ));
    }
    if profile.weeks_since_last_purchase > 0 && gap.kind != GapType::ZeroSpend {
        text.push_str(&format!(
            " No purchase for {} week(s).",
            profile.weeks_since_last_purchase
        ));
    }
    let others: Vec<&str> = insight
        .secondary_gaps
        .iter()
        .map(|g| g.kind.label())
        .collect();
    if !others.is_empty() {
        text.push_str(&format!(" Also: {}.", others.join(", ")));
    }
    match insight.model_churn {
        Some(p) if p >= config.model.high_risk_probability => {
            text.push_str(&format!(
                " High churn risk ({:.0}% by the model).",
                p * 100.0
            ));
        }
        Some(_) => {}
        None if insight.churn.is_high_risk(config) => {
            text.push_str(&format!(" High churn risk ({:.2}).", insight.churn.score()));
        }
        None => {}
    }
    if let Some(rule) = insight
        .segment_rule
        .and_then(|i| config.segments.rules.get(i))
    {
        text.push_str(&format!(" Segment rule applied ({}).", rule.describe()));
    }
    if let Some(note) = &insight.learned_recovery {
        text.push(' ');
        text.push_str(&note.describe());
    }
    text
}

/// The recommended next step.
pub fn next_step(insight: &CustomerInsight) -> String {
    let Some(opportunity) = &insight.opportunity else {
        return "Keep monitoring weekly.".into();
    };
    let urgency = match (opportunity.kind, insight.primary_gap.map(|g| g.kind)) {
        (OpportunityType::WinBack, _) | (_, Some(GapType::ZeroSpend)) => "this week",
        _ => "within two weeks",
    };
    // Built in place: every record of a JSON report carries it.
    let mut text = String::with_capacity(128);
    text.push_str(opportunity.kind.label());
    text.push(' ');
    text.push_str(urgency);
    text.push_str(": ");
    for (index, action) in opportunity.actions.iter().take(2).enumerate() {
        if index > 0 {
            text.push_str(", then ");
        }
        text.push_str(&action_label(action));
    }
    text.push_str("; potential recovery ");
    text.push_str(&insight.unit.amount(opportunity.potential_revenue));
    text.push('.');
    text
}
