"""Batch writers, one per import kind. Each takes a list of Row and returns an
Outcome; it runs inside the caller's transaction."""

from dataclasses import dataclass, field


@dataclass(eq=False)  # rows are keys of per-batch dicts, by identity
class Row:
    line: int
    record: dict
    hash: str
    raw: dict
    group: object = None


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)  # (row, field, reason)

    def reject(self, row, field_name, reason):
        self.rejected.append((row, field_name, reason))


class PkSet:
    """Primary keys seen during a run, one bit each: a 5M-line file's millions
    of orders cost a few hundred kilobytes, so memory stays flat."""

    def __init__(self):
        self._bits = bytearray()

    def add(self, pk):
        byte = pk >> 3
        if byte >= len(self._bits):
            self._bits.extend(bytes(byte - len(self._bits) + 1 + len(self._bits) // 2))
        self._bits[byte] |= 1 << (pk & 7)

    def update(self, pks):
        for pk in pks:
            self.add(pk)

    def __contains__(self, pk):
        if pk is None:
            return False
        byte = pk >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & (1 << (pk & 7)))


def _registry():
    from guanxi.imports.writers.customers import CustomerWriter
    from guanxi.imports.writers.events import EventWriter
    from guanxi.imports.writers.orders import OrderWriter
    from guanxi.imports.writers.products import ProductWriter
    from guanxi.imports.writers.returns import ReturnWriter

    return {"customers": CustomerWriter, "products": ProductWriter, "orders": OrderWriter,
            "returns": ReturnWriter, "events": EventWriter}


class _Writers(dict):
    def __missing__(self, kind):
        self.update(_registry())
        return dict.__getitem__(self, kind)


WRITERS = _Writers()
