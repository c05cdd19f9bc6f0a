//! `revgap analyze --llm` against the in-process fake server: every enhanced customer is
//! labelled (grounded, or rule-based with a reason) in every format; the budget and the dry
//! run send nothing they should not.

mod common;

use common::fake_llm::{FakeServer, status, tokens};
use std::process::Output;
use std::time::Duration;

async fn revgap(args: Vec<String>, base_url: &str, cache: &std::path::Path) -> Output {
    let base_url = base_url.to_string();
    let cache = cache.to_path_buf();
    tokio::task::spawn_blocking(move || {
        common::command()
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("OPENAI_BASE_URL", base_url)
            .env("OPENAI_API_KEY", "sk-batch-secret")
            .env("REVGAP_LLM_MODEL", "fake-model")
            .env("REVGAP_CACHE_DIR", cache)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

const SERVER_ERROR: &str =
    r#"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#;

/// The ids of the first `n` ranked customers of the bundled sample.
fn top_ids(n: usize) -> Vec<String> {
    let output = common::command()
        .args(["analyze", "--format", "json", "--top", &n.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap().to_string())
        .collect()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_enhanced_customer_is_grounded_or_falls_back_with_a_reason() {
    // Replies chosen by the customer in the prompt: order, retries and concurrency cannot
    // shift them. The first is grounded, the second invents a figure, the third always fails.
    let top = top_ids(3);
    let (first, second) = (top[0].clone(), top[1].clone());
    let server = FakeServer::routed(move |request| {
        let mentions = |id: &str| request.contains(&format!("\\\"customer_id\\\": \\\"{id}\\\""));
        if mentions(&first) {
            tokens(
                &[
                    "Spend stopped; ",
                    "the customer needs a re-engagement campaign. ",
                    "Next step: send a win-back email this week.",
                ],
                Duration::ZERO,
            )
        } else if mentions(&second) {
            tokens(
                &["They could recover $12,345 next quarter."],
                Duration::ZERO,
            )
        } else {
            status(500, SERVER_ERROR)
        }
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let args = strings(&[
        "analyze",
        "--llm",
        "--llm-top",
        "3",
        "--format",
        "json",
        "--top",
        "5",
    ]);
    let output = revgap(args, &server.base_url, cache.path()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("sk-batch-secret"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let customers = report["customers"].as_array().unwrap();
    let rationale = |i: usize| &customers[i]["rationale"];
    assert_eq!(rationale(0)["source"], "llm");
    assert_eq!(rationale(0)["grounding"], "grounded");
    assert_eq!(rationale(1)["source"], "rule_based");
    assert_eq!(rationale(1)["grounding"], "rejected");
    assert!(
        rationale(1)["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("12,345")
    );
    // The opportunity description: the grounded text's next step, else the rule-based one.
    let opportunity = |i: usize| &customers[i]["opportunity"];
    assert_eq!(
        opportunity(0)["description"],
        "send a win-back email this week."
    );
    assert_eq!(opportunity(0)["description_source"], "llm");
    assert_eq!(opportunity(1)["description_source"], "rule_based");
    assert_eq!(
        opportunity(1)["description"],
        customers[1]["rationale"]["next_step"]
    );
    assert_eq!(rationale(2)["source"], "rule_based");
    assert_eq!(rationale(2)["grounding"], "not_checked");
    assert!(
        rationale(2)["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("server error")
    );
    // Beyond --llm-top: rule-based by design.
    assert_eq!(rationale(3)["source"], "rule_based");
    assert_eq!(rationale(3)["grounding"], "not_applicable");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("sk-batch-secret"));
    // The grounded answer was cached: a second run answers it without the server.
    let args = strings(&[
        "analyze",
        "--llm",
        "--llm-top",
        "1",
        "--format",
        "markdown",
        "--top",
        "1",
    ]);
    let output = revgap(args, "http://127.0.0.1:9/v1", cache.path()).await;
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(markdown.contains("*(cached, grounded)*"), "{markdown}");
    assert!(
        markdown.contains(
            "- **Opportunity Description:** send a win-back email this week. *(cached, grounded)*"
        ),
        "{markdown}"
    );
    let cached: String = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        !cached.contains("sk-batch-secret"),
        "the key is never cached"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_labels_each_rationale() {
    let server = FakeServer::start(vec![tokens(&["Spend stopped."], Duration::ZERO)]).await;
    let cache = tempfile::tempdir().unwrap();
    let args = strings(&[
        "analyze",
        "--llm",
        "--llm-top",
        "1",
        "--format",
        "csv",
        "--top",
        "2",
        "--no-cache",
    ]);
    let output = revgap(args, &server.base_url, cache.path()).await;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let source = headers
        .iter()
        .position(|h| h == "rationale_source")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][source], "llm");
    assert_eq!(&rows[1][source], "rule_based");
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "--no-cache writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_budget_keeps_customers_rule_based() {
    let server = FakeServer::start(vec![tokens(&["Spend stopped."], Duration::ZERO)]).await;
    let cache = tempfile::tempdir().unwrap();
    let args = strings(&[
        "analyze",
        "--llm",
        "--llm-top",
        "3",
        "--llm-token-budget",
        "900",
        "--format",
        "json",
        "--top",
        "3",
        "--no-cache",
    ]);
    let output = revgap(args, &server.base_url, cache.path()).await;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reasons: Vec<String> = report["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["rationale"]["fallback_reason"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(reasons[0].is_empty());
    assert!(
        reasons[1].contains("token budget of 900 exhausted"),
        "{reasons:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_messages_and_sends_nothing() {
    let server = FakeServer::start(vec![]).await;
    let cache = tempfile::tempdir().unwrap();
    let args = strings(&["analyze", "--llm-dry-run", "--llm-top", "2"]);
    let output = revgap(args, &server.base_url, cache.path()).await;
    assert!(output.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let requests = plan["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["model"], "fake-model");
    let user = requests[0]["messages"][1]["content"].as_str().unwrap();
    assert!(user.starts_with("<customer_data>"));
    assert!(plan["estimated_tokens_total"].as_u64().unwrap() > 0);
    assert_eq!(server.request_count(), 0);
    // Privacy: the sample's `region` goes to the model, its `name` column does not (by
    // default names and free text stay home).
    let customers = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/customers.csv"),
    )
    .unwrap();
    for request in requests {
        let sent = request["messages"].to_string();
        let id = top_ids(2)
            .into_iter()
            .find(|id| sent.contains(&format!("\\\"customer_id\\\": \\\"{id}\\\"")))
            .unwrap_or_default();
        let row = customers
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap();
        let fields: Vec<&str> = row.split(',').collect();
        let (name, region) = (fields[4], fields[5]);
        assert!(!sent.contains(name), "{name} was sent: {sent}");
        assert!(sent.contains(region), "{region} was not sent: {sent}");
    }
}

/// An answer cut off at the token limit (`finish_reason: length`) is never shown as a
/// grounded rationale, and a key the server echoes never reaches the report.
#[tokio::test(flavor = "multi_thread")]
async fn item_15_a_cut_off_answer_is_labelled_and_an_echoed_key_never_lands() {
    use common::fake_llm::{Reply, chunk};
    let top = top_ids(2);
    let first = top[0].clone();
    let server = FakeServer::routed(move |request| {
        if request.contains(&format!("\\\"customer_id\\\": \\\"{first}\\\"")) {
            Reply::Sse {
                data: vec![
                    chunk(Some("Spend stopped; the customer needs"), None),
                    chunk(None, Some("length")),
                ],
                gap: Duration::ZERO,
                done: true,
            }
        } else {
            status(500, r#"{"error":{"message":"bad key sk-batch-secret"}}"#)
        }
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let args = strings(&[
        "analyze",
        "--llm",
        "--llm-top",
        "2",
        "--top",
        "2",
        "--format",
        "json",
    ]);
    let output = revgap(args, &server.base_url, cache.path()).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("sk-batch-secret"),
        "the key never lands: {text}"
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cut = &report["customers"][0]["rationale"];
    assert_eq!(cut["source"], "rule_based", "{cut}");
    assert!(
        cut["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("cut off at the token limit"),
        "{cut}"
    );
    let cached: Vec<_> = std::fs::read_dir(cache.path())
        .map(|entries| entries.flatten().collect())
        .unwrap_or_default();
    assert!(
        cached.is_empty() || cached.iter().all(|e| e.path().is_dir()),
        "nothing cached"
    );
}

/// `campaign create --llm` with the fake server: a first try that breaks the checker's rules
/// is rejected with its reasons and asked again; the second try passes and is stored. Members
/// beyond --llm-top get template drafts without a request.
#[tokio::test(flavor = "multi_thread")]
async fn campaign_drafts_from_the_model_are_checked_retried_once_and_kept_with_reasons() {
    let server = FakeServer::routed(|request| {
        if request.contains("rejected for") {
            tokens(
                &[
                    "Subject: We saved you a treat\n\n",
                    "Come back soon and see what is new this season.",
                ],
                Duration::ZERO,
            )
        } else {
            tokens(
                &["Subject: Your churn risk\n\n", "Get 40% off now."],
                Duration::ZERO,
            )
        }
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap().to_string();
    let create = |name: &str, top: &str| {
        strings(&[
            "campaign",
            "create",
            "--name",
            name,
            "--top",
            "150",
            "--control",
            "0.3",
            "--allow-overlap",
            "--channels",
            "email",
            "--phone-share",
            "0",
            "--db",
            &db,
            "--format",
            "json",
            "--llm",
            "--llm-top",
            top,
        ])
    };
    let output = revgap(create("Model drafts", "3"), &server.base_url, cache.path()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("drafts: 3 written by the model and passed, 0 template after rejected or failed tries (3 tries kept with reasons)"), "{stderr}");
    assert_eq!(
        server.request_count(),
        6,
        "three first tries and three second tries"
    );
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let shown = common::command()
        .args(["campaign", "show", &id, "--db", &db, "--format", "json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let mut from_model = 0;
    for member in shown["members"].as_array().unwrap() {
        if member["arm"] != "treated" {
            assert!(member["drafts"].as_array().unwrap().is_empty());
            continue;
        }
        let draft = &member["drafts"][0];
        assert_eq!(draft["passed"], true, "{member}");
        match draft["source"].as_str().unwrap() {
            "llm_retry" => {
                from_model += 1;
                assert_eq!(draft["subject"], "We saved you a treat");
                let rejected = member["rejected_drafts"].as_array().unwrap();
                assert_eq!(rejected.len(), 1, "{member}");
                let failures = rejected[0]["failures"].to_string();
                for reason in [
                    "internal word \\\"churn\\\"",
                    "internal word \\\"risk\\\"",
                    "offer not in the catalog: 40%",
                ] {
                    assert!(failures.contains(reason), "{reason}: {failures}");
                }
            }
            "template" => assert!(member["rejected_drafts"].as_array().unwrap().is_empty()),
            other => panic!("source {other}"),
        }
    }
    assert_eq!(from_model, 3);

    // A model that never passes: two tries each, then the template.
    let stubborn = FakeServer::routed(|_| {
        tokens(
            &["Subject: VIP deal\n\n", "Only for our VIP: 50% off."],
            Duration::ZERO,
        )
    })
    .await;
    let fresh_cache = tempfile::tempdir().unwrap();
    let output = revgap(
        create("Stubborn model", "2"),
        &stubborn.base_url,
        fresh_cache.path(),
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("0 written by the model and passed, 2 template after rejected or failed tries (4 tries kept with reasons)"), "{stderr}");

    // What the model cost is in the ledger for the success metrics: every request sent (two
    // answer tokens each from these servers), and answers from the cache apart.
    let usage = |db: &str| {
        revgap::ledger::Ledger::open(std::path::Path::new(db))
            .unwrap()
            .llm_usage()
            .unwrap()
    };
    let totals = usage(&db);
    assert_eq!((totals.runs, totals.usage.calls), (2, 10));
    assert_eq!(totals.usage.completion_tokens, 20);
    assert!(totals.usage.prompt_tokens > 10 * 50, "{totals:?}");
    let analyze = strings(&["analyze", "--llm", "--llm-top", "2", "--db", &db]);
    for _ in 0..2 {
        let output = revgap(analyze.clone(), &stubborn.base_url, fresh_cache.path()).await;
        assert!(output.status.success());
    }
    let totals = usage(&db);
    assert_eq!(
        (totals.runs, totals.usage.calls, totals.usage.cached),
        (4, 12, 2),
        "the second analysis answered from the cache"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_dry_run_prints_the_draft_requests_and_stores_nothing() {
    let server = FakeServer::routed(|_| status(500, SERVER_ERROR)).await;
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap().to_string();
    let output = revgap(
        strings(&[
            "campaign",
            "create",
            "--name",
            "Dry",
            "--top",
            "150",
            "--control",
            "0.3",
            "--db",
            &db,
            "--llm-dry-run",
            "--llm-top",
            "4",
        ]),
        &server.base_url,
        cache.path(),
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["dry_run"], true);
    let requests = plan["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 4);
    for request in requests {
        assert_eq!(request["model"], "fake-model");
        assert!(
            request["messages"][1]["content"]
                .as_str()
                .unwrap()
                .contains("<draft_data>")
        );
    }
    assert_eq!(server.request_count(), 0, "a dry run sends nothing");
    let listed = common::command()
        .args(["campaign", "list", "--db", &db, "--format", "json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["campaigns"], serde_json::json!([]), "nothing stored");
}

/// Everything a campaign keeps or hands off: the ledger's text rows, the export, the cache.
fn everything_kept(db: &str, id: &str, cache: &std::path::Path) -> String {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut kept = String::new();
    for query in [
        "SELECT COALESCE(subject, '') || body || failures || source FROM drafts",
        "SELECT COALESCE(subject, '') || body || failures || source FROM draft_rejections",
        "SELECT analysis FROM campaigns",
    ] {
        let mut statement = connection.prepare(query).unwrap();
        for row in statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
        {
            kept.push_str(&row.unwrap());
            kept.push('\n');
        }
    }
    let export = tempfile::NamedTempFile::new().unwrap();
    let exported = common::command()
        .args(["campaign", "export", id, "--db", db, "--out"])
        .arg(export.path())
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    kept.push_str(&std::fs::read_to_string(export.path()).unwrap());
    for entry in walk(cache) {
        kept.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    kept
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Issue 26, item 9: a model draft that offers more than the catalog, in words and in another
/// currency, is rejected on both tries; the template goes out instead and no export carries
/// the invented offer.
#[tokio::test(flavor = "multi_thread")]
async fn item_09_invented_offers_in_words_and_currencies_never_reach_an_export() {
    let server = FakeServer::routed(|_| {
        tokens(
            &[
                "Subject: A gift for you\n\n",
                "Take ninety percent off everything, or EUR 50 off and free delivery for a year.",
            ],
            Duration::ZERO,
        )
    })
    .await;
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap().to_string();
    let output = revgap(
        strings(&[
            "campaign",
            "create",
            "--name",
            "Generous",
            "--top",
            "150",
            "--control",
            "0.3",
            "--allow-overlap",
            "--channels",
            "email",
            "--phone-share",
            "0",
            "--db",
            &db,
            "--format",
            "json",
            "--llm",
            "--llm-top",
            "4",
        ]),
        &server.base_url,
        cache.path(),
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("0 written by the model and passed, 4 template after rejected or failed tries (8 tries kept with reasons)"),
        "{stderr}"
    );
    let id = serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["campaign_id"]
        .to_string();
    let connection = rusqlite::Connection::open(&db).unwrap();
    let reasons: Vec<String> = connection
        .prepare("SELECT failures FROM draft_rejections")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(reasons.len(), 8);
    for failures in &reasons {
        for offer in ["ninety percent", "EUR 50", "free"] {
            assert!(
                failures.contains(&format!("offer not in the catalog: {offer}")),
                "{failures}"
            );
        }
    }
    let export = tempfile::NamedTempFile::new().unwrap();
    let exported = common::command()
        .args(["campaign", "export", &id, "--db", &db, "--out"])
        .arg(export.path())
        .output()
        .unwrap();
    assert!(exported.status.success());
    let file = std::fs::read_to_string(export.path())
        .unwrap()
        .to_lowercase();
    for invented in ["ninety", "eur 50", "free delivery"] {
        assert!(!file.contains(invented), "{invented} was exported");
    }
}

/// Issue 26, item 10: a key the model echoes with zero-width spaces between its characters,
/// and an endpoint URL with credentials, never reach the ledger, the export or the cache.
#[tokio::test(flavor = "multi_thread")]
async fn item_10_hidden_keys_and_url_credentials_never_land() {
    let hidden: String = "sk-batch-secret"
        .chars()
        .flat_map(|c| [c, '\u{200b}'])
        .collect();
    let echoed = format!("We miss you! (debug: {hidden})");
    let server =
        FakeServer::routed(move |_| tokens(&["Subject: Hello again\n\n", &echoed], Duration::ZERO))
            .await;
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap().to_string();
    let create = |name: &str| {
        strings(&[
            "campaign",
            "create",
            "--name",
            name,
            "--top",
            "150",
            "--control",
            "0.3",
            "--allow-overlap",
            "--channels",
            "email",
            "--phone-share",
            "0",
            "--db",
            &db,
            "--format",
            "json",
            "--llm",
            "--llm-top",
            "3",
        ])
    };
    let output = revgap(create("Echo"), &server.base_url, cache.path()).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let id = serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["campaign_id"]
        .to_string();
    let kept = everything_kept(&db, &id, cache.path());
    let visible: String = kept.chars().filter(|c| *c != '\u{200b}').collect();
    assert!(!visible.contains("sk-batch-secret"), "the key landed");
    assert!(!kept.contains('\u{200b}'), "an invisible character landed");

    // Credentials in the endpoint URL: the failure reasons kept name the URL without them.
    let with_credentials = "http://analyst:pa55word-xyz@127.0.0.1:9/v1";
    let output = revgap(create("Credentials"), with_credentials, cache.path()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("pa55word"), "{stderr}");
    let id = serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()["campaign_id"]
        .to_string();
    let kept = everything_kept(&db, &id, cache.path());
    assert!(!kept.contains("pa55word"), "credentials landed");
}
