//! `campaign measure` end to end: a campaign on generated data is sent to a loopback webhook
//! receiver, follow-up spend with a known effect is generated for its members, and the
//! measured interval holds the truth; the fixed JSON names; re-measuring adds a snapshot; bad
//! input is one line and leaves the ledger as it was. (Coverage over many seeds is proven in
//! `outcome::estimate`'s tests.)

mod common;

use common::{json, revgap};
use std::io::{BufRead, BufReader, Read, Write};

/// A webhook receiver on loopback that accepts every request with 200.
fn accepting_receiver() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(value) =
                            line.to_ascii_lowercase().strip_prefix("content-length:")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let reply = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if reader.get_mut().write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_sent_campaign_measured_on_follow_up_with_a_known_effect_holds_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let db = path("ledger.sqlite");
    let data = path("data");
    assert!(
        revgap(&[
            "generate",
            "--customers",
            "3000",
            "--weeks",
            "16",
            "--seed",
            "21",
            "--shape",
            "original",
            "--out",
            &data,
        ])
        .status
        .success()
    );
    let weekly = format!("{data}/weekly_spend.csv");
    let created = json(&[
        "campaign",
        "create",
        "--name",
        "Measured",
        "--weekly",
        &weekly,
        "--customers",
        &format!("{data}/customers.csv"),
        "--contacts",
        &format!("{data}/contacts.csv"),
        "--top",
        "3000",
        "--control",
        "0.3",
        "--db",
        &db,
        "--format",
        "json",
        "--allow-overlap",
    ]);
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let treated = created["treated"].as_u64().unwrap();
    let control = created["control"].as_u64().unwrap();

    // Not sent yet: nothing to measure, and nothing stored.
    let early = revgap(&["campaign", "measure", &id, "--weekly", &weekly, "--db", &db]);
    let stderr = String::from_utf8_lossy(&early.stderr);
    assert_eq!(early.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("has not been sent or exported yet"),
        "{stderr}"
    );

    let url = accepting_receiver();
    let sent = common::command()
        .args(["campaign", "send", &id, "--webhook", &url, "--db", &db])
        .env("REVGAP_WEBHOOK_SECRET", "whsec_dGVzdC1zZWNyZXQ=")
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );

    // The original data ends before the follow-up: one line, exit 65.
    let uncovered = revgap(&["campaign", "measure", &id, "--weekly", &weekly, "--db", &db]);
    let stderr = String::from_utf8_lossy(&uncovered.stderr);
    assert_eq!(uncovered.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains("the follow-up data has 0 of the 8 weeks"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1);

    let follow = path("follow_up.csv");
    let simulated = revgap(&[
        "campaign",
        "simulate-outcome",
        &id,
        "--effect",
        "12",
        "--weeks",
        "8",
        "--seed",
        "4",
        "--out",
        &follow,
        "--db",
        &db,
    ]);
    assert!(simulated.status.success());
    let measured = json(&[
        "campaign", "measure", &id, "--weekly", &follow, "--format", "json", "--db", &db,
    ]);
    assert_eq!(measured["campaign_id"].as_i64().unwrap().to_string(), id);
    assert_eq!(measured["missing_from_follow_up"], 0);
    assert_eq!(measured["delivery"]["rate"], 1.0);
    assert!(measured["time_to_action_days"]["median"].as_f64().unwrap() > 0.0);
    let windows = measured["windows"].as_array().unwrap();
    assert_eq!(
        windows
            .iter()
            .map(|w| w["weeks"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [2, 4, 8]
    );
    for window in windows {
        assert_eq!(window["n_treated"].as_u64().unwrap(), treated);
        assert_eq!(window["n_control"].as_u64().unwrap(), control);
        for key in [
            "incremental_revenue_per_treated",
            "incremental_revenue_total",
            "cuped",
            "recovery_lift",
        ] {
            for field in ["estimate", "ci_low", "ci_high"] {
                assert!(window[key][field].is_f64(), "{key}.{field}: {window}");
            }
        }
        assert!(
            window["cuped"]["theta"].is_f64() && window["cuped"]["variance_reduction"].is_f64()
        );
        assert!(
            window["recovery_rate_treated"].is_f64() && window["recovery_rate_control"].is_f64()
        );
        let cells = window["breakdowns"].as_array().unwrap();
        for dimension in ["channel", "offer", "segment", "churn_risk"] {
            assert!(
                cells.iter().any(|c| c["dimension"] == dimension),
                "{dimension}"
            );
        }
        for cell in cells {
            if cell["significant"] == true {
                assert_eq!(cell["too_small"], false);
                assert!(
                    cell["incremental_revenue_per_treated"]["ci_low"]
                        .as_f64()
                        .unwrap()
                        > 0.0
                        || cell["incremental_revenue_per_treated"]["ci_high"]
                            .as_f64()
                            .unwrap()
                            < 0.0
                );
            }
        }
        let cuped = &window["cuped"];
        let (low, high) = (
            cuped["ci_low"].as_f64().unwrap(),
            cuped["ci_high"].as_f64().unwrap(),
        );
        assert!(
            low <= 12.0 && 12.0 <= high,
            "the truth 12 is outside {low}..{high}"
        );
        let verdict = window["verdict"].as_str().unwrap();
        assert!(
            ["lift", "insufficient evidence"].contains(&verdict),
            "{verdict}"
        );
        if low <= 0.0 && window["headline"] == "cuped" {
            assert_eq!(
                verdict, "insufficient evidence",
                "never a winner from a crossing interval"
            );
        }
    }
    // Re-measuring adds a snapshot and never overwrites.
    let again = json(&[
        "campaign",
        "measure",
        &id,
        "--weekly",
        &follow,
        "--windows",
        "4",
        "--format",
        "json",
        "--db",
        &db,
    ]);
    assert_eq!(again["measurement"], 2);
    let ledger = revgap::ledger::Ledger::open(std::path::Path::new(&db)).unwrap();
    assert_eq!(
        ledger.campaign(id.parse().unwrap()).unwrap().status,
        "measured"
    );
    let outcomes = ledger.outcomes(id.parse().unwrap()).unwrap();
    assert_eq!(outcomes.len(), 2, "the first measurement is kept");
    let windows: Vec<i64> = outcomes[0].windows.iter().map(|w| w.0).collect();
    assert_eq!(windows, [14, 28, 56]);
    assert_eq!(outcomes[1].windows.len(), 1);
    for (_, spend) in &outcomes[0].windows {
        assert_eq!(spend.len() as u64, treated + control);
        assert_eq!(outcomes[0].customers.len(), spend.len());
    }
    // The 4-week window read twice from the same data gives the same snapshot.
    assert_eq!(outcomes[0].windows[1].1, outcomes[1].windows[0].1);
    drop(ledger);

    let markdown = String::from_utf8(
        revgap(&["campaign", "measure", &id, "--weekly", &follow, "--db", &db]).stdout,
    )
    .unwrap();
    assert!(markdown.contains("## 8 weeks after"), "{markdown}");
    assert!(
        markdown.contains("(headline, CUPED-adjusted)")
            && markdown.contains("- Welch, unadjusted: ")
            && markdown.contains("- CUPED on pre-campaign spend (the headline): "),
        "{markdown}"
    );

    // The success metrics pool the measured campaign: the true total ($12 × treated) inside.
    let metrics = json(&[
        "metrics",
        "--db",
        &db,
        "--weekly",
        &follow,
        "--no-backtest",
        "--format",
        "json",
    ]);
    assert_eq!(metrics["measured_campaigns"], 1);
    let revenue = &metrics["revenue_recovered_weekly"];
    let truth = 12.0 * treated as f64;
    assert!(
        revenue["ci_low"].as_f64().unwrap() <= truth
            && truth <= revenue["ci_high"].as_f64().unwrap(),
        "{revenue}"
    );
    assert!(metrics["action_success_rate"]["estimate"].as_f64().unwrap() > 0.0);
    assert!(metrics["time_to_action_days"]["median"].as_f64().unwrap() > 0.0);
    assert_eq!(metrics["campaigns"][0]["name"], "Measured");
    assert_eq!(
        metrics["gap_detection"]["unavailable"],
        "skipped (--no-backtest)"
    );

    // What it taught: every member in one cell of the learned table, the lift positive.
    let learned = json(&["learn", "show", "--db", &db, "--format", "json"]);
    let cells = learned["cells"].as_array().unwrap();
    let counted: u64 = cells.iter().map(|c| c["n_treated"].as_u64().unwrap()).sum();
    assert_eq!(counted, treated);
    assert!(
        learned["pooled_rate_treated"].as_f64().unwrap()
            > learned["pooled_rate_control"].as_f64().unwrap()
    );
    for cell in cells {
        assert_eq!(
            cell["active"],
            cell["n_treated"].as_u64().unwrap() >= 30,
            "{cell}"
        );
    }

    feedback_loop(&data, &db, &path("empty.sqlite"));

    let missing = revgap(&[
        "campaign", "measure", "99", "--weekly", &follow, "--db", &db,
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("campaign 99 is not in the ledger"));
}

/// Gap-detection accuracy in `revgap metrics` is the backtest's AUC with the data's last
/// weeks as the holdout: on CDNOW with 39 weeks, the same numbers as `revgap backtest
/// --calibration-end 1997-09-30 --horizon-weeks 39`; an empty ledger still reports it.
#[test]
fn metrics_report_the_backtest_auc_on_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    drop(revgap::ledger::Ledger::open(&db).unwrap());
    let path = common::fixture("cdnow/CDNOW_sample.txt");
    let mut args = vec![
        "metrics",
        "--db",
        db.to_str().unwrap(),
        "--transactions",
        path.to_str().unwrap(),
        "--horizon-weeks",
        "39",
        "--format",
        "json",
    ];
    args.extend(common::CDNOW_FLAGS);
    let metrics = json(&args);
    assert_eq!(metrics["measured_campaigns"], 0);
    let rules = metrics["gap_detection"]["auc_rules"].as_f64().unwrap();
    assert!((rules - 0.5575).abs() < 0.001, "{rules}");
    assert!(metrics["gap_detection"]["auc_model"].as_f64().unwrap() >= 0.78);
}

/// What the measured campaign taught reaches scoring, targeting and the next campaign's plan;
/// `--no-learning` gives exactly the numbers of an analysis with nothing measured.
fn feedback_loop(data: &str, db: &str, empty_db: &str) {
    let data_flags = [
        "--weekly",
        &format!("{data}/weekly_spend.csv"),
        "--customers",
        &format!("{data}/customers.csv"),
    ]
    .map(String::from);
    let analyze = |extra: &[&str]| {
        let mut args: Vec<&str> = vec!["analyze", "--format", "json", "--with-rationale"];
        args.extend(data_flags.iter().map(String::as_str));
        args.extend(extra);
        let mut report = json(&args);
        report.as_object_mut().unwrap().remove("generated_at");
        report
    };
    let learned = analyze(&["--db", db]);
    let learning = &learned["learning"];
    assert_eq!(learning["campaigns"], 1, "{learning}");
    let pooled_lift = learning["pooled_lift"].as_f64().unwrap();
    assert!(pooled_lift > 0.0);
    let customers = learned["customers"].as_array().unwrap();
    let mut expected_recovery = Vec::new();
    for customer in customers {
        let Some(opportunity) = customer["opportunity"].as_object() else {
            continue;
        };
        let note = &opportunity["learned_recovery"];
        let lift = note["lift"].as_f64().unwrap();
        let factor = customer["score_factors"]["recovery_probability"]
            .as_f64()
            .unwrap();
        assert!(
            (factor - 10.0 * lift.clamp(0.0, 1.0)).abs() < 1e-3,
            "{customer}"
        );
        if note["basis"] == "pooled" {
            assert!((lift - pooled_lift).abs() < 1e-4);
        }
        assert!(
            customer["rationale"]["text"]
                .as_str()
                .unwrap()
                .contains(&format!(
                    "learned from 1 measured campaign(s) (value tier {}",
                    customer["segments"]["value_tier"].as_str().unwrap()
                ))
                || note["basis"] == "pooled",
            "{customer}"
        );
        expected_recovery.push(note["expected_incremental_recovery"].as_f64().unwrap());
    }
    assert!(expected_recovery.len() > 100);

    // Unlearned: --no-learning on the taught ledger equals a ledger that taught nothing, and
    // neither mentions learning.
    let unlearned = analyze(&["--db", db, "--no-learning"]);
    // An empty ledger (readers never make one).
    drop(revgap::ledger::Ledger::open(std::path::Path::new(empty_db)).unwrap());
    assert_eq!(unlearned, analyze(&["--db", empty_db]));
    assert!(unlearned.get("learning").is_none());
    assert_ne!(unlearned["customers"], learned["customers"]);
    let text = |extra: &[&str]| {
        let mut args: Vec<&str> = vec!["analyze"];
        args.extend(data_flags.iter().map(String::as_str));
        args.extend(extra);
        let report = String::from_utf8(revgap(&args).stdout).unwrap();
        report
            .lines()
            .filter(|line| !line.contains("Generated"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // The ledger with a measured campaign adds its success metrics at the end; the rest is
    // the unlearned report.
    let markdown = text(&["--db", db, "--no-learning"]);
    let (report, metrics) = markdown.split_once("## Success metrics").unwrap();
    assert_eq!(report.trim_end(), text(&["--db", empty_db]).trim_end());
    assert!(!report.contains("learned"));
    assert!(metrics.contains("- **Measured campaigns:** 1"), "{metrics}");
    assert!(metrics.contains("- **System:** this analysis"), "{metrics}");
    assert!(text(&["--db", db]).contains("replacing the default"));

    // The next campaign targets by expected incremental recovery and draws channel and
    // offer by Thompson sampling; the control share stays what was asked.
    let mut create: Vec<String> = [
        "campaign",
        "create",
        "--name",
        "Next",
        "--top",
        "400",
        "--allow-overlap",
    ]
    .map(String::from)
    .to_vec();
    create.extend(data_flags.iter().cloned());
    create.extend(
        [
            "--contacts",
            &format!("{data}/contacts.csv"),
            "--db",
            db,
            "--format",
            "json",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = create.iter().map(String::as_str).collect();
    let next = json(&args);
    let plan_learning = &next["learning"];
    assert_eq!(plan_learning["campaigns"], 1, "{next}");
    assert!(plan_learning["sampled_members"].as_u64().unwrap() > 100);
    let control = next["control"].as_f64().unwrap();
    let share = control / (control + next["treated"].as_f64().unwrap());
    assert!((share - 0.10).abs() < 0.01, "{share}");
    let ledger = revgap::ledger::Ledger::open(std::path::Path::new(db)).unwrap();
    let members = ledger
        .members(next["campaign_id"].as_i64().unwrap())
        .unwrap();
    // Only the 400 customers with the largest expected incremental recovery were considered
    // (those without a consented channel drop out before randomization).
    let mut by_expected: Vec<(f64, &str)> = customers
        .iter()
        .filter_map(|c| {
            Some((
                c["opportunity"]["learned_recovery"]["expected_incremental_recovery"].as_f64()?,
                c["customer_id"].as_str()?,
            ))
        })
        .collect();
    by_expected.sort_by(|a, b| b.0.total_cmp(&a.0));
    let cutoff = by_expected[399].0;
    let expected_of: std::collections::HashMap<&str, f64> =
        by_expected.iter().map(|(e, id)| (*id, *e)).collect();
    for member in &members {
        let expected = expected_of[member.customer_id.as_str()];
        // Reports round to cents.
        assert!(
            expected >= cutoff - 0.01,
            "{} ({expected}) was chosen below the cutoff {cutoff}",
            member.customer_id
        );
    }
    let channels: std::collections::HashSet<&str> =
        members.iter().map(|m| m.planned_channel.as_str()).collect();
    assert!(channels.len() >= 2, "{channels:?}");
}
