"""Read SQLite query results into Arrow files, in a process of its own.

The ADBC SQLite driver bundles its own copy of the SQLite library. Two copies
in one process break SQLite's file locking (POSIX locks are per process, so
each copy believes it is alone): closing the driver's connection would
checkpoint and delete the WAL under Django's connection ("disk I/O error"; see
sqlite.org/howtocorrupt.html, "multiple copies of SQLite"). So the extract runs
here, in a child process, and hands the tables back as Arrow IPC files.

    python -m guanxi.analytics.sqlite_reader DATABASE OUT_DIR < queries.json
"""

import json
import sys
from pathlib import Path

import pyarrow as pa


def read_to_files(database: str, queries: dict, out_dir: Path) -> None:
    from adbc_driver_sqlite import dbapi

    with dbapi.connect(database) as connection, connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            table = cursor.fetch_arrow_table()
            with pa.OSFile(str(out_dir / f"{name}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)


def load_files(out_dir: Path, names) -> dict:
    """The tables written by `read_to_files`, read into memory (the files may go)."""
    tables = {}
    for name in names:
        with pa.OSFile(str(out_dir / f"{name}.arrow")) as source:
            tables[name] = pa.ipc.open_file(source).read_all()
    return tables


if __name__ == "__main__":
    read_to_files(sys.argv[1], json.load(sys.stdin), Path(sys.argv[2]))
