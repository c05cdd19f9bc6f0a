"""revgap.spark.analyze in Spark's local[2] and revgap.dask.analyze on a two-process
LocalCluster, against one `revgap analyze` of the same rows: the summary and the top list
(ids and priority scores) bit for bit, for a weekly panel and a transaction log.

The binary is $REVGAP_BIN; Spark needs a Java runtime (scripts/py-test.sh checks)."""

import json
import os
import random
import subprocess
import sys

import pytest

from helpers import BIN, EXACT, EXACT_FLAGS, cli_json, top_of


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("engines")
    subprocess.run(
        [BIN, "generate", "--customers", "4000", "--weeks", "52", "--seed", "21",
         "--end", "2026-11-30", "--out", str(root / "generated")],
        check=True, capture_output=True)
    panel = root / "whole" / "weekly_spend.csv"
    panel.parent.mkdir()
    panel.write_bytes((root / "generated" / "weekly_spend.csv").read_bytes())
    rng = random.Random(9)
    lines = ["customer_id,date,amount"]
    for customer in range(1500):
        rate, stop = rng.choice([0.1, 0.3, 0.7]), rng.randint(100, 700)
        for day in range(0, 700, 3):
            if day < stop and rng.random() < rate:
                date = f"{2024 + (day // 365)}-{1 + (day % 365) // 31 % 12:02d}-{1 + day % 28:02d}"
                lines.append(f"T{customer},{date},{rng.uniform(4, 90):.2f}")
    log = root / "log" / "transactions.csv"
    log.parent.mkdir()
    log.write_text("\n".join(lines) + "\n")
    return {
        "panel": panel,
        "log": log,
        "panel_single": cli_json("analyze", "--weekly", str(panel), "--format", "json",
                                 *EXACT_FLAGS),
        "log_single": cli_json("analyze", "--transactions", str(log), "--format", "json",
                               *EXACT_FLAGS),
    }


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("revgap-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "8")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_local_equals_the_single_machine(data, spark):
    import revgap.spark

    panel = spark.read.csv(str(data["panel"]), header=True,
                           schema="customer_id string, week_start_date date, weekly_spend double")
    result = revgap.spark.analyze(panel, config=EXACT, top=100, partitions=8)
    assert result.partitions == 8
    assert result.summary == data["panel_single"]["summary"]
    assert top_of(result.top, 100) == top_of(data["panel_single"]["customers"], 100)
    log = spark.read.csv(str(data["log"]), header=True,
                         schema="customer_id string, date date, amount double")
    result = revgap.spark.analyze(log, kind="transactions", config=EXACT, top=50, partitions=8)
    assert result.summary == data["log_single"]["summary"]
    assert top_of(result.top, 50) == top_of(data["log_single"]["customers"], 50)


def test_dask_local_cluster_equals_the_single_machine(data):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import revgap.dask

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        panel = dd.read_csv(str(data["panel"]), dtype={"customer_id": str},
                            parse_dates=["week_start_date"], blocksize="256KB")
        result = revgap.dask.analyze(panel, config=EXACT, top=100, partitions=4)
        assert result.summary == data["panel_single"]["summary"]
        assert top_of(result.top, 100) == top_of(data["panel_single"]["customers"], 100)
        # From Parquet the dates are Python dates (object dtype), not timestamps.
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        parquet = data["panel"].parent / "panel.parquet"
        pq.write_table(pacsv.read_csv(data["panel"], convert_options=pacsv.ConvertOptions(
            column_types={"customer_id": "string"})), parquet)
        result = revgap.dask.analyze(dd.read_parquet(str(parquet)), config=EXACT, top=100,
                                     partitions=5)
        assert result.summary == data["panel_single"]["summary"]
        assert top_of(result.top, 100) == top_of(data["panel_single"]["customers"], 100)
        log = dd.read_csv(str(data["log"]), dtype={"customer_id": str},
                          parse_dates=["date"], blocksize="128KB")
        result = revgap.dask.analyze(log, kind="transactions", config=EXACT, top=50,
                                     partitions=3)
        assert result.summary == data["log_single"]["summary"]
        assert top_of(result.top, 50) == top_of(data["log_single"]["customers"], 50)


def test_the_example_job_runs_with_spark_submit_on_parquet(data, tmp_path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(data["panel"], convert_options=pacsv.ConvertOptions(
        column_types={"customer_id": "string"}))
    parquet = tmp_path / "panel.parquet"
    pq.write_table(table, parquet)
    out = tmp_path / "result.json"
    submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    example = os.path.join(os.path.dirname(__file__), "..", "examples", "spark_job.py")
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    done = subprocess.run(
        [submit, "--master", "local[2]", "--conf", "spark.ui.enabled=false", example,
         str(parquet), "--partitions", "5", "--top", "20", "--out", str(out)],
        capture_output=True, text=True, env=env, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["summary"] == data["panel_single"]["summary"]
    assert top_of(result["top"], 20) == top_of(data["panel_single"]["customers"], 20)
