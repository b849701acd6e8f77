class SegmentError(Exception):
    """A segment workflow refused its input; the message says why."""


class InvalidDefinition(SegmentError):
    """A rule definition that cannot be compiled.

    `problems` is a list of {"field": path, "reason": text}, the path naming the
    rule as in the JSON ("rules.2.value"), so the builder and the API can point at it.
    """

    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(f"{p['field']}: {p['reason']}" for p in problems))


class ListUploadError(SegmentError):
    """An uploaded list file that cannot be read at all (not the unmatched lines)."""


class ExportTooLarge(SegmentError):
    """The export format cannot hold that many rows (XLSX: 1,048,575)."""
