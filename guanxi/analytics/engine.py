"""Where SQL runs: DuckDB in process, or a Spark session for large shops.

The engine's SQL is written once, in the dialect both understand (no
engine-specific functions; day numbers instead of dates), and given Arrow tables
by name. `query` returns an Arrow table in both cases, so a caller cannot tell
which engine answered.
"""

import duckdb
import pyarrow as pa


class DuckDBEngine:
    """An in-memory DuckDB database; Arrow tables are registered, not copied."""

    name = "duckdb"

    def __init__(self, threads: int | None = None):
        self.connection = duckdb.connect(":memory:")
        self.connection.execute("SET enable_progress_bar = false")
        if threads:
            self.connection.execute(f"SET threads = {int(threads)}")

    def query(self, sql: str, **tables: pa.Table) -> pa.Table:
        for name, table in tables.items():
            self.connection.register(name, table)
        try:
            return self.connection.sql(sql).to_arrow_table()
        finally:
            for name in tables:
                self.connection.unregister(name)


class SparkEngine:
    """A Spark session (local or a cluster); tables become temporary views."""

    name = "spark"

    def __init__(self, session):
        self.session = session

    def query(self, sql: str, **tables: pa.Table) -> pa.Table:
        for name, table in tables.items():
            self.session.createDataFrame(table).createOrReplaceTempView(name)
        return self.session.sql(sql).toArrow()


def local_spark_session(cores: int = 2, memory: str = "4g"):
    """A local Spark session that needs no network: no UI, driver on 127.0.0.1.

    The driver collects each result into Arrow: at a million customers the
    default 1 GB heap runs out, hence `memory`.
    """
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("guanxi")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .getOrCreate()
    )
