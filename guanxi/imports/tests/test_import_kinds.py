"""Products, returns, events, presets, formats and mappings."""

import json
from decimal import Decimal

import openpyxl
import pytest

from guanxi.commerce.models import Category, Event, Order, Product, Return
from guanxi.customers.models import Customer, TimelineEntry
from guanxi.imports.exceptions import ImportRejected
from guanxi.imports.rejects import read_rejects
from guanxi.imports.services import import_file, import_records
from guanxi.imports.tests.helpers import ORDER_HEADER, order_line, write_csv

pytestmark = pytest.mark.django_db


def counts(run):
    return (run.read, run.created, run.updated, run.unchanged, run.rejected)


def test_products_upsert_by_sku_with_categories(tmp_path):
    header = ["sku", "name", "category", "price", "currency"]
    path = write_csv(tmp_path / "p.csv", header, [["T1", "Oolong 铁观音", "tea", "88.00", "CNY"], ["C1", "Cup", "kitchen", "12", "CNY"],
                                                  ["T1", "Again", "tea", "1", "CNY"]])
    run = import_file("products", path)
    assert counts(run) == (3, 2, 0, 0, 1)
    assert Product.objects.get(sku="T1").price == Decimal("88.00") and Category.objects.count() == 2
    changed = write_csv(tmp_path / "p2.csv", header, [["T1", "Oolong 铁观音", "tea", "99.00", "CNY"], ["C1", "Cup", "kitchen", "12", "CNY"]])
    assert counts(import_file("products", changed)) == (2, 0, 1, 1, 0)
    assert Product.objects.get(sku="T1").price == Decimal("99.00")


def test_returns_link_to_orders_and_lines_and_reject_unknown_orders(tmp_path):
    import_file("orders", write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1", "C1", sku="TEA", quantity=2, unit_price="50.00", total="100.00")]))
    header = ["return_id", "order_id", "sku", "quantity", "amount", "returned_at", "reason"]
    path = write_csv(tmp_path / "r.csv", header, [["R1", "1", "TEA", "1", "50.00", "2025-03-10", "broken"],
                                                  ["R2", "404", "TEA", "1", "5", "2025-03-10", ""],
                                                  ["R3", "1", "TEA", "1", "500", "2025-03-10", ""]])
    run = import_file("returns", path)
    assert counts(run) == (3, 1, 0, 0, 2)
    refund = Return.objects.get()
    assert refund.order_line.sku == "TEA" and refund.currency == "CNY" and refund.amount == Decimal("50.00")
    assert [r["field"] for r in read_rejects(run)] == ["order_id", "amount"]
    assert TimelineEntry.objects.filter(kind="return", customer=refund.order.customer).count() == 1
    assert counts(import_file("returns", path)) == (3, 0, 0, 1, 2)


def test_events_create_customers_and_are_idempotent_without_ids(tmp_path):
    header = ["event_type", "customer_id", "occurred_at", "sku", "session_id"]
    rows = [["view", "C1", "2025-03-01T10:00:00Z", "T1", "s1"], ["add_to_cart", "C1", "2025-03-01T10:01:00Z", "T1", "s1"],
            ["fly", "C2", "2025-03-01T10:00:00Z", "", ""]]
    path = write_csv(tmp_path / "e.csv", header, rows)
    assert counts(import_file("events", path)) == (3, 2, 0, 0, 1)
    assert counts(import_file("events", path)) == (3, 0, 0, 2, 1)
    assert Event.objects.count() == 2 and Customer.objects.count() == 1
    assert set(TimelineEntry.objects.values_list("kind", flat=True)) == {"visit", "cart"}


SHOPIFY = ["Name", "Email", "Financial Status", "Created at", "Currency", "Total", "Lineitem quantity", "Lineitem name",
           "Lineitem price", "Lineitem sku", "Billing Name", "Source"]


def test_shopify_export_with_order_fields_only_on_the_first_line(tmp_path):
    rows = [["#1001", "Amy@Example.com", "paid", "2024-01-15 10:23:45 +0800", "USD", "35.00", "1", "Mug", "15.00", "MUG", "Amy Lee", "web"],
            ["#1001", "", "", "", "", "", "2", "Tea", "10.00", "TEA", "", ""],
            ["#1002", "bo@example.com", "voided", "2024-01-16 08:00:00 +0800", "USD", "9.00", "1", "Tea", "9.00", "TEA", "Bo", "pos"]]
    run = import_file("orders", write_csv(tmp_path / "orders_export.csv", SHOPIFY, rows), preset="shopify")
    assert counts(run) == (3, 3, 0, 0, 0)
    first = Order.objects.get(external_id="#1001")
    assert (first.total, first.currency, first.lines.count(), first.customer.full_name) == (Decimal("35.00"), "USD", 2, "Amy Lee")
    assert Order.objects.get(external_id="#1002").status == "cancelled" and Order.objects.get(external_id="#1002").channel == "store"


def test_woocommerce_export_preset(tmp_path):
    header = ["Order Number", "Order Date", "Order Status", "Billing Email", "Order Currency", "Order Total", "SKU", "Item Name", "Quantity", "Item Cost"]
    rows = [["55", "2024-05-01 12:00", "completed", "x@example.com", "EUR", "20.00", "S1", "Socks", "2", "10.00"]]
    run = import_file("orders", write_csv(tmp_path / "woo.csv", header, rows), preset="woocommerce")
    assert counts(run) == (1, 1, 0, 0, 0)
    assert Order.objects.get().status == "fulfilled"


def test_user_mapping_reads_fields_from_other_columns_and_bad_mappings_are_refused(tmp_path):
    header = ["单号", "邮箱", "下单时间", "币种", "金额"]
    path = write_csv(tmp_path / "cn.csv", header, [["A1", "wang@example.cn", "2025-01-01 08:00:00", "CNY", "88"]], encoding="gbk")
    mapping = {"单号": "order_id", "邮箱": "customer_email", "下单时间": "ordered_at", "币种": "currency", "金额": "total"}
    assert counts(import_file("orders", path, mapping=mapping)) == (1, 1, 0, 0, 0)
    with pytest.raises(ImportRejected, match="have no field colour"):
        import_file("orders", path, mapping={"单号": "colour"})
    with pytest.raises(ImportRejected, match="the file has no column nope"):
        import_file("orders", path, mapping={"nope": "order_id"})


def test_xlsx_and_json_lines_and_parquet_go_through_the_same_path(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(ORDER_HEADER)
    book.active.append(order_line("X1", "C1"))
    book.save(tmp_path / "o.xlsx")
    assert counts(import_file("orders", tmp_path / "o.xlsx")) == (1, 1, 0, 0, 0)
    lines = [dict(zip(ORDER_HEADER, order_line("J1", "C2"))), {"order_id": "J2"}]
    (tmp_path / "o.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    run = import_file("orders", tmp_path / "o.jsonl")
    assert counts(run) == (2, 1, 0, 0, 1)
    assert (read_rejects(run)[0]["line"], read_rejects(run)[0]["field"]) == ("2", "ordered_at")
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({name: [str(v)] for name, v in zip(ORDER_HEADER, order_line("P1", "C3"))})
    pq.write_table(table, tmp_path / "o.parquet")
    assert counts(import_file("orders", tmp_path / "o.parquet")) == (1, 1, 0, 0, 0)
    assert Order.objects.count() == 3


def test_a_bad_encoding_line_is_rejected_alone(tmp_path):
    body = ",".join(ORDER_HEADER) + "\n" + ",".join(map(str, order_line("1", "C1"))) + "\n"
    damaged = ",".join(map(str, order_line("2", "C2", name="Caf\xe9"))).encode("latin-1")
    (tmp_path / "o.csv").write_bytes(body.encode() + damaged + b"\n" + (",".join(map(str, order_line("3", "C3"))) + "\n").encode())
    run = import_file("orders", tmp_path / "o.csv")
    assert counts(run) == (3, 2, 0, 0, 1)
    assert "not valid UTF-8" in read_rejects(run)[0]["reason"] and read_rejects(run)[0]["line"] == "3"


def test_import_records_from_the_api_uses_positions_as_line_numbers():
    records = [dict(zip(ORDER_HEADER, order_line("A", "C1"))), dict(zip(ORDER_HEADER, order_line("B", "C1", quantity=-1)))]
    run = import_records("orders", records, source="api")
    assert counts(run) == (2, 1, 0, 0, 1) and read_rejects(run)[0]["line"] == "2"
