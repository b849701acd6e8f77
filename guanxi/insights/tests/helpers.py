"""Shops for the insights tests, brought in through the ordinary importer."""

import csv
from datetime import date

from guanxi.imports.services import import_file
from guanxi.synthetic import generate_shop

KINDS = ("products", "customers", "orders", "returns")


def import_generated_shop(directory, customers=300, seed=11):
    """Generate and import a small shop; returns its truth end date."""
    generate_shop(directory, customers=customers, seed=seed, progress=False)
    for kind in KINDS:
        run = import_file(kind, directory / f"{kind}.csv", source="demo")
        assert run.rejected == 0, kind
    return date(2026, 10, 31)


def write_orders(path, rows):
    """rows: (order_id, customer_id, ordered_at, total, status[, sku, quantity, unit_price])."""
    header = ["order_id", "customer_id", "ordered_at", "currency", "total", "status", "sku", "quantity", "unit_price"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            order_id, customer, at, total, status, *line = row
            sku, quantity, price = (line + ["", "", ""])[:3]
            writer.writerow([order_id, customer, at, "CNY", total, status, sku, quantity, price])
    return path
