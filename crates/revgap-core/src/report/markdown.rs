//! The markdown report, with the original's sections (executive summary, top priority
//! customers, high churn risk, recommendations, methodology) plus data quality, correctly
//! labelled and deduplicated per customer.

use super::ReportContext;
use super::format::count;
use crate::data::CustomerProfile;
use crate::engine::{CustomerInsight, GapType};
use crate::narrative::rules;
use std::fmt::Write;

/// Renders the report.
pub fn render(context: &ReportContext) -> String {
    let mut out = String::new();
    header(context, &mut out);
    executive_summary(context, &mut out);
    segment_summary(context, &mut out);
    top_customers(context, &mut out);
    churn_section(context, &mut out);
    recommendations(context, &mut out);
    methodology(context, &mut out);
    data_quality(context, &mut out);
    out
}

/// Which kinds of customers are slipping: the summary by value tier, lifecycle stage and RFM
/// segment (and any extra dimension the config names), largest revenue gap first.
fn segment_summary(context: &ReportContext, out: &mut String) {
    let analysis = context.analysis;
    let outcomes = analysis.segment_outcomes();
    let _ = writeln!(out, "## Segments\n");
    if analysis.summary.streamed {
        let _ = writeln!(
            out,
            "Not computed: a streamed analysis (`--stream`) does not hold every customer, and segments rank each customer against everyone.\n"
        );
        return;
    }
    for labels in &analysis.segments.dimensions {
        let dimension = &labels.dimension;
        let shown = matches!(
            dimension,
            crate::segment::Dimension::ValueTier
                | crate::segment::Dimension::Lifecycle
                | crate::segment::Dimension::Rfm
                | crate::segment::Dimension::Extra(_)
        );
        if !shown {
            continue;
        }
        let rows = crate::segment::summary::summarize(&[labels], &outcomes);
        let _ = writeln!(out, "### By {}\n", dimension.key().replace('_', " "));
        super::segments::segment_table(out, &[dimension.key()], &rows, context.dataset.unit);
    }
}

fn header(context: &ReportContext, out: &mut String) {
    let dataset = context.dataset;
    let summary = &context.analysis.summary;
    let _ = writeln!(out, "# Revenue Gap Analysis Report\n");
    let _ = writeln!(out, "**Generated:** {}  ", context.generated_at);
    let _ = writeln!(out, "**Analysis Scope:** All Customers  ");
    let _ = writeln!(
        out,
        "**Data:** {} ({} weeks{}){}  ",
        dataset.source,
        dataset.week_count(),
        summary
            .as_of
            .map(|d| format!(", as of {d}"))
            .unwrap_or_default(),
        dataset
            .customers_source
            .as_deref()
            .map(|c| format!("; customers from {c}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "**Total Customers Analyzed:** {}\n",
        count(summary.customers_analyzed)
    );
}

fn executive_summary(context: &ReportContext, out: &mut String) {
    let summary = &context.analysis.summary;
    let by_type = GapType::ALL
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t.label().to_lowercase(),
                count(summary.gaps_by_type.get(t.key()).copied().unwrap_or(0))
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let churn = &context.config.churn;
    let _ = writeln!(out, "## Executive Summary\n");
    let _ = writeln!(
        out,
        "- **Customers With Gaps:** {} of {}",
        count(summary.customers_with_gaps),
        count(summary.customers_analyzed)
    );
    if summary.new_customers > 0 {
        let _ = writeln!(
            out,
            "- **New Customers (not judged):** {} with less than {} weeks since their first purchase",
            count(summary.new_customers),
            context.config.windows.history_weeks_needed()
        );
    }
    match summary.baseline_kind {
        Some(crate::engine::season::BaselineKind::Seasonal) => {
            let _ = writeln!(
                out,
                "- **Baseline:** seasonal (each customer's level over the {} weeks before the recent {}, moved by the season as they and the population moved a year earlier)",
                context.config.windows.level_weeks, context.config.windows.recent_weeks
            );
        }
        Some(crate::engine::season::BaselineKind::Trailing) => {
            let _ = writeln!(
                out,
                "- **Baseline:** trailing (each customer's level over the {} weeks before the recent {})",
                context.config.windows.level_weeks, context.config.windows.recent_weeks
            );
        }
        _ => {}
    }
    if let Some(why) = summary.model_fallback() {
        let _ = writeln!(out, "- **Churn Model:** {}: {why}", summary.churn_model);
    }
    if summary.value_unit == crate::text::ValueUnit::Purchases {
        let _ = writeln!(
            out,
            "- **Amounts:** purchase counts (the data has no amounts), not money"
        );
    }
    let _ = writeln!(
        out,
        "- **Total Weekly Revenue Gap:** {} (largest gap per customer, no double counting)",
        context.dataset.unit.amount(summary.total_revenue_gap)
    );
    let _ = writeln!(
        out,
        "- **Gaps Detected:** {} ({by_type})",
        count(summary.gaps_total)
    );
    let _ = writeln!(
        out,
        "- **High-Severity Gaps:** {}",
        count(summary.high_severity_gaps)
    );
    if context.analysis.churn_model == "rules" {
        let _ = writeln!(
            out,
            "- **Churn-Risk Customers (rule score ≥ {:.2}):** {}, of which high risk (≥ {:.2}): {}",
            f64::from(churn.risk_points) / 100.0,
            count(summary.churn_risk_customers),
            f64::from(churn.high_risk_points) / 100.0,
            count(summary.high_churn_risk_customers)
        );
    } else {
        let model = &context.config.model;
        let _ = writeln!(
            out,
            "- **Churn-Risk Customers (churn probability ≥ {:.0}%):** {}, of which high risk (≥ {:.0}%): {}",
            model.flag_probability * 100.0,
            count(summary.churn_risk_customers),
            model.high_risk_probability * 100.0,
            count(summary.high_churn_risk_customers)
        );
    }
    let _ = writeln!(
        out,
        "- **Potential Recovery Revenue:** {} (one opportunity per customer)\n",
        context
            .dataset
            .unit
            .amount(summary.potential_recovery_revenue)
    );
}

fn describe(profile: Option<&CustomerProfile>, with_household: bool) -> String {
    let Some(profile) = profile else {
        return "attributes unknown".into();
    };
    let age = profile.age.map_or("?".into(), |a| a.to_string());
    let loyalty = match profile.loyalty_member {
        Some(true) => "Loyalty Member",
        Some(false) => "Non-Member",
        None => "Loyalty Unknown",
    };
    if with_household {
        let household = profile.household_size.map_or("?".into(), |h| h.to_string());
        format!("Age: {age}, {loyalty}, Household: {household}")
    } else {
        format!("Age: {age}, {loyalty}")
    }
}

fn top_customers(context: &ReportContext, out: &mut String) {
    let listed = &context.customers[..context
        .customers
        .len()
        .min(context.config.report.top_customers)];
    let _ = writeln!(out, "## Top Priority Customers (Top {})\n", listed.len());
    if listed.is_empty() {
        let _ = writeln!(out, "No customer has a revenue gap.\n");
    }
    for (position, index) in listed.iter().enumerate() {
        let insight = &context.analysis.insight(context.dataset, *index);
        customer_entry(context, position + 1, insight, out);
    }
}

fn customer_entry(
    context: &ReportContext,
    position: usize,
    insight: &CustomerInsight,
    out: &mut String,
) {
    let id = &context.dataset.customer_ids[insight.customer];
    let _ = writeln!(
        out,
        "### {position}. Customer {id} ({})\n",
        describe(context.profile(insight.customer), true)
    );
    let Some(gap) = &insight.primary_gap else {
        return;
    };
    let profile = &insight.profile;
    let _ = writeln!(out, "**Primary Gap:** {}\n", gap.kind.label());
    let _ = writeln!(out, "- **Severity:** {}", gap.severity.key().to_uppercase());
    let _ = writeln!(
        out,
        "- **Priority Score:** {:.2}/{:.1}",
        insight.priority_score,
        10.0 * context.config.weight_total()
    );
    let current_label = match gap.kind {
        GapType::DecliningRevenue => "recent average",
        _ => "latest week",
    };
    let _ = writeln!(
        out,
        "- **Current Weekly Spend:** {} ({current_label}); recent average {}",
        context.dataset.unit.amount(gap.current),
        context.dataset.unit.amount(profile.recent_avg)
    );
    // What the gap was judged against: the peers' median, the customer's usual spend (model
    // mode) or the original's baseline.
    let reference = match (gap.kind, insight.model_churn) {
        (GapType::BelowPeers, _) => "peers' median",
        (_, Some(_)) => "usual for this customer",
        (_, None) => "baseline",
    };
    let _ = writeln!(
        out,
        "- **Expected Weekly Spend:** {} ({reference})",
        context.dataset.unit.amount(gap.expected)
    );
    let _ = writeln!(
        out,
        "- **Gap Amount:** {} below expected ({:.1}% below the {})",
        context.dataset.unit.amount(gap.gap_amount.abs()),
        gap.gap_pct.abs(),
        reference.trim_end_matches(" for this customer")
    );
    let _ = writeln!(
        out,
        "- **Weeks at Risk:** {} · **Weeks Since Last Purchase:** {}",
        gap.weeks_at_risk, insight.churn.weeks_since_last_purchase
    );
    if !insight.secondary_gaps.is_empty() {
        let signals = super::format::secondary_signals(&insight.secondary_gaps);
        let _ = writeln!(out, "- **Secondary Signals:** {signals}");
    }
    let _ = writeln!(
        out,
        "- **Churn Risk:** {:.2} ({:.0}% probability){}",
        insight.churn.score(),
        insight.churn.probability * 100.0,
        factor_list(insight)
    );
    if let Some(prediction) = &insight.prediction {
        let _ = writeln!(
            out,
            "- **Model (BG/NBD + Gamma-Gamma):** {}",
            super::format::prediction_line(
                prediction,
                context.config.model.interval,
                context.dataset.unit,
            )
        );
    }
    if let Some(opportunity) = &insight.opportunity {
        let _ = writeln!(out, "- **Opportunity Type:** {}", opportunity.kind.label());
        let _ = writeln!(
            out,
            "- **Potential Recovery:** {}",
            context.dataset.unit.amount(opportunity.potential_revenue)
        );
        let actions = super::format::action_list(&opportunity.actions);
        let _ = writeln!(out, "- **Recommended Actions:** {actions}");
        // As in the original, only a model-written description gets its own line: the
        // rule-based one is the Next Step line below.
        let (description, source) = context.opportunity_description(insight);
        if source != crate::narrative::generate::Source::RuleBased {
            let _ = writeln!(
                out,
                "- **Opportunity Description:** {description} *({}, grounded)*",
                source.key()
            );
        }
    }
    let shown = context.rationale(insight);
    let label = match (&shown.fallback_reason, shown.source) {
        (Some(reason), _) => format!("rule-based; generated text not used: {reason}"),
        (None, crate::narrative::generate::Source::RuleBased) => "rule-based".to_string(),
        (None, source) => format!("{}, grounded", source.key()),
    };
    let _ = writeln!(out, "- **Rationale:** {} *({label})*", shown.text);
    let _ = writeln!(out, "- **Next Step:** {}\n", rules::next_step(insight));
}

fn factor_list(insight: &CustomerInsight) -> String {
    if insight.churn.factors.is_empty() {
        return String::new();
    }
    let factors: Vec<&str> = insight.churn.factors.iter().map(|f| f.key()).collect();
    format!(": {}", factors.join(", "))
}

fn churn_section(context: &ReportContext, out: &mut String) {
    let config = context.config;
    let scores = &context.analysis.scores;
    let mut high: Vec<usize> = (0..scores.len())
        .filter(|c| scores[*c].at_high_churn_risk(config))
        .collect();
    let ids = &context.dataset.customer_ids;
    let order = |a: &usize, b: &usize| {
        crate::engine::churn_list_order((&scores[*a], &ids[*a]), (&scores[*b], &ids[*b]))
    };
    let shown = high.len().min(config.report.top_churn);
    // Only the first few are listed: those are found, then sorted (ids make the order total).
    if shown < high.len() {
        high.select_nth_unstable_by(shown, order);
        high.truncate(shown);
    }
    high.sort_by(order);
    let _ = writeln!(out, "## High Churn Risk Customers\n");
    // The summary counts everyone; a streamed analysis holds only the listed few.
    let summary = &context.analysis.summary;
    let (high_count, more) = (
        count(summary.high_churn_risk_customers),
        count(
            summary
                .churn_risk_customers
                .saturating_sub(summary.high_churn_risk_customers),
        ),
    );
    if context.analysis.churn_model == "rules" {
        let _ = writeln!(
            out,
            "**Total:** {high_count} customers with churn score ≥ {:.2} (high risk); {more} more at ≥ {:.2}.\n",
            f64::from(config.churn.high_risk_points) / 100.0,
            f64::from(config.churn.risk_points) / 100.0
        );
    } else {
        let _ = writeln!(
            out,
            "**Total:** {high_count} customers with churn probability ≥ {:.0}% ({}, high risk); {more} more at ≥ {:.0}%.\n",
            config.model.high_risk_probability * 100.0,
            context.analysis.churn_model,
            config.model.flag_probability * 100.0
        );
    }
    if shown > 0 {
        let _ = writeln!(out, "**Showing Top {shown}:**\n");
    }
    for customer in &high[..shown] {
        let insight = context.analysis.insight(context.dataset, *customer);
        let _ = writeln!(
            out,
            "- **Customer {} ({}):** Risk Score {:.2} ({:.0}% probability)",
            &ids[insight.customer],
            describe(context.profile(insight.customer), false),
            insight.churn.score(),
            insight.churn.probability * 100.0
        );
        let factors: Vec<&str> = insight.churn.factors.iter().map(|f| f.key()).collect();
        let _ = writeln!(out, "  - Risk Factors: {}", factors.join(", "));
        let _ = writeln!(
            out,
            "  - Weeks Since Last Purchase: {}",
            insight.churn.weeks_since_last_purchase
        );
    }
    out.push('\n');
}

fn recommendations(context: &ReportContext, out: &mut String) {
    let summary = &context.analysis.summary;
    let of_type = |t: GapType| summary.gaps_by_type.get(t.key()).copied().unwrap_or(0);
    let _ = writeln!(out, "## Recommendations\n");
    let _ = writeln!(
        out,
        "1. **Address high-severity gaps within 1 week** ({} gaps).",
        count(summary.high_severity_gaps)
    );
    let _ = writeln!(
        out,
        "2. **Run retention campaigns for declining customers** ({} declining-revenue signals).",
        count(of_type(GapType::DecliningRevenue))
    );
    let _ = writeln!(
        out,
        "3. **Launch win-back offers for zero-spend customers** ({} customers stopped buying).",
        count(of_type(GapType::ZeroSpend))
    );
    let below_peers = of_type(GapType::BelowPeers);
    let mut next = 4;
    if below_peers > 0 {
        let _ = writeln!(
            out,
            "4. **Review customers far below comparable customers** ({} below-peers signals).",
            count(below_peers)
        );
        next = 5;
    }
    let _ = writeln!(
        out,
        "{next}. **Monitor weekly** and re-run this analysis as new data arrives.\n"
    );
}

fn methodology(context: &ReportContext, out: &mut String) {
    use super::definitions;
    let config = context.config;
    let _ = writeln!(out, "## Methodology\n");
    let _ = writeln!(out, "- {}", definitions::windows(config));
    let _ = writeln!(out, "- {}", definitions::gaps(config));
    let _ = writeln!(out, "- {}", definitions::ONE_INSIGHT);
    let _ = writeln!(
        out,
        "- {}\n",
        definitions::priority(config, context.analysis)
    );
}

fn data_quality(context: &ReportContext, out: &mut String) {
    let load = &context.dataset.load;
    let _ = writeln!(out, "## Data Quality\n");
    let _ = writeln!(
        out,
        "- **Input rows read:** {}",
        count(load.rows_read as usize)
    );
    let reasons = load.reasons();
    let _ = writeln!(
        out,
        "- **Skipped rows:** {}{}",
        count(load.skipped_rows as usize),
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({reasons})")
        }
    );
    let _ = writeln!(
        out,
        "- **Missing weeks filled with zero:** {}",
        count(load.missing_weeks_filled as usize)
    );
    if load.returns_netted > 0 || load.weeks_floored_at_zero > 0 {
        let _ = writeln!(
            out,
            "- **Returns netted:** {}; weeks floored at zero: {}",
            count(load.returns_netted as usize),
            count(load.weeks_floored_at_zero as usize)
        );
    }
    let _ = writeln!(
        out,
        "- **Customers without attributes:** {}; attribute rows without spend: {}",
        count(load.customers_without_attributes as usize),
        count(load.customers_without_spend as usize)
    );
    for problem in &load.first_problems {
        let _ = writeln!(out, "- `{problem}`");
    }
}
