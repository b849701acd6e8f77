"""Orders arrive one row per line; rows of one order are adjacent (the batcher
never splits them). Each order is created, updated (lines replaced) or left
unchanged by comparing a fingerprint of all its rows."""

import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.commerce.choices import Channel, OrderStatus
from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.lib.bulk import insert_rows, update_rows
from guanxi.commerce.services import refresh_order_figures
from guanxi.customers.choices import TimelineKind
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.imports.matching import CustomerMatcher, ref_of
from guanxi.imports.writers import Outcome, PkSet
from guanxi.imports.writers.catalogue import product_ids

ORDER_COLUMNS = ("source", "external_id", "customer", "ordered_at", "currency", "total", "status", "channel",
                 "import_run", "import_hash", "created_at", "updated_at")
# ORDER_COLUMNS without source and external_id (they identify the order) and created_at.
UPDATED_COLUMNS = ORDER_COLUMNS[2:10] + ("updated_at",)
LINE_COLUMNS = ("order", "line_no", "product", "sku", "product_name", "quantity", "unit_price")
TIMELINE_COLUMNS = ("customer", "kind", "occurred_at", "ref", "summary", "data")
ORDER_FIELDS = ("ordered_at", "currency", "total", "customer_id", "customer_email", "customer_phone")


class OrderWriter:
    def __init__(self, run):
        self.run = run
        self.matcher = CustomerMatcher(run.source)
        # Orders this run already wrote or confirmed: an id coming back in a later
        # batch is a repeat. (Dry runs roll new orders back, so only orders that
        # existed before are remembered there.)
        self.seen = PkSet()

    def write(self, rows):
        out = Outcome()
        groups = self._valid_groups(_group(rows), out)
        existing = {
            ext: (pk, run_id, digest)
            for ext, pk, run_id, digest in Order.objects.filter(source=self.run.source, external_id__in=[g[0] for g in groups])
            .values_list("external_id", "pk", "import_run_id", "import_hash")
        }
        new, changed = [], []
        for order_id, members in groups:
            digest = _group_hash(members)
            known = existing.get(order_id)
            if known and known[0] in self.seen:
                _reject_group(out, members, _("order %(order)s already appeared earlier in this file; the lines of one order must be next to each other") % {"order": order_id})
            elif known is None:
                new.append((order_id, members, digest))
            elif known[2] == digest:
                out.unchanged += len(members)
                self.seen.add(known[0])
            else:
                changed.append((order_id, members, digest, known[0]))
                self.seen.add(known[0])
        if new or changed:
            created = self._save(new, changed)
            if not self.run.dry_run:
                self.seen.update(created)
            out.created += sum(len(m) for _o, m, _d in new)
            out.updated += sum(len(m) for _o, m, _d, _pk in changed)
        return out

    def _valid_groups(self, groups, out):
        seen, valid = {}, []
        for order_id, members in groups:
            if order_id in seen:
                _reject_group(out, members, _("order %(order)s already appeared on line %(line)d; the lines of one order must be next to each other") % {"order": order_id, "line": seen[order_id]})
                continue
            seen[order_id] = members[0].line
            lineless = next((r for r in members if _has_goods(r.record) is None), None)
            if lineless:
                _reject_group(out, members, _("line %(line)d has a quantity or price but no sku or product name") % {"line": lineless.line}, "sku")
                continue
            conflict = next((f for f in ORDER_FIELDS if len({r.record.get(f) for r in members}) > 1), None)
            if conflict:
                _reject_group(out, members, _("the lines of order %(order)s disagree on %(field)s") % {"order": order_id, "field": conflict}, conflict)
                continue
            valid.append((order_id, members))
        return valid

    def _save(self, new, changed):
        everything = [(o, m) for o, m, *_rest in new + changed]
        customers = self.matcher.resolve({ref_of(m[0].record) for _o, m in everything}, _new_customer(everything, self.run.source))
        products = product_ids({r.record.get("sku") for _o, m in everything for r in m}, _new_product(everything, self.run.source))
        now = timezone.now()
        insert_rows(Order, ORDER_COLUMNS, [self._order_row(o, m, d, customers, now) for o, m, d in new])
        ids = dict(Order.objects.filter(source=self.run.source, external_id__in=[o for o, _m, _d in new]).values_list("external_id", "pk"))
        owners_before = self._update(changed, customers, now)
        ids.update({o: pk for o, _m, _d, pk in changed})
        insert_rows(OrderLine, LINE_COLUMNS, [line for o, m in everything for line in _line_rows(ids[o], m, products)])
        # No conflicts possible: refs name new orders, or changed ones whose entries _update removed.
        insert_rows(TimelineEntry, TIMELINE_COLUMNS, [_timeline_row(ids[o], m, customers) for o, m in everything])
        refresh_order_figures({customers[ref_of(m[0].record)] for _o, m in everything} | owners_before)
        return [ids[o] for o, _m, _d in new]

    def _order_row(self, order_id, members, digest, customers, now):
        record = members[0].record
        return (self.run.source, order_id, customers[ref_of(record)], record["ordered_at"], record["currency"], record["total"],
                record.get("status") or OrderStatus.PAID, record.get("channel") or Channel.WEB, self.run.pk, digest, now, now)

    def _update(self, changed, customers, now):
        """Rewrite changed orders in place; returns the customers who owned them before."""
        if not changed:
            return set()
        pks = [pk for *_x, pk in changed]
        owners_before = set(Order.objects.filter(pk__in=pks).values_list("customer_id", flat=True))
        rows = [(pk, *self._order_row(o, m, d, customers, now)[2:10], now) for o, m, d, pk in changed]
        update_rows(Order, UPDATED_COLUMNS, rows)
        OrderLine.objects.filter(order_id__in=pks).delete()
        TimelineEntry.objects.filter(kind=TimelineKind.ORDER, ref__in=[f"order:{pk}" for pk in pks]).delete()
        return owners_before


def _group(rows):
    groups = []
    for row in rows:
        if groups and groups[-1][0] == row.group:
            groups[-1][1].append(row)
        else:
            groups.append((row.group, [row]))
    return groups


def _has_goods(record):
    """True for a line naming goods, False for an order-only row, None for a
    line with a quantity or price but nothing to say what was bought."""
    if record.get("sku") or record.get("product_name"):
        return True
    if record.get("quantity") is not None or record.get("unit_price") is not None:
        return None
    return False


def _group_hash(members):
    digest = hashlib.md5(usedforsecurity=False)
    for row in members:
        digest.update(row.hash.encode())
    return digest.hexdigest()


def _reject_group(out, members, reason, field="order_id"):
    for row in members:
        out.reject(row, field, reason)


def _line_rows(order_pk, members, products):
    rows = []
    for number, row in enumerate(members, start=1):
        record = row.record
        if not record.get("sku") and not record.get("product_name"):
            continue
        quantity = record["quantity"] if record.get("quantity") is not None else 1
        rows.append((order_pk, number, products.get(record.get("sku")), record.get("sku") or "",
                     record.get("product_name") or "", quantity, record.get("unit_price")))
    return rows


def _timeline_row(order_pk, members, customers):
    record = members[0].record
    items = sum((r.record.get("quantity") or 1) for r in members if r.record.get("sku") or r.record.get("product_name"))
    data = {"order_id": order_pk, "total": str(record["total"]), "currency": record["currency"], "items": items,
            "status": record.get("status") or OrderStatus.PAID}
    return (customers[ref_of(record)], TimelineKind.ORDER, record["ordered_at"], f"order:{order_pk}", record["order_id"], data)


def _new_customer(everything, source):
    """Customers first met in an order get the name the order gives them."""
    names = {ref_of(m[0].record): m[0].record.get("customer_name") or "" for _o, m in everything}

    def build(ref):
        return Customer(source=source, full_name=names.get(ref, ""))

    return build


def _new_product(everything, source):
    """Unknown SKUs become products named and priced as on their first line."""
    first = {}
    for _order_id, members in everything:
        for row in members:
            sku = row.record.get("sku")
            if sku and sku not in first:
                first[sku] = row.record

    def build(sku):
        record = first[sku]
        return Product(sku=sku, name=record.get("product_name") or sku, price=record.get("unit_price"),
                       currency=record.get("currency") or "", source=source)

    return build
