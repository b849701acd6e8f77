"""Orders arrive one row per line; rows of one order are adjacent (the batcher
never splits them). Each order is created, updated (lines replaced) or left
unchanged by comparing a fingerprint of all its rows."""

import hashlib

from django.utils.translation import gettext as _

from guanxi.commerce.choices import Channel, OrderStatus
from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.commerce.services import refresh_order_figures
from guanxi.customers.choices import TimelineKind
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.imports.matching import CustomerMatcher, ref_of
from guanxi.imports.writers import Outcome
from guanxi.imports.writers.catalogue import product_ids

ORDER_FIELDS = ("ordered_at", "currency", "total", "customer_id", "customer_email", "customer_phone")


class OrderWriter:
    def __init__(self, run):
        self.run = run
        self.matcher = CustomerMatcher(run.source)

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
            if known and known[1] == self.run.pk:
                _reject_group(out, members, _("order %(order)s already appeared earlier in this file; the lines of one order must be next to each other") % {"order": order_id})
            elif known is None:
                new.append((order_id, members, digest))
            elif known[2] == digest:
                out.unchanged += len(members)
            else:
                changed.append((order_id, members, digest, known[0]))
        if new or changed:
            self._save(new, changed)
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
        orders = [self._order(o, m, d, customers) for o, m, d in new]
        Order.objects.bulk_create(orders)
        updated = self._update(changed, customers)
        saved = orders + updated
        members_by_order = {o: m for o, m in everything}
        OrderLine.objects.bulk_create([line for order in saved for line in _lines(order, members_by_order[order.external_id], products)])
        _write_timeline(saved, members_by_order)
        refresh_order_figures({order.customer_id for order in saved} | self._previous_owners(updated))

    def _order(self, order_id, members, digest, customers, pk=None):
        record = members[0].record
        return Order(pk=pk, source=self.run.source, external_id=order_id, customer_id=customers[ref_of(record)],
                     ordered_at=record["ordered_at"], currency=record["currency"], total=record["total"],
                     status=record.get("status") or OrderStatus.PAID, channel=record.get("channel") or Channel.WEB,
                     import_run_id=self.run.pk, import_hash=digest)

    def _update(self, changed, customers):
        if not changed:
            return []
        self._owners_before = list(Order.objects.filter(pk__in=[pk for *_x, pk in changed]).values_list("customer_id", flat=True))
        orders = [self._order(o, m, d, customers, pk=pk) for o, m, d, pk in changed]
        Order.objects.bulk_update(orders, ["customer", "ordered_at", "currency", "total", "status", "channel", "import_run", "import_hash"])
        OrderLine.objects.filter(order_id__in=[o.pk for o in orders]).delete()
        TimelineEntry.objects.filter(kind=TimelineKind.ORDER, ref__in=[f"order:{o.pk}" for o in orders]).delete()
        return orders

    def _previous_owners(self, updated):
        return set(getattr(self, "_owners_before", [])) if updated else set()


def _group(rows):
    groups = []
    for row in rows:
        if groups and groups[-1][0] == row.group:
            groups[-1][1].append(row)
        else:
            groups.append((row.group, [row]))
    return groups


def _group_hash(members):
    digest = hashlib.md5(usedforsecurity=False)
    for row in members:
        digest.update(row.hash.encode())
    return digest.hexdigest()


def _reject_group(out, members, reason, field="order_id"):
    for row in members:
        out.reject(row, field, reason)


def _lines(order, members, products):
    lines = []
    for number, row in enumerate(members, start=1):
        record = row.record
        if not record.get("sku") and not record.get("product_name"):
            continue
        lines.append(OrderLine(order=order, line_no=number, product_id=products.get(record.get("sku")),
                               sku=record.get("sku") or "", product_name=record.get("product_name") or "",
                               quantity=record["quantity"] if record.get("quantity") is not None else 1,
                               unit_price=record.get("unit_price")))
    return lines


def _write_timeline(orders, members_by_order):
    entries = []
    for order in orders:
        members = members_by_order[order.external_id]
        items = sum((r.record.get("quantity") or 1) for r in members if r.record.get("sku") or r.record.get("product_name"))
        entries.append(TimelineEntry(customer_id=order.customer_id, kind=TimelineKind.ORDER, occurred_at=order.ordered_at,
                                     ref=f"order:{order.pk}", summary=order.external_id,
                                     data={"order_id": order.pk, "total": str(order.total), "currency": order.currency,
                                           "items": items, "status": order.status}))
    TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True)


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
