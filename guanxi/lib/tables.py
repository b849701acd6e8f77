"""Streaming readers for tabular files: CSV/TSV (delimiter sniffed), XLSX,
JSON Lines and Parquet, in UTF-8, UTF-8 with BOM or GBK/GB18030.

`open_table(path)` returns a Table whose `rows()` yields (line_number, dict)
one at a time, so a file of any size is read in constant memory. A line whose
bytes are not valid in the file's encoding is yielded with `BAD_ENCODING` set
so the caller can reject that line alone instead of the whole file.
"""

import codecs
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

SAMPLE_BYTES = 1 << 20
BAD_ENCODING = "__bad_encoding__"
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ""}


class TableError(ValueError):
    """The file as a whole cannot be read (unknown type, no header...)."""


@dataclass
class Table:
    path: Path
    kind: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header: list = field(default_factory=list)

    def rows(self):
        readers = {"csv": self._csv_rows, "xlsx": self._xlsx_rows, "jsonl": self._jsonl_rows, "parquet": self._parquet_rows}
        return readers[self.kind]()

    def _csv_rows(self):
        with open(self.path, "rb") as raw:
            bad_lines = set()
            reader = csv.reader(_decoded_lines(raw, self.encoding, bad_lines), delimiter=self.delimiter)
            next(reader, None)  # header, already read by open_table
            start = reader.line_num + 1
            for values in reader:
                line, end = start, reader.line_num
                start = end + 1
                if not any(v.strip() for v in values):
                    continue
                row = dict(zip(self.header, values))
                if len(values) > len(self.header):
                    row["__extra__"] = values[len(self.header):]
                if any(n in bad_lines for n in range(line, end + 1)):
                    row[BAD_ENCODING] = self.encoding
                yield line, row

    def _xlsx_rows(self):
        import openpyxl

        book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet_rows = book.worksheets[0].iter_rows(values_only=True)
            next(sheet_rows, None)
            for line, values in enumerate(sheet_rows, start=2):
                cells = ["" if v is None else _cell_text(v) for v in values]
                if any(c.strip() for c in cells):
                    row = dict(zip(self.header, cells))
                    if any(c.strip() for c in cells[len(self.header):]):
                        row["__extra__"] = cells[len(self.header):]
                    yield line, row
        finally:
            book.close()

    def _jsonl_rows(self):
        with open(self.path, "rb") as handle:
            bad_lines = set()
            for line, text in enumerate(_decoded_lines(handle, self.encoding, bad_lines), start=1):
                if line in bad_lines:
                    yield line, {BAD_ENCODING: self.encoding}
                    continue
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield line, {"__invalid__": _("not valid JSON: %(error)s") % {"error": exc.msg}}
                    continue
                if not isinstance(record, dict):
                    yield line, {"__invalid__": _("each line must be a JSON object")}
                    continue
                yield line, {str(k).strip().lower(): _json_text(v) for k, v in record.items()}

    def _parquet_rows(self):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(self.path)
        line = 1
        for batch in parquet.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                line += 1
                yield line, {k.lower(): _json_text(v) for k, v in record.items()}


def _cell_text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _json_text(value):
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _decoded_lines(raw, encoding, bad_lines):
    """Decode line by line so one damaged line does not stop the file."""
    for number, chunk in enumerate(raw, start=1):
        try:
            text = chunk.decode(encoding)
        except UnicodeDecodeError:
            bad_lines.add(number)
            text = chunk.decode(encoding, errors="replace")
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield text


def detect_encoding(sample):
    """UTF-8 (with or without BOM) unless the bytes read better as GB18030.

    A few invalid bytes in an otherwise UTF-8 file keep it UTF-8 (those lines
    are rejected later); a file of Chinese text in GBK fails UTF-8 almost
    everywhere and decodes cleanly as GB18030, a superset of GBK.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    # A few stray bytes (a cp1252 "é", a cut character at the sample's end) keep
    # UTF-8: those lines are rejected visibly, while a wrong GB18030 guess would
    # silently garble every Chinese character after the sample.
    if bad < 8:
        return "utf-8"
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    if good >= bad:
        return "utf-8"
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # cut at the end of the sample
            return "gb18030"
        return "utf-8"


def open_table(path, encoding=None):
    """Inspect the file and return a Table ready to stream its rows."""
    path = Path(path)
    if not path.exists():
        raise TableError(_("file %(path)s does not exist") % {"path": path})
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _open_xlsx(path)
    if suffix in {".jsonl", ".ndjson"}:
        with open(path, "rb") as raw:
            sample = raw.read(SAMPLE_BYTES)
        return Table(path, "jsonl", encoding or detect_encoding(sample), header=[])
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        header = [n.lower() for n in pq.ParquetFile(path).schema_arrow.names]
        return Table(path, "parquet", header=header)
    if suffix not in TEXT_SUFFIXES:
        raise TableError(_("%(name)s: unsupported file type (use CSV, TSV, XLSX, JSON Lines or Parquet)") % {"name": path.name})
    return _open_csv(path, encoding, tab=suffix == ".tsv")


def _open_csv(path, encoding, tab):
    with open(path, "rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if not sample.strip():
        raise TableError(_("%(name)s is empty") % {"name": path.name})
    encoding = encoding or detect_encoding(sample)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = "\t" if tab else _sniff_delimiter(text)
    first = next(csv.reader(text.splitlines()[:1], delimiter=delimiter), [])
    header = [h.strip().lower() for h in first]
    if not any(header):
        raise TableError(_("%(name)s has no header line") % {"name": path.name})
    return Table(path, "csv", encoding, delimiter, _checked_header(path, header))


def _checked_header(path, header):
    """Lower-cased column names; a name used twice would silently lose a column."""
    seen = set()
    for name in header:
        if name and name in seen:
            raise TableError(_("%(name)s: the column %(column)s appears twice in the header") % {"name": path.name, "column": name})
        seen.add(name)
    return header


def _sniff_delimiter(text):
    head = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _open_xlsx(path):
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableError(_("%(name)s is not a readable Excel file: %(error)s") % {"name": path.name, "error": exc}) from None
    try:
        first = next(book.worksheets[0].iter_rows(values_only=True), None)
    finally:
        book.close()
    if not first:
        raise TableError(_("%(name)s is empty") % {"name": path.name})
    header = [("" if v is None else str(v)).strip().lower() for v in first]
    while header and not header[-1]:  # Excel pads rows to the sheet's widest row
        header.pop()
    return Table(path, "xlsx", header=_checked_header(path, header))
