//! One test per weakness in section 7 of the original-system spec, named after it.

mod common;

use common::{dataset, original_config as config};
use revgap::config::Config;
use revgap::engine::{self, GapType, OpportunityType, Severity};
use revgap::report::{self, Format, ReportContext};

/// A slow decliner (about −39 %, no zeros, latest week above its recent average).
const DECLINER: [f64; 12] = [
    100.0, 100.0, 100.0, 100.0, 90.0, 85.0, 80.0, 75.0, 58.0, 60.0, 60.0, 64.0,
];
/// A churner: buys, then stops for the last four weeks.
const CHURNER: [f64; 12] = [
    80.0, 80.0, 80.0, 80.0, 80.0, 80.0, 80.0, 80.0, 0.0, 0.0, 0.0, 0.0,
];

fn render(dataset: &revgap::data::Dataset, analysis: &engine::Analysis, format: Format) -> String {
    let config = config();
    let context = ReportContext {
        dataset,
        analysis,
        config: &config,
        customers: &analysis.ranking,
        generated_at: "2026-01-01 00:00:00".into(),
        narratives: None,
    };
    report::render(format, &context)
}

#[test]
fn defect_01_opportunity_is_keyed_by_customer_and_gap_type() {
    let data = dataset(&[("a", &DECLINER), ("b", &CHURNER)]);
    let analysis = engine::analyze(&data, &config());
    let decliner = &analysis.insights(&data)[0];
    assert_eq!(
        decliner.primary_gap.unwrap().kind,
        GapType::DecliningRevenue
    );
    let opportunity = decliner.opportunity.as_ref().unwrap();
    // A high declining gap is retention with recovery 8, never the customer's win-back.
    assert_eq!(opportunity.kind, OpportunityType::Retention);
    assert_eq!(opportunity.recovery_probability, 8.0);
    assert_eq!(
        analysis.insights(&data)[1]
            .opportunity
            .as_ref()
            .unwrap()
            .kind,
        OpportunityType::WinBack
    );
}

#[test]
fn defect_02_totals_count_each_customer_once() {
    // The churner has a declining gap (−80) and a zero_spend gap (−80); the original summed
    // both (160). One insight per customer: the total is 80, potential recovery 4 × 80.
    let data = dataset(&[("b", &CHURNER)]);
    let analysis = engine::analyze(&data, &config());
    assert_eq!(analysis.summary.gaps_total, 2);
    assert_eq!(analysis.summary.customers_with_gaps, 1);
    assert_eq!(analysis.summary.total_revenue_gap, 80.0);
    assert_eq!(analysis.summary.potential_recovery_revenue, 320.0);
    let json: serde_json::Value =
        serde_json::from_str(&render(&data, &analysis, Format::Json)).unwrap();
    assert_eq!(json["customers"].as_array().unwrap().len(), 1);
    assert_eq!(json["summary"]["total_revenue_gap"], 80.0);
}

#[test]
fn defect_03_scores_do_not_saturate_and_ties_break_deterministically() {
    // Three identical churners and a bigger one: the bigger ranks first, identical ones are
    // ordered by id (numeric order, so "2" before "10"), whatever the input order.
    let bigger: Vec<f64> = CHURNER.iter().map(|v| v * 2.0).collect();
    let data = dataset(&[
        ("10", &CHURNER),
        ("2", &CHURNER),
        ("big", &bigger),
        ("3", &CHURNER),
    ]);
    let analysis = engine::analyze(&data, &config());
    let order: Vec<String> = analysis
        .ranked(&data)
        .map(|i| data.customer_ids[i.customer].to_string())
        .collect();
    assert_eq!(order, ["big", "2", "3", "10"]);
    let top = analysis.ranked(&data).next().unwrap();
    // The original capped this customer at 9.40; here the maximum is reachable only by
    // being top on every factor, and the score reflects the factors exactly.
    let factors = top.score.unwrap();
    assert_eq!(factors.revenue_impact, 10.0);
    assert_eq!(factors.customer_value, 10.0);
    assert!((top.priority_score - (3.5 + 3.0 + 2.0 + 0.9)).abs() < 1e-12);
}

#[test]
fn defect_04_weeks_at_risk_matches_weeks_since_last_purchase() {
    // Six trailing zeros: the original said 4 weeks at risk and 6 weeks since purchase.
    let weeks = [
        90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ];
    let data = dataset(&[("c", &weeks)]);
    let analysis = engine::analyze(&data, &config());
    let insight = &analysis.insights(&data)[0];
    let zero_gap = insight
        .gaps()
        .find(|g| g.kind == GapType::ZeroSpend)
        .unwrap();
    assert_eq!(insight.churn.weeks_since_last_purchase, 6);
    assert_eq!(zero_gap.weeks_at_risk, 6);
    // An isolated zero is visible in the history even though recency ignores it.
    let mut isolated = [50.0; 12];
    isolated[5] = 0.0;
    let profile = engine::SpendProfile::of(&isolated, &config());
    assert_eq!(
        (profile.weeks_since_last_purchase, profile.zero_weeks_total),
        (0, 1)
    );
}

#[test]
fn defect_05_zero_spend_current_is_the_real_latest_spend() {
    // Two zeros in the recent window, but the customer bought again in the latest week.
    let weeks = [
        100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 0.0, 0.0, 40.0, 45.0,
    ];
    let data = dataset(&[("d", &weeks)]);
    let analysis = engine::analyze(&data, &config());
    let zero_gap = analysis.insights(&data)[0]
        .gaps()
        .find(|g| g.kind == GapType::ZeroSpend)
        .copied()
        .unwrap();
    assert_eq!(zero_gap.current, 45.0);
    assert_eq!(zero_gap.gap_amount, -55.0);
    assert_eq!(zero_gap.weeks_at_risk, 2);
}

#[test]
fn defect_06_hard_coded_constants_are_configurable() {
    let text = r#"
        [model]
        churn_model = "rules"
        [windows]
        baseline_weeks = 2
        recent_weeks = 3
        [gaps]
        at_risk_spend_ratio = 0.5
        [churn]
        strong_decline_pct = -50.0
        probability_bands = [{ min_points = 0, probability = 0.2 }]
        [opportunity]
        retention_high_weeks = 10.0
    "#;
    let custom = Config::from_toml_str(text).unwrap().validated().unwrap();
    let data = dataset(&[("a", &DECLINER)]);
    let analysis = engine::analyze(&data, &custom);
    let insight = &analysis.insights(&data)[0];
    assert_eq!(insight.profile.baseline_avg, 100.0);
    assert_eq!(insight.profile.recent_avg, (60.0 + 60.0 + 64.0) / 3.0);
    let gap = insight.primary_gap.unwrap();
    assert_eq!(
        gap.weeks_at_risk, 0,
        "no recent week is below 0.5 × baseline"
    );
    assert_eq!(insight.churn.probability, 0.2);
    let expected_potential = gap.gap_amount.abs() * 10.0;
    assert_eq!(
        insight.opportunity.as_ref().unwrap().potential_revenue,
        expected_potential
    );
}

#[test]
fn defect_07_low_severity_is_reachable_and_churn_points_have_no_float_edge() {
    // With the declining threshold loosened to −5 %, a −10 % decline is a *low* gap.
    let mut custom = config();
    custom.gaps.declining_revenue_pct = -5.0;
    let weeks = [
        100.0, 100.0, 100.0, 100.0, 95.0, 95.0, 95.0, 95.0, 90.0, 90.0, 90.0, 90.0,
    ];
    let data = dataset(&[("e", &weeks)]);
    let analysis = engine::analyze(&data, &custom);
    assert_eq!(
        analysis.insights(&data)[0].primary_gap.unwrap().severity,
        Severity::Low
    );
    // 40 (zero weeks) + 30 (decline) is exactly 70 points → the ≥ 0.70 band, by integers.
    let data = dataset(&[("f", &CHURNER)]);
    let analysis = engine::analyze(&data, &config());
    let churn = &analysis.insights(&data)[0].churn;
    assert_eq!(churn.points, 100);
    let two_zeros = [
        44.0, 44.0, 44.0, 44.0, 40.0, 40.0, 40.0, 40.0, 50.0, 48.0, 0.0, 0.0,
    ];
    let data = dataset(&[("g", &two_zeros)]);
    let analysis = engine::analyze(&data, &config());
    let churn = &analysis.insights(&data)[0].churn;
    assert_eq!(churn.points, 70);
    assert_eq!(churn.probability, 0.75);
}

#[test]
fn defect_08_values_are_rounded_only_for_display() {
    // Baseline 10.0075 was rounded to 10.01 before use in the original; here the gap uses
    // 10.0075 and only the display shows $10.01.
    let weeks = [
        10.0, 10.01, 10.01, 10.01, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0,
    ];
    let data = dataset(&[("h", &weeks)]);
    let analysis = engine::analyze(&data, &config());
    let gap = analysis.insights(&data)[0].primary_gap.unwrap();
    assert_eq!(gap.expected, (10.0 + 10.01 + 10.01 + 10.01) / 4.0);
    assert_eq!(revgap::report::format::money(gap.expected), "$10.01");
}

#[test]
fn defect_09_report_scope_is_the_portfolio() {
    let data = dataset(&[("a", &DECLINER), ("b", &CHURNER)]);
    let analysis = engine::analyze(&data, &config());
    let markdown = render(&data, &analysis, Format::Markdown);
    assert!(markdown.contains("**Analysis Scope:** All Customers"));
    assert!(markdown.contains("**Total Customers Analyzed:** 2"));
}

#[test]
fn defect_10_config_is_typed_and_rejects_unknown_keys() {
    let error = Config::from_toml_str("[llm]\nllm_temperature = 0.3\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("llm"), "{error}");
    let error = Config::from_toml_str("[scoring]\nrevenue_impact = \"high\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("revenue_impact") || error.contains("invalid type"),
        "{error}"
    );
}

#[test]
fn defect_11_as_of_date_cuts_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weekly.csv");
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    for (week, date) in ["2025-09-06", "2025-09-13", "2025-09-20"]
        .iter()
        .enumerate()
    {
        text.push_str(&format!("1,{date},{}\n", 10 * (week + 1)));
    }
    std::fs::write(&path, text).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2025, 9, 14);
    let data = revgap::data::load_weekly(
        path.to_str().unwrap(),
        &Default::default(),
        Default::default(),
        as_of,
    )
    .unwrap();
    assert_eq!(data.week_count(), 2);
    assert_eq!(data.load.rows_after_as_of, 1);
    assert_eq!(data.as_of, as_of);
}

#[test]
fn defect_12_no_gaps_gives_empty_results_not_errors() {
    let flat = [50.0; 12];
    let data = dataset(&[("z", &flat)]);
    let analysis = engine::analyze(&data, &config());
    assert!(analysis.ranking.is_empty());
    assert_eq!(analysis.summary.total_revenue_gap, 0.0);
    let markdown = render(&data, &analysis, Format::Markdown);
    assert!(markdown.contains("No customer has a revenue gap."));
    let json: serde_json::Value =
        serde_json::from_str(&render(&data, &analysis, Format::Json)).unwrap();
    assert_eq!(json["customers"], serde_json::json!([]));
    let empty = dataset(&[]);
    let analysis = engine::analyze(&empty, &config());
    assert_eq!(analysis.summary.customers_analyzed, 0);
}

#[test]
fn defect_13_labels_match_what_they_count() {
    let data = dataset(&[("a", &DECLINER), ("b", &CHURNER)]);
    let analysis = engine::analyze(&data, &config());
    let markdown = render(&data, &analysis, Format::Markdown);
    assert!(markdown.contains("**High-Severity Gaps:**"));
    assert!(!markdown.contains("High Priority Gaps"));
    // The high-churn list holds only ≥ 0.70 customers (the decliner scores 0.30).
    let churn_section = markdown
        .split("## High Churn Risk Customers")
        .nth(1)
        .unwrap();
    let churn_section = churn_section.split("## Recommendations").next().unwrap();
    assert!(churn_section.contains("Customer b"));
    assert!(!churn_section.contains("Customer a"));
}

#[test]
fn defect_14_narrative_is_labelled_and_per_customer() {
    let data = dataset(&[("b", &CHURNER)]);
    let analysis = engine::analyze(&data, &config());
    let json: serde_json::Value =
        serde_json::from_str(&render(&data, &analysis, Format::Json)).unwrap();
    let customer = &json["customers"][0];
    assert_eq!(customer["rationale"]["source"], "rule_based");
    let text = customer["rationale"]["text"].as_str().unwrap();
    assert!(!text.starts_with("Rationale:"));
    // One rationale per customer even though it has two gaps.
    assert_eq!(json["customers"].as_array().unwrap().len(), 1);
}

#[test]
fn defect_15_weeks_sort_by_date_and_missing_weeks_are_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weekly.csv");
    // Out of order, with 2025-09-13 missing for customer 1 and 2025-09-27 missing for all.
    let text = "customer_id,week_start_date,weekly_spend\n\
                1,2025-10-04,40\n1,2025-09-06,10\n1,2025-09-20,30\n\
                2,2025-09-13,5\n2,2025-09-06,5\n2,2025-10-04,5\n2,2025-09-20,5\n";
    std::fs::write(&path, text).unwrap();
    let data = revgap::data::load_weekly(
        path.to_str().unwrap(),
        &Default::default(),
        Default::default(),
        None,
    )
    .unwrap();
    assert_eq!(data.week_count(), 5);
    assert_eq!(*data.weeks_of(0), [10.0, 0.0, 30.0, 0.0, 40.0]);
    assert_eq!(*data.weeks_of(1), [5.0, 5.0, 5.0, 0.0, 5.0]);
    assert_eq!(data.load.missing_weeks_filled, 3);
    assert_eq!(data.week_starts[0].to_string(), "2025-09-06");
}
