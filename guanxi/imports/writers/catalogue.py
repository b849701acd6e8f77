"""Product look-up shared by the order, return and event writers."""

from guanxi.commerce.models import Product


def product_ids(skus, new_product=None):
    """{sku: product_id}; with `new_product(sku)` unknown SKUs are created."""
    skus = {s for s in skus if s}
    if not skus:
        return {}
    found = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    missing = sorted(skus - found.keys())
    if missing and new_product:
        for product in Product.objects.bulk_create([new_product(sku) for sku in missing]):
            found[product.sku] = product.pk
    return found
