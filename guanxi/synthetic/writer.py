"""Append chunks of rows to CSV or Parquet files with fixed column lists.

Every column is text, exactly as an import file carries it ("" for a missing
optional value), so the CSV and the Parquet output hold the same rows and the
same importer code reads both.
"""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FORMATS = ("csv", "parquet")


class ShopWriter:
    """One open file per table; `write(name, columns)` appends a chunk."""

    def __init__(self, out_dir, fmt="csv"):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.fmt = fmt
        self._open = {}
        self.rows = {}
        self._written = []

    def path(self, name):
        return self.out_dir / f"{name}.{self.fmt}"

    def write(self, name, column_names, columns):
        table = pa.table({c: columns[c] for c in column_names},
                         schema=pa.schema([(c, pa.string()) for c in column_names]))
        if name not in self._open:
            self._open[name] = self._new_writer(name, table.schema)
            self._written.append(self.path(name))
            self.rows[name] = 0
        self._open[name].write_table(table)
        self.rows[name] += table.num_rows

    def _new_writer(self, name, schema):
        if self.fmt == "csv":
            return pa_csv.CSVWriter(self.path(name), schema)
        # Dictionary encoding pays off for the many repeated texts (status, sku,
        # country); statistics are kept so readers can skip row groups.
        return pq.ParquetWriter(self.path(name), schema, compression="zstd")

    def write_json(self, name, data):
        path = self.out_dir / f"{name}.json"
        path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        self._written.append(path)
        return path

    def close(self):
        for writer in self._open.values():
            writer.close()
        self._open.clear()

    def sizes(self):
        return {p.name: p.stat().st_size for p in self._written}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
