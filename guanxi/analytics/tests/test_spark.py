"""The distributed path: the per-customer feature pipeline (purchase summary,
features, RFM, lifecycle, credit risk) runs unchanged on a local Spark session
and gives the numbers DuckDB gives."""

from datetime import date

import pyarrow as pa
import pytest

from guanxi.analytics import features, lifecycle, rfm, tiers
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import day_number
from guanxi.synthetic import generate_shop

pytestmark = pytest.mark.spark
AS_OF = day_number(date(2026, 11, 1))


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    directory = tmp_path_factory.mktemp("shop")
    generate_shop(directory, 3000, 5, progress=False)
    return shop_from_generator(directory)


def same(left: pa.Table, right: pa.Table):
    """Equal column by column: integers and text exactly, sums of money to 1e-9
    (the engines add in different orders)."""
    assert left.column_names == right.column_names and left.num_rows == right.num_rows
    for name in left.column_names:
        a, b = left.column(name).to_pylist(), right.column(name).to_pylist()
        if pa.types.is_floating(left.schema.field(name).type):
            assert a == pytest.approx(b, rel=1e-9, nan_ok=True), name
        else:
            assert a == b, name


def test_the_purchase_summary_is_the_same_on_spark(spark, shop):
    sql = features.summary_sql(AS_OF, "weeks") + " ORDER BY customer_id"
    on_duckdb = DuckDBEngine().query(sql, orders=shop.orders)
    assert on_duckdb.num_rows == 3000
    same(spark.query(sql, orders=shop.orders), on_duckdb)


def test_features_and_the_scores_built_on_them_are_the_same_on_spark(spark, shop):
    duck = DuckDBEngine()
    sql = features.features_sql(AS_OF, 365) + " ORDER BY customer_id"
    feats = duck.query(sql, orders=shop.orders, returns=shop.returns)
    same(spark.query(sql, orders=shop.orders, returns=shop.returns), feats)
    for step in (rfm.score_rfm, lambda engine, f: lifecycle.lifecycle_stages(engine, f, AS_OF), tiers.risk_rating):
        same(step(spark, feats), step(duck, feats))
