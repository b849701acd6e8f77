"""Small helpers to write import files in tests."""

import csv
import io

ORDER_HEADER = ["order_id", "customer_id", "customer_email", "ordered_at", "currency", "total", "status",
                "channel", "sku", "product_name", "quantity", "unit_price"]


def write_csv(path, header, rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def order_line(order_id, customer_id, sku="SKU1", quantity=1, unit_price="10.00", total=None, ordered_at="2025-03-01T10:00:00+08:00",
               email=None, currency="CNY", status="paid", channel="web", name="Tea"):
    total = total if total is not None else unit_price
    return [order_id, customer_id, email or f"{customer_id.lower()}@example.com", ordered_at, currency, total, status,
            channel, sku, name, quantity, unit_price]


def orders_file(path, n_orders, lines_per_order=2, customers=None):
    """n_orders orders of `lines_per_order` lines each, customers cycling."""
    customers = customers or max(1, n_orders // 3)
    rows = []
    for o in range(n_orders):
        cid = f"C{o % customers}"
        for line in range(lines_per_order):
            rows.append(order_line(f"O{o}", cid, sku=f"SKU{line}", unit_price="5.00", total=f"{5 * lines_per_order}.00"))
    return write_csv(path, ORDER_HEADER, rows)
