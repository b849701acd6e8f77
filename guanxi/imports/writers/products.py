"""Catalogue rows, upserted by SKU; categories are created by name."""

from guanxi.commerce.models import Category, Product
from guanxi.imports.writers import Outcome


class ProductWriter:
    def __init__(self, run):
        self.run = run

    def write(self, rows):
        out = Outcome()
        rows = _first_per_sku(rows, out)
        existing = {p.sku: p for p in Product.objects.filter(sku__in=[r.record["sku"] for r in rows])}
        categories = _categories({r.record.get("category") for r in rows})
        new, changed = [], []
        for row in rows:
            product = existing.get(row.record["sku"])
            if product is not None and product.import_hash == row.hash:
                out.unchanged += 1
                continue
            target = product or Product(sku=row.record["sku"])
            _apply(target, row, categories, self.run.source)
            (changed if product else new).append(target)
        Product.objects.bulk_create(new)
        Product.objects.bulk_update(changed, ["name", "category", "price", "currency", "source", "import_hash"])
        out.created += len(new)
        out.updated += len(changed)
        return out


def _first_per_sku(rows, out):
    from django.utils.translation import gettext as _

    seen, kept = {}, []
    for row in rows:
        sku = row.record["sku"]
        if sku in seen:
            out.reject(row, "sku", _("duplicate SKU %(sku)s (first on line %(line)d)") % {"sku": sku, "line": seen[sku]})
            continue
        seen[sku] = row.line
        kept.append(row)
    return kept


def _categories(names):
    names = {n for n in names if n}
    if not names:
        return {}
    Category.objects.bulk_create([Category(name=n) for n in names], ignore_conflicts=True)
    return dict(Category.objects.filter(name__in=names).values_list("name", "pk"))


def _apply(product, row, categories, source):
    record = row.record
    product.name = record["name"]
    product.category_id = categories.get(record.get("category")) if record.get("category") else product.category_id
    product.price = record.get("price") if record.get("price") is not None else product.price
    product.currency = record.get("currency") or product.currency
    product.source = source
    product.import_hash = row.hash
