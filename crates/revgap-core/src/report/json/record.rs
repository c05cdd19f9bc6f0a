//! One customer's record of the JSON and JSON-lines reports (the schema's `customers[]` item),
//! written straight into bytes, and `--fields`, which keeps some of its top-level fields.

use super::super::ReportContext;
use super::super::json_bytes::JsonBytes;
use crate::engine::{CustomerInsight, Gap};
use std::collections::BTreeMap;

/// A top-level field of a customer record, as `--fields` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordField {
    CustomerId,
    Rank,
    PriorityScore,
    PrimaryGap,
    SecondaryGaps,
    Churn,
    Opportunity,
    ScoreFactors,
    Spend,
    Attributes,
    Rationale,
    Prediction,
    Segments,
    Forecast,
    BaselineKind,
}

crate::choice!(RecordField {
    CustomerId => "customer_id",
    Rank => "rank",
    PriorityScore => "priority_score",
    PrimaryGap => "primary_gap",
    SecondaryGaps => "secondary_gaps",
    Churn => "churn",
    Opportunity => "opportunity",
    ScoreFactors => "score_factors",
    Spend => "spend",
    Attributes => "attributes",
    Rationale => "rationale",
    Prediction => "prediction",
    Segments => "segments",
    Forecast => "forecast",
    BaselineKind => "baseline_kind",
});

/// Which record fields are written: a projection of the stable schema (each field, when
/// written, is exactly what the full record has; the order stays the schema's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFields(u32);

impl RecordFields {
    pub const ALL: Self = Self(u32::MAX);

    /// `fields` and the customer id (a record without it names no one); every field when
    /// `fields` is empty.
    pub fn of(fields: &[RecordField]) -> Self {
        if fields.is_empty() {
            return Self::ALL;
        }
        Self(
            fields
                .iter()
                .fold(1 << RecordField::CustomerId as u32, |set, field| {
                    set | 1 << *field as u32
                }),
        )
    }

    fn has(self, field: RecordField) -> bool {
        self.0 & (1 << field as u32) != 0
    }
}

/// An attribute value as the JSON report shows it.
enum Attribute<'a> {
    Count(Option<u32>),
    Flag(Option<bool>),
    Text(&'a str),
}

/// Where an attribute's value comes from.
#[derive(Debug, Clone, Copy)]
enum AttributeSource {
    Age,
    HouseholdSize,
    LoyaltyMember,
    /// The customers file's extra column of this index.
    Extra(usize),
}

/// The key order of the records' two maps whose keys come from the data, the same for every
/// record of a report (or of a streamed part): sorted by name, a repeated name keeping the
/// last, as the schema's maps are. Worked out once, not per record.
pub(super) struct MapOrder<'c> {
    /// Each attribute name with where its value may come from, the last given first: an
    /// extra column a customer's row lacks leaves the name to the one before it.
    attributes: Vec<(&'c str, Vec<AttributeSource>)>,
    /// Each segment dimension's key and index in the analysis' segmentation.
    segments: Vec<(&'c str, usize)>,
}

impl<'c> MapOrder<'c> {
    pub(super) fn of(context: &ReportContext<'c>) -> Self {
        let mut attributes: BTreeMap<&str, Vec<AttributeSource>> = BTreeMap::new();
        let built_in = [
            ("age", AttributeSource::Age),
            ("household_size", AttributeSource::HouseholdSize),
            ("loyalty_member", AttributeSource::LoyaltyMember),
        ];
        let extra = (context.dataset.extra_columns.iter().enumerate())
            .map(|(index, name)| (name.as_str(), AttributeSource::Extra(index)));
        for (name, source) in built_in.into_iter().chain(extra) {
            attributes.entry(name).or_default().insert(0, source);
        }
        let analysis: &'c crate::engine::Analysis = context.analysis;
        let segments: BTreeMap<&str, usize> = analysis
            .segments
            .dimensions
            .iter()
            .enumerate()
            .map(|(index, labels)| (labels.dimension.key(), index))
            .collect();
        Self {
            attributes: attributes.into_iter().collect(),
            segments: segments.into_iter().collect(),
        }
    }
}

fn write_gap(w: &mut JsonBytes, gap: &Gap) {
    w.begin_object();
    w.key("type");
    w.name(gap.kind.key());
    w.key("severity");
    w.name(gap.severity.key());
    w.key("gap_amount");
    w.rounded(gap.gap_amount, 2);
    w.key("gap_pct");
    w.f64(gap.gap_pct);
    w.key("current");
    w.rounded(gap.current, 2);
    w.key("expected");
    w.rounded(gap.expected, 2);
    w.key("weeks_at_risk");
    w.u64(gap.weeks_at_risk as u64);
    if let Some(sigmas) = gap.sigmas {
        w.key("sigmas");
        w.f64(sigmas);
    }
    w.end_object();
}

fn write_texts<'t>(w: &mut JsonBytes, texts: impl IntoIterator<Item = &'t str>) {
    w.begin_array();
    for text in texts {
        w.element();
        w.str(text);
    }
    w.end_array();
}

/// An array of names this program gives (enum keys).
fn write_names(w: &mut JsonBytes, names: impl IntoIterator<Item = &'static str>) {
    w.begin_array();
    for name in names {
        w.element();
        w.name(name);
    }
    w.end_array();
}

/// Shares, probabilities and counts are written at full precision; money in cents.
const EXACT: Option<i32> = None;

fn write_rounded(w: &mut JsonBytes, fields: &[(&'static str, f64, Option<i32>)]) {
    for (key, value, places) in fields {
        w.key(key);
        match places {
            Some(places) => w.rounded(*value, *places),
            None => w.f64(*value),
        }
    }
}

/// One customer's record (the schema's `customers[]` item) into `w`.
pub(super) fn write_customer(
    w: &mut JsonBytes,
    context: &ReportContext,
    order: &MapOrder,
    insight: &CustomerInsight,
    options: super::super::Options,
) -> std::io::Result<()> {
    let customer = insight.customer;
    let has = |field| options.fields.has(field);
    let with_rationale = options.with_rationale;
    w.begin_object();
    w.key("customer_id");
    w.str(&context.dataset.customer_ids[customer]);
    if has(RecordField::Rank) {
        w.key("rank");
        match insight.rank {
            Some(rank) => w.u64(rank as u64),
            None => w.null(),
        }
    }
    if has(RecordField::PriorityScore) {
        w.key("priority_score");
        w.f64(insight.priority_score);
    }
    if has(RecordField::PrimaryGap) {
        w.key("primary_gap");
        match &insight.primary_gap {
            Some(gap) => write_gap(w, gap),
            None => w.null(),
        }
    }
    if has(RecordField::SecondaryGaps) {
        w.key("secondary_gaps");
        w.begin_array();
        for gap in &insight.secondary_gaps {
            w.element();
            write_gap(w, gap);
        }
        w.end_array();
    }

    if has(RecordField::Churn) {
        w.key("churn");
        w.begin_object();
        w.key("score");
        w.f64(insight.churn.score());
        w.key("probability");
        w.f64(insight.churn.probability);
        w.key("factors");
        write_names(w, insight.churn.factors.iter().map(|f| f.key()));
        w.key("weeks_since_last_purchase");
        w.u64(insight.churn.weeks_since_last_purchase as u64);
        w.end_object();
    }

    if has(RecordField::Opportunity) {
        w.key("opportunity");
        match &insight.opportunity {
            Some(opportunity) => {
                let (description, source) = context.opportunity_description(insight);
                w.begin_object();
                w.key("type");
                w.name(opportunity.kind.key());
                w.key("potential_revenue");
                w.rounded(opportunity.potential_revenue, 2);
                w.key("actions");
                write_texts(w, opportunity.actions.iter().map(String::as_str));
                w.key("description");
                w.str(&description);
                w.key("description_source");
                w.name(source.key());
                if let Some(note) = &insight.learned_recovery {
                    w.key("learned_recovery");
                    w.begin_object();
                    w.key("lift");
                    w.f64(note.lift.lift);
                    w.key("basis");
                    w.scalar(&note.lift.basis)?;
                    w.key("n_treated");
                    w.u64(note.lift.n_treated as u64);
                    w.key("campaigns");
                    w.u64(note.lift.campaigns as u64);
                    w.key("default_factor");
                    w.f64(note.default_factor);
                    w.key("expected_incremental_recovery");
                    w.rounded(note.lift.expected_recovery(insight.gap_size()), 2);
                    w.end_object();
                }
                w.end_object();
            }
            None => w.null(),
        }
    }

    if has(RecordField::ScoreFactors) {
        w.key("score_factors");
        match insight.score {
            Some(factors) => {
                // By name, as the schema's map is (the four names differ).
                let mut rows = factors.rows(context.config);
                rows.sort_unstable_by_key(|(name, _, _)| *name);
                w.begin_object();
                for (name, value, _) in rows {
                    w.key(name);
                    w.f64(value);
                }
                w.end_object();
            }
            None => w.null(),
        }
    }

    if has(RecordField::Spend) {
        let profile = &insight.profile;
        w.key("spend");
        w.begin_object();
        write_rounded(
            w,
            &[
                ("total_revenue", profile.total_revenue, Some(2)),
                ("baseline_avg", profile.baseline_avg, Some(2)),
                ("recent_avg", profile.recent_avg, Some(2)),
                ("latest_week", profile.latest_week, Some(2)),
                ("trend_pct", profile.trend_pct, EXACT),
            ],
        );
        w.key("trend");
        w.name(profile.trend.key());
        w.end_object();
    }

    if has(RecordField::Attributes) {
        w.key("attributes");
        w.begin_object();
        if let Some(found) = context.profile(customer) {
            let extra: Vec<&str> = found.extra.iter().collect();
            for (name, sources) in &order.attributes {
                let value = sources.iter().find_map(|source| match *source {
                    AttributeSource::Extra(index) => extra.get(index).copied().map(Attribute::Text),
                    AttributeSource::Age => Some(Attribute::Count(found.age)),
                    AttributeSource::HouseholdSize => Some(Attribute::Count(found.household_size)),
                    AttributeSource::LoyaltyMember => Some(Attribute::Flag(found.loyalty_member)),
                });
                let Some(value) = value else { continue };
                w.text_key(name);
                match value {
                    Attribute::Count(Some(count)) => w.u64(u64::from(count)),
                    Attribute::Flag(Some(flag)) => w.bool(flag),
                    Attribute::Text(text) => w.str(text),
                    Attribute::Count(None) | Attribute::Flag(None) => w.null(),
                }
            }
        }
        w.end_object();
    }

    if has(RecordField::Rationale) {
        w.key("rationale");
        let shown = context.rationale_shown(insight, with_rationale);
        w.begin_object();
        if with_rationale {
            w.key("text");
            w.str(&shown.text);
            w.key("next_step");
            w.str(&crate::narrative::rules::next_step(insight));
        }
        w.key("source");
        w.name(shown.source.key());
        w.key("grounding");
        w.name(shown.grounding);
        if let Some(reason) = &shown.fallback_reason {
            w.key("fallback_reason");
            w.str(reason);
        }
        w.end_object();
    }

    if has(RecordField::Prediction)
        && let Some(p) = insight.prediction
    {
        w.key("prediction");
        w.begin_object();
        w.key("horizon_weeks");
        w.f64(p.horizon_weeks);
        write_rounded(
            w,
            &[
                ("p_alive", p.p_alive, EXACT),
                ("p_no_purchase", p.p_no_purchase, EXACT),
                ("churn_probability", p.churn_probability, EXACT),
                ("expected_purchases", p.expected_purchases, EXACT),
                ("expected_spend", p.expected_spend, Some(2)),
                ("expected_spend_low", p.expected_spend_low, Some(2)),
                ("expected_spend_high", p.expected_spend_high, Some(2)),
                ("revenue_at_risk", p.revenue_at_risk, Some(2)),
                ("revenue_at_risk_low", p.revenue_at_risk_low, Some(2)),
                ("revenue_at_risk_high", p.revenue_at_risk_high, Some(2)),
            ],
        );
        w.end_object();
    }

    if has(RecordField::Segments) {
        w.key("segments");
        w.begin_object();
        let dimensions = &context.analysis.segments.dimensions;
        for (dimension, index) in &order.segments {
            w.text_key(dimension);
            w.str(dimensions[*index].of(customer));
        }
        w.end_object();
    }

    if has(RecordField::Forecast) {
        let config = context.config;
        let forecast = context.analysis.season.forecast(
            customer,
            &context.dataset.weeks_of(customer),
            config,
            config.model.horizon_weeks.round().max(1.0) as usize,
            config.model.interval,
        );
        if let Some(forecast) = forecast {
            w.key("forecast");
            w.begin_object();
            w.key("weeks");
            w.u64(forecast.weeks as u64);
            write_rounded(
                w,
                &[
                    ("expected", forecast.expected, Some(2)),
                    ("low", forecast.low, Some(2)),
                    ("high", forecast.high, Some(2)),
                ],
            );
            w.key("interval");
            w.f64(config.model.interval);
            w.end_object();
        }
    }
    if has(RecordField::BaselineKind) {
        w.key("baseline_kind");
        w.name(context.analysis.season.kind().key());
    }
    w.end_object();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::reference::{customer_out, sample};
    use super::*;
    use crate::report::{Options, ReportContext};
    use std::collections::HashMap;

    /// Every kind of record `write_customer` writes is byte for byte what serde_json makes of
    /// the reference model, compact and pretty, with and without rationale: attributes from
    /// the data (hostile text, a column named like a built-in one), generated and fallen-back
    /// narratives, predictions, learned recovery, and customers without gap or opportunity.
    #[test]
    fn records_equal_the_reference_model() {
        use crate::data::CustomerProfile;
        use crate::data::ExtraValues;
        use crate::narrative::generate::{Generated, Source};
        let mut dataset =
            crate::data::generate::in_memory(&crate::data::generate::GenerateOptions {
                customers: 80,
                weeks: 12,
                seed: 11,
                ..Default::default()
            });
        dataset.extra_columns = vec![
            "region".into(),
            "a \"quoted\" name\u{1}".into(),
            "age".into(),
        ];
        for customer in 0..dataset.customer_count() {
            if customer % 3 == 0 {
                continue;
            }
            dataset.profiles[customer] = Some(CustomerProfile {
                age: (customer % 2 == 0).then_some(30 + customer as u32),
                household_size: (customer % 5 != 0).then_some(2),
                loyalty_member: (customer % 7 != 0).then_some(customer % 2 == 1),
                extra: ExtraValues::new(["North \"x\" \\ é", "=cmd|' /C calc'!A0", "old"]),
            });
        }
        let config = crate::config::Config::default();
        let analysis = crate::engine::analyze(&dataset, &config);
        let mut narratives = HashMap::new();
        for customer in (0..dataset.customer_count()).step_by(4) {
            let llm = customer % 8 == 0;
            narratives.insert(
                customer,
                Generated {
                    text: Some("Spend fell.\tNext step: call them \"today\".".into()),
                    source: if llm { Source::Llm } else { Source::RuleBased },
                    grounding: None,
                    fallback_reason: (!llm).then(|| "server said \u{7}no\u{202e}".into()),
                    completion: None,
                    stalled: false,
                },
            );
        }
        let context = ReportContext {
            dataset: &dataset,
            analysis: &analysis,
            config: &config,
            customers: &[],
            generated_at: String::new(),
            narratives: Some(&narratives),
        };
        let mut kinds_seen = [false; 4];
        for customer in 0..dataset.customer_count() {
            let mut insight = analysis.insight(&dataset, customer);
            match customer % 4 {
                1 => {
                    insight.prediction = Some(crate::model::predict::Prediction {
                        p_alive: 0.123456,
                        p_no_purchase: 0.5,
                        churn_probability: 1.0 / 3.0,
                        expected_purchases: 2.0,
                        expected_spend: 99.999,
                        expected_spend_low: 0.0,
                        expected_spend_high: f64::NAN,
                        revenue_at_risk: -0.004,
                        revenue_at_risk_low: 1e21,
                        revenue_at_risk_high: 12.345,
                        horizon_weeks: 39.0,
                    });
                }
                2 if insight.opportunity.is_some() => {
                    insight.learned_recovery = Some(crate::engine::learned::LearnedNote {
                        lift: crate::engine::learned::AppliedLift {
                            lift: 0.31,
                            basis: crate::engine::learned::LiftBasis::Tier,
                            n_treated: 120,
                            campaigns: 2,
                        },
                        tier: "high".into(),
                        default_factor: 6.0,
                    });
                }
                3 => {
                    insight.opportunity = None;
                    insight.score = None;
                    insight.primary_gap = None;
                    insight.rank = None;
                }
                _ => {}
            }
            kinds_seen[customer % 4] = true;
            for pretty in [false, true] {
                for with_rationale in [false, true] {
                    let mut written = Vec::new();
                    let options = Options {
                        pretty,
                        with_rationale,
                        ..Options::FULL
                    };
                    write_customer(
                        &mut JsonBytes::new(&mut written, pretty, 0),
                        &context,
                        &MapOrder::of(&context),
                        &insight,
                        options,
                    )
                    .unwrap();
                    let reference = customer_out(&context, &insight, with_rationale);
                    let expected = if pretty {
                        serde_json::to_string_pretty(&reference).unwrap()
                    } else {
                        serde_json::to_string(&reference).unwrap()
                    };
                    assert_eq!(
                        String::from_utf8(written).unwrap(),
                        expected,
                        "customer {customer}, pretty {pretty}, rationale {with_rationale}"
                    );
                }
            }
        }
        assert_eq!(kinds_seen, [true; 4]);
    }

    /// `--fields` writes each chosen field exactly as the full record has it, the customer id
    /// always, and nothing else.
    #[test]
    fn a_projection_keeps_only_the_chosen_fields() {
        let (dataset, config, analysis) = sample(40, 3);
        let context = ReportContext {
            dataset: &dataset,
            analysis: &analysis,
            config: &config,
            customers: &[],
            generated_at: String::new(),
            narratives: None,
        };
        let chosen = [
            (RecordField::Rank, "rank"),
            (RecordField::PrimaryGap, "primary_gap"),
            (RecordField::Churn, "churn"),
            (RecordField::Forecast, "forecast"),
        ];
        let fields: Vec<RecordField> = chosen.iter().map(|(field, _)| *field).collect();
        let options = Options {
            pretty: false,
            with_rationale: false,
            with_attributes: false,
            fields: RecordFields::of(&fields),
        };
        for customer in analysis.ranking.iter().copied() {
            let insight = analysis.insight(&dataset, customer);
            let mut written = Vec::new();
            write_customer(
                &mut JsonBytes::new(&mut written, false, 0),
                &context,
                &MapOrder::of(&context),
                &insight,
                options,
            )
            .unwrap();
            let written: serde_json::Value = serde_json::from_slice(&written).unwrap();
            let mut full = serde_json::to_value(customer_out(&context, &insight, false)).unwrap();
            let full = full.as_object_mut().unwrap();
            full.retain(|key, _| key == "customer_id" || chosen.iter().any(|(_, k)| k == key));
            assert_eq!(full.len(), 5, "every chosen field is in the full record");
            assert_eq!(&written, &serde_json::Value::Object(full.clone()));
        }
        assert_eq!(RecordFields::of(&[]), RecordFields::ALL);
    }
}
