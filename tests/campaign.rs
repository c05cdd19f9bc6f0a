//! `revgap campaign create | list | show` on the bundled sample, with the ledger in a temp
//! dir: fixed JSON names, eligibility before randomization, reproducible arms, and one-line
//! errors that change nothing.

mod common;

use common::{json, revgap};

fn db(dir: &tempfile::TempDir) -> String {
    dir.path()
        .join("ledger.sqlite")
        .to_str()
        .unwrap()
        .to_string()
}

fn create(db: &str, name: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "campaign",
        "create",
        "--name",
        name,
        "--db",
        db,
        "--format",
        "json",
        "--allow-overlap",
    ];
    args.extend(common::SMALL_CAMPAIGNS);
    args.extend(extra);
    json(&args)
}

fn members(db: &str, id: i64) -> Vec<serde_json::Value> {
    let shown = json(&[
        "campaign",
        "show",
        &id.to_string(),
        "--db",
        db,
        "--format",
        "json",
    ]);
    shown["members"].as_array().unwrap().clone()
}

/// `campaign export ID --preset PRESET --out FILE`, expected to succeed.
fn export(db: &str, id: &str, preset: &str, out: &std::path::Path) {
    let output = revgap(&[
        "campaign",
        "export",
        id,
        "--preset",
        preset,
        "--out",
        out.to_str().unwrap(),
        "--db",
        db,
    ]);
    assert!(
        output.status.success(),
        "{preset}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_campaign_holds_out_a_control_group_and_counts_who_was_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let created = create(&db, "Spring win-back", &["--top", "120"]);
    let (treated, control) = (
        created["treated"].as_u64().unwrap(),
        created["control"].as_u64().unwrap(),
    );
    let excluded: u64 = created["excluded"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(treated + control + excluded, 120, "{created}");
    assert!(
        created["excluded"]["no_consented_channel"]
            .as_u64()
            .unwrap()
            > 0
    );
    // 10 % of the eligible, to one customer overall.
    let eligible = (treated + control) as f64;
    assert!((control as f64 - eligible * 0.1).abs() <= 0.5, "{created}");
    for key in ["pre_weekly_spend", "churn_probability", "gap"] {
        assert!(created["balance"][key].is_number(), "{created}");
    }
    assert!(
        created["min_detectable_effect"]["total_over_follow_up"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let id = created["campaign_id"].as_i64().unwrap();
    let members = members(&db, id);
    assert_eq!(members.len() as u64, treated + control);
    for member in &members {
        match member["arm"].as_str().unwrap() {
            "control" => assert!(
                member["channel"].is_null(),
                "a control member is never contacted"
            ),
            "treated" => assert!(
                ["email", "sms", "push", "phone"].contains(&member["channel"].as_str().unwrap())
            ),
            other => panic!("arm {other}"),
        }
        assert!(member["customer_id"].is_string() && member["drafts"].is_array());
    }
    let listed = json(&["campaign", "list", "--db", &db, "--format", "json"]);
    assert_eq!(listed["campaigns"][0]["name"], "Spring win-back");
    assert_eq!(listed["campaigns"][0]["control"], control);
    let text = String::from_utf8(revgap(&["campaign", "list", "--db", &db]).stdout).unwrap();
    assert!(
        text.contains("Spring win-back") && text.contains("created"),
        "{text}"
    );
}

#[test]
fn the_same_salt_and_customers_give_identical_arms() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let first = create(&db, "A", &["--top", "150", "--salt", "s1"]);
    let second = create(&db, "B", &["--top", "150", "--salt", "s1"]);
    let third = create(&db, "C", &["--top", "150", "--salt", "s2"]);
    let arms = |created: &serde_json::Value| -> Vec<(String, String)> {
        let mut arms: Vec<(String, String)> =
            members(&db, created["campaign_id"].as_i64().unwrap())
                .iter()
                .map(|m| {
                    (
                        m["customer_id"].as_str().unwrap().to_string(),
                        m["arm"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
        arms.sort();
        arms
    };
    assert_eq!(arms(&first), arms(&second));
    assert_ne!(arms(&first), arms(&third));
}

#[test]
fn opted_out_customers_are_excluded_before_randomization() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    {
        let ledger = revgap::ledger::Ledger::open(std::path::Path::new(&db));
        let mut ledger = ledger.unwrap();
        ledger
            .suppress("1", "any", "unsubscribed", "2026-11-01")
            .unwrap();
    }
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "customer_id\n1\n3\n").unwrap();
    let created = create(
        &db,
        "Two",
        &["--customers-file", ids.to_str().unwrap(), "--no-control"],
    );
    assert_eq!(created["excluded"]["opted_out"], 1, "{created}");
    let members = members(&db, created["campaign_id"].as_i64().unwrap());
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["customer_id"], "3");
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let bad_contacts = dir.path().join("contacts.csv");
    std::fs::write(
        &bad_contacts,
        "customer_id,email,phone,timezone,language,email_opt_in,sms_opt_in\n1,a@example.com,,UTC,en,maybe,false\n",
    )
    .unwrap();
    let unknown = dir.path().join("unknown.txt");
    std::fs::write(&unknown, "no-such-customer\n").unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["--top", "10", "--control", "0.6"],
            2,
            "control share 0.6: expected a share from 0.05 to 0.50",
        ),
        (vec!["--filter", "gap>lots"], 65, "--filter \"gap>lots\":"),
        (
            vec!["--top", "10", "--channels", "email,fax"],
            2,
            "channels.order: \"fax\": expected email, sms or push",
        ),
        (
            vec!["--top", "10", "--offer", "FREE100"],
            2,
            "unknown offer \"FREE100\": the catalog ([[outreach.offers]]) has WINBACK15, RETAIN10, RETURN5",
        ),
        (
            vec!["--top", "10", "--phone-share", "1.5"],
            2,
            "channels.phone_top_share = 1.5: expected a share from 0 to 1",
        ),
        (
            vec!["--top", "10", "--contacts", bad_contacts.to_str().unwrap()],
            65,
            "contacts.csv:2:6 (email_opt_in): \"maybe\": expected true or false",
        ),
        (
            vec!["--customers-file", unknown.to_str().unwrap()],
            65,
            "customer \"no-such-customer\" is not in the data",
        ),
        (vec!["--top", "0"], 65, "the selection is empty"),
    ];
    for (extra, code, expected) in cases {
        let mut args = vec!["campaign", "create", "--name", "x", "--db", &db];
        args.extend(&extra);
        let output = revgap(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    // Nothing was stored (refused requests do not even make the ledger).
    let listed = if std::path::Path::new(&db).exists() {
        json(&["campaign", "list", "--db", &db, "--format", "json"])
    } else {
        serde_json::json!({"campaigns": []})
    };
    assert_eq!(
        listed["campaigns"],
        serde_json::json!([]),
        "nothing was stored"
    );
    create(&db, "taken", &["--top", "20"]);
    let output = revgap(&[
        "campaign", "create", "--name", "taken", "--top", "5", "--db", &db,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("exists already (id 1)"));
    let missing = revgap(&["campaign", "show", "42", "--db", &db]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("campaign 42 is not in the ledger"));
}

#[test]
fn the_generator_writes_contacts_for_every_customer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g");
    let status = revgap(&[
        "generate",
        "--customers",
        "300",
        "--weeks",
        "12",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(status.status.success());
    let contacts = revgap::campaign::contacts::load(&out.join("contacts.csv"))
        .unwrap()
        .by_id;
    assert_eq!(contacts.len(), 300);
    let consented = contacts
        .values()
        .filter(|c| !c.consented_channels().is_empty())
        .count();
    assert!(
        (150..300).contains(&consented),
        "a mix of consents: {consented}"
    );
    assert!(
        contacts
            .values()
            .all(|c| c.email.is_empty() || c.email.ends_with("@example.com"))
    );
}

#[test]
fn treated_members_get_checked_drafts_and_the_export_never_holds_a_control_member() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let created = create(&db, "Export", &["--top", "150", "--control", "0.3"]);
    let id = created["campaign_id"].as_i64().unwrap();
    let members = members(&db, id);
    let control: std::collections::HashSet<String> = members
        .iter()
        .filter(|m| m["arm"] == "control")
        .map(|m| m["customer_id"].as_str().unwrap().to_string())
        .collect();
    assert!(!control.is_empty());
    for member in &members {
        let drafts = member["drafts"].as_array().unwrap();
        if member["arm"] == "control" {
            assert!(drafts.is_empty(), "no draft for a control member");
            continue;
        }
        assert_eq!(drafts.len(), 1, "{member}");
        let draft = &drafts[0];
        assert_eq!(draft["channel"], member["channel"]);
        assert_eq!(draft["passed"], true, "{draft}");
        assert_eq!(draft["failures"], serde_json::json!([]));
        let text = draft["text"].as_str().unwrap();
        match member["channel"].as_str().unwrap() {
            "sms" => assert!(text.contains("Reply STOP to opt out"), "{text}"),
            "email" => assert!(text.contains("{{unsubscribe_url}}"), "{text}"),
            "push" => assert!(text.chars().count() <= 80, "{text}"),
            "phone" => assert!(text.starts_with("Call "), "{text}"),
            other => panic!("channel {other}"),
        }
        assert!(
            member["offer"].is_string(),
            "every gap type has a catalog offer: {member}"
        );
    }
    let out = dir.path().join("export.csv");
    export(&db, &id.to_string(), "generic", &out);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "customer_id",
            "email",
            "phone",
            "channel",
            "offer_id",
            "subject",
            "body",
            "sms",
            "campaign_id",
            "arm",
            "push",
            "call_note"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, created["treated"].as_u64().unwrap());
    for row in &rows {
        assert!(
            !control.contains(&row[0]),
            "control member {} exported",
            &row[0]
        );
        assert_eq!(&row[9], "treated");
        match &row[3] {
            "email" => assert!(row[1].ends_with("@example.com") && !row[6].is_empty()),
            "sms" => assert!(row[2].starts_with("+120255501") && !row[7].is_empty()),
            "push" => assert!(row[1].is_empty() && !row[10].is_empty()),
            "phone" => assert!(row[2].starts_with("+120255501") && row[11].starts_with("Call ")),
            other => panic!("channel {other}"),
        }
    }
    // No control id anywhere in the file, not even inside a text.
    let text = std::fs::read_to_string(&out).unwrap();
    for id in &control {
        assert!(
            !text.lines().any(|line| line.starts_with(&format!("{id},"))),
            "control member {id} in the export"
        );
    }
}

#[test]
fn outreach_settings_are_checked_for_meaning() {
    for (text, expected) in [
        (
            "[outreach]\nlink_domains = []\n",
            "outreach.link_domains must name at least one domain",
        ),
        (
            "[outreach]\nshop_url = \"https://evil.test/x\"\n",
            "outreach.shop_url = \"https://evil.test/x\": expected an https link on one of outreach.link_domains",
        ),
        (
            "[[outreach.offers]]\nid = \"X\"\ndescription = \"x\"\nkind = \"gift\"\nvalue = 1.0\nmaximum = 1.0\nfits = [\"win_back\"]\ncost = 0.0\n",
            "kind = \"gift\": expected percent, amount or points",
        ),
        (
            "[[outreach.offers]]\nid = \"X\"\ndescription = \"x\"\nkind = \"percent\"\nvalue = 150.0\nmaximum = 1.0\nfits = [\"win_back\"]\ncost = 0.0\n",
            "a percent offer above 100",
        ),
        (
            "[outreach]\npostal_address = \"\"\n",
            "outreach.postal_address: expected printable, non-empty text",
        ),
    ] {
        common::assert_config_rejected(text, expected);
    }
}

#[test]
fn every_preset_has_its_platform_header_e164_phones_and_no_control_member() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let created = create(&db, "Presets", &["--top", "150", "--control", "0.2"]);
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let treated = created["treated"].as_u64().unwrap() as usize;
    let all = members(&db, id.parse().unwrap());
    let control: Vec<String> = all
        .iter()
        .filter(|m| m["arm"] == "control")
        .map(|m| m["customer_id"].as_str().unwrap().to_string())
        .collect();
    let phone_tier = all.iter().filter(|m| m["channel"] == "phone").count();
    let on = |channel: &str| all.iter().filter(|m| m["channel"] == channel).count();
    // The default phone_top_share of 5 % of the eligible, rounded, settled before
    // randomization: the control members of the tier are planned for it too.
    let planned_phone = all
        .iter()
        .filter(|m| m["planned_channel"] == "phone")
        .count();
    assert_eq!(planned_phone, (all.len() as f64 * 0.05).round() as usize);
    assert!(phone_tier > 0 && phone_tier <= planned_phone);
    for member in &all {
        assert!(member["planned_channel"].is_string() && member["segment"].is_string());
        if member["arm"] == "treated" {
            assert_eq!(member["channel"], member["planned_channel"], "{member}");
            assert_eq!(member["offer"], member["planned_offer"], "{member}");
        }
    }
    let revgap_columns = "revgap_customer_id,revgap_campaign_id,revgap_arm,revgap_channel,revgap_offer_id,revgap_subject,revgap_body,revgap_sms,revgap_push,revgap_call_note";
    for (preset, header, id_column, phone_column) in [
        (
            "generic",
            "customer_id,email,phone,channel,offer_id,subject,body,sms,campaign_id,arm,push,call_note"
                .to_string(),
            0,
            2,
        ),
        (
            "call-list",
            "customer_id,phone,offer_id,call_note,campaign_id,follow_up".to_string(),
            0,
            1,
        ),
        (
            "mailchimp",
            format!("Email Address,Phone Number,Tags,{revgap_columns}"),
            3,
            1,
        ),
        (
            "klaviyo",
            format!(
                "Email,Phone Number,Email Marketing Consent,SMS Marketing Consent,{revgap_columns}"
            ),
            4,
            1,
        ),
        (
            "hubspot",
            format!("Email,Phone Number,{revgap_columns}"),
            2,
            1,
        ),
        (
            "braze",
            format!("external_id,email,phone,{revgap_columns}"),
            0,
            2,
        ),
    ] {
        let out = dir.path().join(format!("{preset}.csv"));
        export(&db, &id, preset, &out);
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().next().unwrap(), header, "{preset}");
        let mut reader = csv::Reader::from_path(&out).unwrap();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        // Each platform gets the members it can key by its address (Mailchimp and HubSpot:
        // email; Klaviyo: email or phone; Braze and the generic file: the customer id).
        let expected = match preset {
            "generic" => treated,
            "call-list" => phone_tier,
            "mailchimp" | "hubspot" => on("email"),
            "klaviyo" => on("email") + on("sms"),
            _ => treated - phone_tier,
        };
        assert_eq!(rows.len(), expected, "{preset}");
        let mut phones = 0;
        for row in &rows {
            assert!(
                !control.contains(&row[id_column].to_string()),
                "{preset}: control exported"
            );
            let phone = &row[phone_column];
            if !phone.is_empty() {
                phones += 1;
                assert!(
                    phone.starts_with('+') && phone[1..].chars().all(|c| c.is_ascii_digit()),
                    "{preset}: E.164 phone, got {phone}"
                );
                assert_eq!(phone.len(), 12, "{preset}: {phone}");
            }
        }
        // Mailchimp and HubSpot carry email members only: no phone there.
        let email_only = matches!(preset, "mailchimp" | "hubspot");
        assert_eq!(
            phones > 0,
            !email_only,
            "{preset}: members reached by phone or SMS"
        );
    }
}

#[test]
fn a_filter_selects_the_matching_ranked_customers_and_channel_rules_hold() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let report = json(&["analyze", "--format", "json"]);
    let zero_spend: std::collections::HashSet<String> = report["customers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["primary_gap"]["type"] == "zero_spend")
        .map(|c| c["customer_id"].as_str().unwrap().to_string())
        .collect();
    assert!(zero_spend.len() > 10, "{}", zero_spend.len());
    let created = create(
        &db,
        "Zero spenders by SMS",
        &[
            "--filter",
            "type:zero",
            "--channels",
            "sms",
            "--phone-share",
            "0",
        ],
    );
    let excluded: u64 = created["excluded"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    let treated = created["treated"].as_u64().unwrap();
    let control = created["control"].as_u64().unwrap();
    assert_eq!(
        treated + control + excluded,
        zero_spend.len() as u64,
        "every matching customer is a member or counted as excluded"
    );
    let members = members(&db, created["campaign_id"].as_i64().unwrap());
    for member in &members {
        let id = member["customer_id"].as_str().unwrap();
        assert!(zero_spend.contains(id), "{id} does not match type:zero");
        if member["arm"] == "treated" {
            assert_eq!(member["channel"], "sms", "only SMS was allowed: {member}");
        }
    }
    // Those without SMS consent are left out by reason, not moved to email.
    assert!(
        created["excluded"]["no_consented_channel"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn an_offer_override_applies_to_every_treated_member_and_drafts_carry_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let created = create(&db, "Five off", &["--top", "40", "--offer", "RETURN5"]);
    let members = members(&db, created["campaign_id"].as_i64().unwrap());
    for member in members.iter().filter(|m| m["arm"] == "treated") {
        assert_eq!(member["offer"], "RETURN5", "{member}");
        let draft = &member["drafts"][0];
        assert_eq!(draft["passed"], true, "{draft}");
        assert!(
            draft["text"].as_str().unwrap().contains("$5 off"),
            "{draft}"
        );
    }
}

#[test]
fn a_locked_ledger_is_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    create(&db, "first", &["--top", "30"]);
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    // The writer waits out its busy timeout (5 s), then gives up with one line.
    let mut args = vec![
        "campaign",
        "create",
        "--name",
        "second",
        "--top",
        "30",
        "--allow-overlap",
        "--db",
        &db,
    ];
    args.extend(common::SMALL_CAMPAIGNS);
    let output = revgap(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(73), "{stderr}");
    assert!(stderr.contains("locked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    holder.execute_batch("ROLLBACK").unwrap();
    let listed = json(&["campaign", "list", "--db", &db, "--format", "json"]);
    assert_eq!(listed["campaigns"].as_array().unwrap().len(), 1);
}

#[test]
fn an_unreachable_webhook_leaves_members_pending_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(&dir);
    let created = create(&db, "hook", &["--top", "30"]);
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let output = common::command()
        .args([
            "campaign",
            "send",
            &id,
            "--webhook",
            "http://127.0.0.1:9/hook",
            "--attempts",
            "1",
            "--db",
            &db,
        ])
        .env("REVGAP_WEBHOOK_SECRET", "whsec_dGVzdA==")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains("re-run to retry"), "{stderr}");
    assert!(
        stderr.lines().all(|line| line.starts_with("revgap: ")),
        "{stderr}"
    );
}
