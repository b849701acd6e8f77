"""Write an analysis' Arrow results into the scores and affinity tables.

A million score rows through Python's DB-API cost half a minute, so the rows go
in with ADBC bulk ingest (COPY on PostgreSQL; a child process on SQLite, see
`guanxi.analytics.sqlite_child`) into a staging table first. `swap_scores` then
replaces the scores with one INSERT ... SELECT inside the caller's transaction:
readers see the old scores until the new ones are complete.

Order: `stage_scores` (outside any transaction: on SQLite the child process
needs the write lock), then inside `transaction.atomic()` `swap_scores` and
`replace_affinities`, then `drop_staging`.
"""

import subprocess
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from guanxi.analytics import sqlite_child
from guanxi.insights.extract import postgres_uri
from guanxi.insights.models import CategoryAffinity, CustomerScore, ProductAffinity
from guanxi.lib.bulk import insert_rows

STAGING = "insights_score_staging"

# CustomerScore column <- column of the pipeline's scores table
SCORE_COLUMNS = {
    "customer_id": "customer_id", "recency_days": "recency_days", "frequency": "frequency",
    "monetary": "monetary", "r_score": "r_score", "f_score": "f_score", "m_score": "m_score",
    "rfm_segment": "rfm_segment", "lifecycle": "lifecycle", "p_alive": "p_alive", "churn_band": "churn_band",
    "expected_orders": "expected_orders", "expected_order_value": "expected_order_value", "clv": "clv",
    "next_order_on": "next_order_day", "revenue": "revenue", "value_tier": "value_tier",
    "value_score": "value_score", "risk_score": "risk_score", "risk_rating": "risk_rating",
    "risk_reasons": "risk_reasons", "next_occasion": "next_occasion", "next_occasion_on": "next_occasion_day",
    "occasions": "occasions", "replenish_on": "replenish_day", "replenishments": "replenishments",
    "recommended_products": "recommended_products",
}
JSON_COLUMNS = {"risk_reasons", "occasions", "replenishments", "recommended_products"}
DATE_COLUMNS = {"as_of", "next_order_on", "next_occasion_on", "replenish_on"}


def _iso_dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # A day number counts days since 1970-01-01, which is exactly date32's encoding.
    return pc.cast(column.cast(pa.int32()).cast(pa.date32()), pa.string())


def staging_table(run, as_of, scores: pa.Table) -> pa.Table:
    """The rows as the database stores them: ISO date text, JSON text, numbers."""
    columns = {"run_id": pa.array([run.pk] * scores.num_rows, pa.int64()),
               "as_of": pa.array([as_of.isoformat()] * scores.num_rows, pa.string())}
    for name, source in SCORE_COLUMNS.items():
        column = scores.column(source)
        columns[name] = _iso_dates(column) if source.endswith("_day") else column
    return pa.table(columns)


def stage_scores(run, as_of, scores: pa.Table) -> None:
    table = staging_table(run, as_of, scores)
    if connection.vendor == "postgresql":
        from adbc_driver_postgresql import dbapi

        with dbapi.connect(postgres_uri()) as adbc:
            with adbc.cursor() as cursor:
                cursor.adbc_ingest(STAGING, table, mode="replace")
            adbc.commit()
        return
    with tempfile.TemporaryDirectory(prefix="guanxi-scores-") as folder:
        path = Path(folder) / "scores.arrow"
        sqlite_child.write_file(path, table)
        done = subprocess.run(sqlite_child.command("write", connection.settings_dict["NAME"], STAGING, path),
                              capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"writing the scores failed: {done.stderr.strip()[-2000:]}")


def _select(column: str) -> str:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql" and column in JSON_COLUMNS:
        return f"CAST({quote(column)} AS jsonb)"
    if connection.vendor == "postgresql" and column in DATE_COLUMNS:
        return f"CAST({quote(column)} AS date)"
    return quote(column)


def swap_scores() -> int:
    """Replace every score with the staged rows (call inside a transaction)."""
    table = CustomerScore._meta.db_table
    names = ["run_id", "as_of", *SCORE_COLUMNS]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(table)}")
        cursor.execute(f"INSERT INTO {quote(table)} ({', '.join(quote(n) for n in names)}) "
                       f"SELECT {', '.join(_select(n) for n in names)} FROM {STAGING}")
        return cursor.rowcount


def drop_staging() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


def replace_affinities(product_rules: pa.Table, category_rules: pa.Table):
    ProductAffinity.objects.all().delete()
    CategoryAffinity.objects.all().delete()
    # Affinity field <- rule column (crosssell.RULES)
    metrics = {"orders": "count", "support": "support", "confidence": "confidence", "lift": "lift"}
    for model, key, rules in ((ProductAffinity, "product", product_rules), (CategoryAffinity, "category", category_rules)):
        columns = [rules.column(name).to_pylist() for name in ("antecedent", "consequent", *metrics.values())]
        insert_rows(model, [key, "consequent", *metrics], list(zip(*columns)), prepared=True)
