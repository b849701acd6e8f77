"""Returns and refunds, linked to their order and, by SKU, to the order line."""

from django.utils.translation import gettext as _

from guanxi.commerce.choices import ReturnStatus
from guanxi.commerce.models import Order, OrderLine, Return
from guanxi.customers.choices import TimelineKind
from guanxi.customers.models import TimelineEntry
from guanxi.imports.writers import Outcome

FIELDS = ["order", "order_line", "quantity", "amount", "currency", "returned_at", "reason", "status", "import_hash"]


class ReturnWriter:
    def __init__(self, run):
        self.run = run

    def write(self, rows):
        out = Outcome()
        source = self.run.source
        orders = {o.external_id: o for o in Order.objects.filter(source=source, external_id__in={r.record["order_id"] for r in rows})}
        lines = _lines_by_sku(orders.values())
        existing = {r.external_id: r for r in Return.objects.filter(source=source, external_id__in=[r.record["return_id"] for r in rows])}
        new, changed, seen = [], [], {}
        for row in rows:
            record = row.record
            order = orders.get(record["order_id"])
            reason = _problem(row, order, seen)
            if reason:
                out.reject(row, *reason)
                continue
            seen[record["return_id"]] = row.line
            current = existing.get(record["return_id"])
            if current and current.import_hash == row.hash:
                out.unchanged += 1
                continue
            target = current or Return(source=source, external_id=record["return_id"])
            _apply(target, row, order, lines.get((order.pk, record.get("sku"))))
            (changed if current else new).append(target)
        Return.objects.bulk_create(new)
        Return.objects.bulk_update(changed, FIELDS)
        _timeline(new + changed)
        out.created, out.updated = len(new), len(changed)
        return out


def _problem(row, order, seen):
    record = row.record
    if record["return_id"] in seen:
        return "return_id", _("duplicate return_id %(id)s (first on line %(line)d)") % {"id": record["return_id"], "line": seen[record["return_id"]]}
    if order is None:
        return "order_id", _("unknown order %(order)s: import the order first") % {"order": record["order_id"]}
    if record["amount"] > order.total:
        return "amount", _("refund %(amount)s is more than the order total %(total)s") % {"amount": record["amount"], "total": order.total}
    return None


def _lines_by_sku(orders):
    ids = [o.pk for o in orders]
    lines = {}
    for line in OrderLine.objects.filter(order_id__in=ids).order_by("order_id", "line_no"):
        lines.setdefault((line.order_id, line.sku), line)
    return lines


def _apply(target, row, order, line):
    record = row.record
    target.order, target.order_line = order, line
    target.quantity = record.get("quantity") if record.get("quantity") is not None else 1
    target.amount = record["amount"]
    target.currency = record.get("currency") or order.currency
    target.returned_at = record["returned_at"]
    target.reason = record.get("reason") or ""
    target.status = record.get("status") or ReturnStatus.REFUNDED
    target.import_hash = row.hash


def _timeline(returns):
    refs = [f"return:{r.pk}" for r in returns]
    TimelineEntry.objects.filter(kind=TimelineKind.RETURN, ref__in=refs).delete()
    TimelineEntry.objects.bulk_create([
        TimelineEntry(customer_id=r.order.customer_id, kind=TimelineKind.RETURN, occurred_at=r.returned_at, ref=f"return:{r.pk}",
                      summary=r.order.external_id, data={"amount": str(r.amount), "currency": r.currency, "reason": r.reason, "sku": r.order_line.sku if r.order_line else ""})
        for r in returns])
