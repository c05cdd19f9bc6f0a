//! Campaigns that can be measured, reach only whom they may, and report honestly (issue 26,
//! items 11–15): contacts are validated, a campaign needs a control arm, overlapping campaigns,
//! the global holdout and the suppression list keep people out of sends and exports, CRM
//! presets leave out whom they cannot address, measurement refuses the wrong follow-up file
//! and agrees with `metrics`, and `generate` and `backtest` refuse what they cannot do.

mod common;

use common::isolated;
use std::path::{Path, PathBuf};
use std::process::Output;

fn run(home: &Path, args: &[&str]) -> Output {
    isolated(home).args(args).output().expect("binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ok_json(output: Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// A generated sample under `dir`: (weekly, customers, contacts) paths.
fn sample(home: &Path, dir: &Path, customers: usize) -> [String; 3] {
    let out = run(
        home,
        &[
            "generate",
            "--customers",
            &customers.to_string(),
            "--weeks",
            "16",
            "--seed",
            "5",
            // The original's shape: most customers have a gap, and dates are fixed.
            "--shape",
            "original",
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    ["weekly_spend.csv", "customers.csv", "contacts.csv"]
        .map(|name| dir.join(name).to_str().unwrap().to_string())
}

fn data_flags(files: &[String; 3]) -> Vec<&str> {
    vec![
        "--weekly",
        &files[0],
        "--customers",
        &files[1],
        "--contacts",
        &files[2],
    ]
}

/// Rewrites the first column of every row of a CSV file with `rename`.
fn rename_ids(path: &str, rename: &dyn Fn(&str) -> String) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(&headers).unwrap();
    for row in rows {
        let mut cells: Vec<String> = row.iter().map(String::from).collect();
        cells[0] = rename(&cells[0]);
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
}

#[test]
fn item_11_invalid_addresses_are_reported_by_line_and_give_no_channel() {
    let home = tempfile::tempdir().unwrap();
    let files = sample(home.path(), &home.path().join("data"), 200);
    // Break some addresses: customers 1–4 email-only consent, 5–6 SMS.
    let text = std::fs::read_to_string(&files[2]).unwrap();
    let long = format!("{}@example.com", "a".repeat(250));
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let bad_emails = ["not an email", "ann@", &long, "two@@example.com"];
    for (row, email) in bad_emails.iter().enumerate() {
        lines[row + 1] = format!("{},{email},,UTC,en,true,false,false", row + 1);
    }
    lines[5] = "5,,555-0100,UTC,en,false,true,false".into();
    lines[6] = "6,,+0 123 4567 89,UTC,en,false,true,false".into();
    lines[7] = "7,,+44 (20) 7946.0018,UTC,en,false,true,false".into();
    std::fs::write(&files[2], lines.join("\n") + "\n").unwrap();
    let db = home.path().join("l.sqlite");
    let mut args = vec![
        "campaign",
        "create",
        "--name",
        "Checked",
        "--customers-file",
    ];
    let ids = home.path().join("ids.txt");
    std::fs::write(
        &ids,
        (1..=200).map(|i| format!("{i}\n")).collect::<String>(),
    )
    .unwrap();
    args.push(ids.to_str().unwrap());
    args.extend(data_flags(&files));
    args.extend([
        "--control",
        "0.3",
        "--format",
        "json",
        "--db",
        db.to_str().unwrap(),
    ]);
    let output = run(home.path(), &args);
    let message = stderr(&output);
    let created = ok_json(output);
    for (line, column, what) in [
        (2, 2, "customer \"1\" gets no email"),
        (3, 2, "customer \"2\" gets no email"),
        (4, 2, "262 bytes; expected an email address of at most 254"),
        (5, 2, "customer \"4\" gets no email"),
        (6, 3, "\"555-0100\": expected an international number"),
        (7, 3, "customer \"6\" gets no SMS or call"),
    ] {
        let place = format!("contacts.csv:{line}:{column} (");
        assert!(
            message.lines().any(|l| l.starts_with("revgap: warning: ")
                && l.contains(&place)
                && l.contains(what)),
            "{place} {what}: {message}"
        );
    }
    assert!(
        !message.contains("contacts.csv:8:"),
        "a valid number: {message}"
    );
    assert!(
        created["excluded"]["no_consented_channel"]
            .as_i64()
            .unwrap()
            >= 6,
        "{created}"
    );
    let shown = ok_json(run(
        home.path(),
        &[
            "campaign",
            "show",
            "1",
            "--format",
            "json",
            "--db",
            db.to_str().unwrap(),
        ],
    ));
    let members = shown["members"].as_array().unwrap();
    let member = |id: &str| members.iter().find(|m| m["customer_id"] == id);
    for id in ["1", "2", "3", "4", "5", "6"] {
        assert!(member(id).is_none(), "customer {id} has no valid address");
    }
    let seven = member("7").expect("a valid number keeps its channel");
    assert_eq!(seven["planned_channel"], "sms", "{seven}");
}

#[test]
fn item_12_a_campaign_needs_a_control_arm_or_says_it_cannot_be_measured() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("l.sqlite");
    let db = db.to_str().unwrap();
    for (top, control, expected) in [
        (
            "1",
            "0.05",
            "1 treated and 0 control: fewer than 30 control members (outcome.min_control), so it could detect no effect at all",
        ),
        (
            "60",
            "0.1",
            "5 control: fewer than 30 control members (outcome.min_control), so the smallest effect it could detect is $",
        ),
    ] {
        let out = run(
            home.path(),
            &[
                "campaign",
                "create",
                "--name",
                "Tiny",
                "--top",
                top,
                "--control",
                control,
                "--db",
                db,
            ],
        );
        assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("or pass --no-control"),
            "{}",
            stderr(&out)
        );
    }
    let created = ok_json(run(
        home.path(),
        &[
            "campaign",
            "create",
            "--name",
            "Everyone",
            "--top",
            "20",
            "--no-control",
            "--db",
            db,
            "--format",
            "json",
        ],
    ));
    assert_eq!(created["control"], 0);
    assert_eq!(
        created["warnings"][0],
        "no control group (--no-control): this campaign cannot be measured"
    );
    let id = created["campaign_id"].to_string();
    let shown = ok_json(run(
        home.path(),
        &["campaign", "show", &id, "--format", "json", "--db", db],
    ));
    assert_eq!(shown["measurable"], false);
    let exported = run(
        home.path(),
        &["campaign", "export", &id, "--db", db, "--out", "/dev/null"],
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    let measured = run(home.path(), &["campaign", "measure", &id, "--db", db]);
    assert_eq!(measured.status.code(), Some(2), "{}", stderr(&measured));
    assert!(
        stderr(&measured)
            .contains("has no control group (made with --no-control): it cannot be measured"),
        "{}",
        stderr(&measured)
    );
    let both = run(
        home.path(),
        &[
            "campaign",
            "create",
            "--name",
            "X",
            "--top",
            "20",
            "--no-control",
            "--control",
            "0.2",
            "--db",
            db,
        ],
    );
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn item_13_overlap_global_holdout_and_suppressions_keep_people_out() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("l.sqlite");
    let db = db.to_str().unwrap();
    let create = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "campaign",
            "create",
            "--name",
            name,
            "--top",
            "150",
            "--control",
            "0.3",
            "--format",
            "json",
            "--db",
            db,
        ];
        args.extend(extra);
        ok_json(run(home.path(), &args))
    };
    let first = create("First", &[]);
    let first_members = first["treated"].as_i64().unwrap() + first["control"].as_i64().unwrap();
    // The same customers again: all inside the first campaign's window, so left out.
    let again = run(
        home.path(),
        &[
            "campaign", "create", "--name", "Again", "--top", "150", "--db", db,
        ],
    );
    assert_eq!(again.status.code(), Some(65), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(&format!("in_another_campaign {first_members}")),
        "{}",
        stderr(&again)
    );
    let overlapping = create("Overlapping", &["--allow-overlap"]);
    let id = overlapping["campaign_id"].to_string();
    for campaign in ["1", id.as_str()] {
        let shown = ok_json(run(
            home.path(),
            &["campaign", "show", campaign, "--format", "json", "--db", db],
        ));
        let overlaps = shown["overlaps"].as_array().unwrap();
        assert_eq!(overlaps.len(), 1, "{campaign}: {overlaps:?}");
        assert!(overlaps[0]["shared_members"].as_i64().unwrap() > 100);
        let text = run(home.path(), &["campaign", "show", campaign, "--db", db]);
        assert!(String::from_utf8_lossy(&text.stdout).contains("overlap: "));
    }

    // A global holdout in the config: its members are left out and counted, the same ones
    // every time (a stable salted hash).
    let config = home.path().join("holdout.toml");
    std::fs::write(&config, "[outreach]\nglobal_holdout = 0.2\n").unwrap();
    let held = |name: &str| {
        let created = create(
            name,
            &["--allow-overlap", "--config", config.to_str().unwrap()],
        );
        created["excluded"]["global_holdout"].as_i64().unwrap_or(0)
    };
    let (one, two) = (held("Held 1"), held("Held 2"));
    assert!((15..=45).contains(&one), "{one}");
    assert_eq!(one, two, "the same customers are held out every time");

    // The suppression list: imported, listed, and honoured by send and export of a campaign
    // made before the entries were added.
    let shown = ok_json(run(
        home.path(),
        &["campaign", "show", &id, "--format", "json", "--db", db],
    ));
    let treated: Vec<&serde_json::Value> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["arm"] == "treated" && m["channel"] == "email")
        .collect();
    let contacts = revgap::campaign::contacts::load(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/contacts.csv"
    )))
    .unwrap()
    .by_id;
    let by_id = treated[0]["customer_id"].as_str().unwrap();
    let by_email = contacts[treated[1]["customer_id"].as_str().unwrap()]
        .email
        .to_uppercase();
    let file = home.path().join("dnc.csv");
    std::fs::write(
        &file,
        format!("customer_id,email,reason\n{by_id},,complaint\n,{by_email},\n"),
    )
    .unwrap();
    let imported = run(
        home.path(),
        &["suppress", "import", file.to_str().unwrap(), "--db", db],
    );
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stderr(&imported).contains("2 added, 0 already listed"),
        "{}",
        stderr(&imported)
    );
    let listed = ok_json(run(
        home.path(),
        &["suppress", "list", "--format", "json", "--db", db],
    ));
    assert_eq!(listed["suppressions"].as_array().unwrap().len(), 2);
    assert_eq!(listed["suppressions"][1]["reason"], "imported");
    let out = home.path().join("export.csv");
    let exported = run(
        home.path(),
        &[
            "campaign",
            "export",
            &id,
            "--preset",
            "generic",
            "--db",
            db,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(
        stderr(&exported).contains("2 on the suppression list"),
        "{}",
        stderr(&exported)
    );
    let file_text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !file_text
            .lines()
            .any(|l| l.starts_with(&format!("{by_id},")))
    );
    assert!(!file_text.to_uppercase().contains(&by_email));
    let receiver =
        common::receiver::Receiver::start(|_| common::receiver::Answer::status("200 OK"));
    let sent = isolated(home.path())
        .args([
            "campaign",
            "send",
            &id,
            "--webhook",
            &receiver.url,
            "--db",
            db,
        ])
        .env(
            "REVGAP_WEBHOOK_SECRET",
            "whsec_c2VjcmV0LWZvci10ZXN0cy0xMjM0NTY3ODk=",
        )
        .output()
        .unwrap();
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert!(
        stderr(&sent).contains("2 on the suppression list"),
        "{}",
        stderr(&sent)
    );
    let reached: Vec<String> = receiver
        .requests()
        .iter()
        .filter_map(|r| r.customer())
        .collect();
    assert!(
        !reached
            .iter()
            .any(|c| c == by_id || c == treated[1]["customer_id"].as_str().unwrap())
    );
    // A new campaign leaves them out from the start.
    let fresh = create("After the list", &["--allow-overlap"]);
    assert!(
        fresh["excluded"]["suppressed"].as_i64().unwrap() >= 1,
        "{fresh}"
    );

    // CRM presets: Mailchimp keys contacts by email, so SMS and push members are left out
    // and counted.
    let mailchimp = run(
        home.path(),
        &[
            "campaign",
            "export",
            &id,
            "--preset",
            "mailchimp",
            "--db",
            db,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(mailchimp.status.success(), "{}", stderr(&mailchimp));
    let without_email = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["arm"] == "treated" && (m["channel"] == "sms" || m["channel"] == "push"))
        .count();
    assert!(without_email > 0);
    assert!(
        stderr(&mailchimp).contains(&format!(
            "{without_email} without the address this platform needs"
        )),
        "{}",
        stderr(&mailchimp)
    );
    let mut rows = csv::Reader::from_path(&out).unwrap();
    assert!(
        rows.records().all(|r| r.unwrap()[0].contains('@')),
        "every Mailchimp row has an email"
    );
}

#[test]
fn item_14_measurement_refuses_the_wrong_file_agrees_with_metrics_and_reads_back_any_id() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let files = sample(home.path(), &data, 300);
    // Ids a spreadsheet or a CSV writer could mangle.
    let odd = |id: &str| match id {
        "1" => "=1+1".to_string(),
        "2" => "-7".to_string(),
        "3" => "@home".to_string(),
        "4" => "a,b".to_string(),
        "5" => "q\"t".to_string(),
        other => other.to_string(),
    };
    for file in &files {
        rename_ids(file, &odd);
    }
    let db = home.path().join("l.sqlite");
    let db = db.to_str().unwrap();
    let ids = home.path().join("ids.txt");
    std::fs::write(
        &ids,
        (1..=300)
            .map(|i| odd(&i.to_string()) + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let mut args = vec![
        "campaign",
        "create",
        "--name",
        "Odd ids",
        "--customers-file",
        ids.to_str().unwrap(),
    ];
    args.extend(data_flags(&files));
    args.extend(["--control", "0.3", "--format", "json", "--db", db]);
    let created = ok_json(run(home.path(), &args));
    let id = created["campaign_id"].to_string();
    let exported = run(
        home.path(),
        &["campaign", "export", &id, "--db", db, "--out", "/dev/null"],
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    let follow_up = home.path().join("follow-up.csv");
    let simulated = run(
        home.path(),
        &[
            "campaign",
            "simulate-outcome",
            &id,
            "--effect",
            "20",
            "--db",
            db,
            "--out",
            follow_up.to_str().unwrap(),
        ],
    );
    assert!(simulated.status.success(), "{}", stderr(&simulated));
    // Every member's id reads back exactly.
    let mut reader = csv::Reader::from_path(&follow_up).unwrap();
    let read: std::collections::BTreeSet<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let shown = ok_json(run(
        home.path(),
        &["campaign", "show", &id, "--format", "json", "--db", db],
    ));
    let members: std::collections::BTreeSet<String> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["customer_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(read, members);
    let odd_members = ["=1+1", "-7", "@home", "a,b", "q\"t"]
        .iter()
        .filter(|id| members.contains(**id))
        .count();
    assert!(odd_members >= 3, "{members:?}");
    let measured = ok_json(run(
        home.path(),
        &[
            "campaign",
            "measure",
            &id,
            "--weekly",
            follow_up.to_str().unwrap(),
            "--format",
            "json",
            "--db",
            db,
        ],
    ));
    assert_eq!(
        measured["missing_from_follow_up"], 0,
        "ids read back: {measured}"
    );

    // Measure, metrics and the explorer lead with one headline figure.
    let metrics = ok_json(run(
        home.path(),
        &["metrics", "--no-backtest", "--format", "json", "--db", db],
    ));
    let longest = measured["windows"].as_array().unwrap().last().unwrap();
    assert_eq!(
        metrics["campaigns"][0]["incremental_revenue_per_treated"],
        longest["headline_revenue_per_treated"],
        "{metrics}"
    );
    assert_eq!(metrics["campaigns"][0]["estimator"], longest["headline"]);
    let markdown = run(
        home.path(),
        &[
            "campaign",
            "measure",
            &id,
            "--weekly",
            follow_up.to_str().unwrap(),
            "--db",
            db,
        ],
    );
    let text = String::from_utf8_lossy(&markdown.stdout);
    assert!(text.contains("(headline, "), "{text}");

    // A follow-up file of other customers is the wrong file; one with half is a warning.
    let wrong = home.path().join("wrong.csv");
    std::fs::write(&wrong, "customer_id,week_start_date,weekly_spend\nzz1,2025-12-27,5\nzz1,2026-01-03,5\nzz1,2026-01-10,5\nzz1,2026-01-17,5\nzz1,2026-01-24,5\nzz1,2026-01-31,5\nzz1,2026-02-07,5\nzz1,2026-02-14,5\n").unwrap();
    let refused = run(
        home.path(),
        &[
            "campaign",
            "measure",
            &id,
            "--weekly",
            wrong.to_str().unwrap(),
            "--db",
            db,
        ],
    );
    assert_eq!(refused.status.code(), Some(65), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("{}: none of the campaign's", wrong.display())),
        "{}",
        stderr(&refused)
    );
    let half = home.path().join("half.csv");
    let text = std::fs::read_to_string(&follow_up).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept = 1 + (lines.len() - 1) / 2 / 8 * 8;
    std::fs::write(&half, lines[..kept].join("\n") + "\n").unwrap();
    let partial = run(
        home.path(),
        &[
            "campaign",
            "measure",
            &id,
            "--weekly",
            half.to_str().unwrap(),
            "--db",
            db,
        ],
    );
    assert!(partial.status.success(), "{}", stderr(&partial));
    assert!(
        stderr(&partial).contains(&format!("revgap: warning: {} holds ", half.display()))
            && stderr(&partial).contains("members (50.0%); the "),
        "{}",
        stderr(&partial)
    );

    // Learn show: no NaN anywhere.
    let learned = run(home.path(), &["learn", "show", "--db", db]);
    assert!(learned.status.success(), "{}", stderr(&learned));
    let text = String::from_utf8_lossy(&learned.stdout);
    assert!(!text.to_lowercase().contains("nan"), "{text}");
}

#[test]
fn item_15_generate_and_backtest_refuse_what_they_cannot_do() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("g");
    let out = out.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--weeks", "100000000"],
            "expected 1 to 100000000 customers and 1 to 5200 weeks",
        ),
        (
            vec!["--customers", "0"],
            "expected 1 to 100000000 customers",
        ),
        (
            vec!["--start", "9999-11-06", "--weeks", "12"],
            "would run past 9999-12-31",
        ),
    ] {
        let mut full = vec!["generate", "--out", out];
        full.extend(args);
        let output = run(home.path(), &full);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{full:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
        assert_eq!(stderr(&output).trim_end().lines().count(), 1);
    }
    assert!(!Path::new(out).exists(), "nothing written");
    let backtest = run(
        home.path(),
        &[
            "backtest",
            "--calibration-end",
            "2027-01-01",
            "--horizon-weeks",
            "4",
        ],
    );
    assert_eq!(backtest.status.code(), Some(2), "{}", stderr(&backtest));
    assert!(
        stderr(&backtest).contains("--calibration-end 2027-01-01: the data end on"),
        "{}",
        stderr(&backtest)
    );
    assert!(
        !String::from_utf8_lossy(&backtest.stdout)
            .to_lowercase()
            .contains("nan")
    );
}
