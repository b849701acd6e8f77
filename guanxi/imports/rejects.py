"""The rejects file: one CSV row per rejected input row, with line, field and reason."""

import csv
import json
from pathlib import Path

from django.conf import settings

HEADER = ["line", "field", "reason", "row"]


class RejectsFile:
    """Opened lazily: a run without rejects leaves no file behind."""

    def __init__(self, run):
        self.run = run
        self.path = Path(settings.REJECTS_DIR) / f"import-{run.pk}-{run.kind}-rejects.csv"
        self._handle = None
        self._writer = None

    def add(self, line, field, reason, row=None):
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "w", newline="", encoding="utf-8-sig")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(HEADER)
        raw = {k: v for k, v in (row or {}).items() if not k.startswith("__")}
        self._writer.writerow([line, field, reason, json.dumps(raw, ensure_ascii=False, default=str)])

    def flush(self):
        if self._handle:
            self._handle.flush()

    def close(self):
        if self._handle:
            self._handle.close()

    @property
    def written(self):
        return self._writer is not None


def read_rejects(run, limit=200):
    """The first `limit` rejects of a run, as dicts (for pages and the API)."""
    if not run.rejects_file or not Path(run.rejects_file).exists():
        return []
    with open(run.rejects_file, newline="", encoding="utf-8-sig") as handle:
        rows = []
        for row in csv.DictReader(handle):
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows
