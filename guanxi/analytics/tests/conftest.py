"""One local Spark session for every Spark test of the engine (it takes ~15 s to start)."""

import pytest


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="the spark extra is not installed (uv sync --extra spark)")
    from guanxi.analytics.engine import SparkEngine, local_spark_session

    session = local_spark_session()
    yield SparkEngine(session)
    session.stop()
