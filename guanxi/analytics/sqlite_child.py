"""Read SQLite query results into Arrow files, or write an Arrow file into a
SQLite table, in a process of its own.

The ADBC SQLite driver bundles its own copy of the SQLite library. Two copies
in one process break SQLite's file locking (POSIX locks are per process, so
each copy believes it is alone): closing the driver's connection would
checkpoint and delete the WAL under Django's connection ("disk I/O error"; see
sqlite.org/howtocorrupt.html, "multiple copies of SQLite"). So the extract runs
here, in a child process, and hands the tables back as Arrow IPC files (and
the scores come in the same way).

    python -m guanxi.analytics.sqlite_child read DATABASE OUT_DIR < queries.json
    python -m guanxi.analytics.sqlite_child write DATABASE TABLE FILE.arrow
"""

import json
import sys
from pathlib import Path

import pyarrow as pa


def command(mode: str, *args) -> list[str]:
    """The command line that runs this module in a child process."""
    return [sys.executable, "-m", "guanxi.analytics.sqlite_child", mode, *map(str, args)]


def read_to_files(database: str, queries: dict, out_dir: Path) -> None:
    from adbc_driver_sqlite import dbapi

    with dbapi.connect(database) as connection, connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            write_file(out_dir / f"{name}.arrow", cursor.fetch_arrow_table())


def write_file(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def ingest_file(database: str, table_name: str, path: Path) -> None:
    """Replace `table_name` with the rows of an Arrow file (ADBC bulk ingest)."""
    from adbc_driver_sqlite import dbapi

    with pa.OSFile(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    with dbapi.connect(database) as connection:
        with connection.cursor() as cursor:
            cursor.adbc_ingest(table_name, table, mode="replace")
        connection.commit()


def load_files(out_dir: Path, names) -> dict:
    """The tables written by `read_to_files`, read into memory (the files may go)."""
    tables = {}
    for name in names:
        with pa.OSFile(str(out_dir / f"{name}.arrow")) as source:
            tables[name] = pa.ipc.open_file(source).read_all()
    return tables


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read_to_files(sys.argv[2], json.load(sys.stdin), Path(sys.argv[3]))
    elif sys.argv[1] == "write":
        ingest_file(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {sys.argv[1]!r}: read or write")
