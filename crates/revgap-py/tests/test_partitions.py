"""The Python binding against the command line: partitions of a weekly panel and of a
transaction log, read as pyarrow readers (a customer's rows spread over several batches),
analysed apart and merged, give `revgap analyze --format json`'s summary and top list bit for
bit; bad rows are counted as the CLI counts them; what cannot be analysed apart is refused.

The binary is $REVGAP_BIN (scripts/py-test.sh builds it)."""

import datetime
import random
import subprocess
import zlib

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import revgap

from helpers import BIN, EXACT, EXACT_FLAGS, cli_json, top_of


def partitions(table, k):
    """Every customer's rows in one partition, by a hash of the id."""
    ids = table.column("customer_id").to_pylist()
    parts = [zlib.crc32(str(i).encode()) % k for i in ids]
    return [table.filter(pa.array([p == part for p in parts])) for part in range(k)]


def reader(table):
    # Small batches: a customer's rows span several, as Spark's 10,000-row batches do.
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=97))


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    root = tmp_path_factory.mktemp("panel")
    subprocess.run(
        [BIN, "generate", "--customers", "2500", "--weeks", "52", "--seed", "11",
         "--end", "2026-11-30", "--out", str(root / "generated")],
        check=True, capture_output=True)
    whole = root / "whole"
    whole.mkdir()
    (whole / "weekly_spend.csv").write_bytes((root / "generated" / "weekly_spend.csv").read_bytes())
    return whole / "weekly_spend.csv"


@pytest.mark.parametrize("k", [1, 3, 8])
def test_weekly_partitions_merge_to_the_single_run(panel, k):
    single = cli_json("analyze", "--weekly", str(panel), "--format", "json", *EXACT_FLAGS)
    table = pacsv.read_csv(panel, convert_options=pacsv.ConvertOptions(
        column_types={"customer_id": pa.string()}))
    partials = [revgap.analyze_partition(reader(part), config=EXACT)
                for part in partitions(table, k)]
    assert all(isinstance(p, bytes) for p in partials)
    merged = revgap.merge(partials, top=100)
    assert merged["summary"] == single["summary"]
    assert top_of(merged["top"], 100) == top_of(single["customers"], 100)
    # Any order of the partials, the same answer.
    assert revgap.merge(list(reversed(partials)), top=100) == merged


def test_a_transaction_log_with_other_column_names(tmp_path):
    rng = random.Random(5)
    rows = ["cust,day,value"]
    for customer in range(600):
        rate = rng.choice([0.2, 0.5, 0.9])
        stop = rng.randint(20, 80)
        for week in range(80):
            if week < stop and rng.random() < rate:
                day = f"2025-{1 + (week * 7 + 3) // 31 % 12:02d}-{1 + (week * 7 + 3) % 28:02d}"
                rows.append(f"K{customer},{day},{rng.uniform(5, 60):.2f}")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    single = cli_json("analyze", "--transactions", str(log), "--id-col", "cust", "--date-col",
                      "day", "--amount-col", "value", "--as-of", "2025-12-31", "--format",
                      "json", *EXACT_FLAGS)
    table = pacsv.read_csv(log, convert_options=pacsv.ConvertOptions(
        column_types={"cust": pa.string()}))
    table = table.rename_columns(["customer_id", "day", "value"])
    names = {"date": "day", "amount": "value"}
    parts = partitions(table, 4)
    # The same weekly grid in every partition: all end on the as-of date.
    partials = [revgap.analyze_partition(reader(part), config=EXACT, kind="transactions",
                                         columns=names, as_of="2025-12-31")
                for part in parts]
    merged = revgap.merge(partials, top=50)
    assert merged["summary"] == single["summary"]
    assert top_of(merged["top"], 50) == top_of(single["customers"], 50)


def test_bad_rows_are_counted_as_the_cli_counts_them(tmp_path):
    path = tmp_path / "weekly_spend.csv"
    lines = ["customer_id,week_start_date,weekly_spend"]
    for customer in range(30):
        for week in range(14):
            spend = "-5" if (customer, week) == (3, 4) else str(10 + customer)
            day = datetime.date(2026, 6, 6) + datetime.timedelta(weeks=week)
            lines.append(f"C{customer},{day},{spend}")
    path.write_text("\n".join(lines) + "\n")
    single = cli_json("analyze", "--weekly", str(path), "--format", "json", *EXACT_FLAGS)
    table = pacsv.read_csv(path)
    merged = revgap.merge([revgap.analyze_partition(reader(table), config=EXACT)])
    assert single["summary"]["skipped_rows"] == 1
    assert merged["summary"] == single["summary"]


def test_what_needs_everyone_and_mixed_analyses_are_refused(panel, tmp_path):
    table = pacsv.read_csv(panel)
    with pytest.raises(ValueError, match="BG/NBD churn model is fitted on every customer"):
        revgap.analyze_partition(reader(table))
    with pytest.raises(ValueError, match="expected \"weekly\" or \"transactions\""):
        revgap.analyze_partition(reader(table), config=EXACT, kind="invoices")
    with pytest.raises(ValueError, match="config: unknown field"):
        revgap.analyze_partition(reader(table), config={"model": {"churn": "rules"}})
    with pytest.raises(NotImplementedError):
        revgap.analyze_partition(reader(table), config=EXACT, shared=b"")
    with pytest.raises(ValueError, match="missing"):
        revgap.analyze_partition(reader(table.rename_columns(["id", "week", "spend"])),
                                 config=EXACT)
    toml = tmp_path / "trailing.toml"
    toml.write_text('[model]\nchurn_model = "rules"\n[windows]\nbaseline = "trailing"\n')
    a = revgap.analyze_partition(reader(table), config=EXACT)
    b = revgap.analyze_partition(reader(table), config=str(toml))
    with pytest.raises(ValueError, match="partial 1: analysed differently from partial 0"):
        revgap.merge([a, b])
    with pytest.raises(ValueError, match="not a revgap partial"):
        revgap.merge([a[: len(a) // 2]])
    with pytest.raises(OSError):
        revgap.analyze_partition(reader(table), config=str(tmp_path / "missing.toml"))
    assert revgap.PARTIAL_VERSION == 1
