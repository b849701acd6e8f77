import pytest
from decimal import Decimal

from guanxi.commerce.models import Order, OrderLine, Product
from guanxi.customers.models import ContactPoint, Customer, CustomerExternalId, TimelineEntry
from guanxi.imports.exceptions import ImportRejected
from guanxi.imports.rejects import read_rejects
from guanxi.imports.services import import_file
from guanxi.imports.tests.helpers import ORDER_HEADER, order_line, orders_file, write_csv

pytestmark = pytest.mark.django_db


def counts(run):
    return (run.read, run.created, run.updated, run.unchanged, run.rejected)


def test_orders_create_orders_lines_customers_products_and_timeline(tmp_path):
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [
        order_line("1001", "C1", sku="TEA", quantity=2, unit_price="100.00", total="300.00"),
        order_line("1001", "C1", sku="CUP", quantity=1, unit_price="100.00", total="300.00", name="Cup"),
        order_line("1002", "C2", sku="TEA", quantity=1, unit_price="50.00", total="50.00"),
    ])
    run = import_file("orders", path)
    assert counts(run) == (3, 3, 0, 0, 0)
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3
    assert Customer.objects.count() == 2 and Product.objects.count() == 2
    order = Order.objects.get(external_id="1001")
    assert order.total == Decimal("300.00") and order.customer.external_ids.get().external_id == "C1"
    assert [(l.sku, l.quantity, l.unit_price) for l in order.lines.all()] == [("TEA", 2, Decimal("100.00")), ("CUP", 1, Decimal("100.00"))]
    customer = order.customer
    assert (customer.order_count, customer.total_spent) == (1, Decimal("300.00"))
    assert customer.primary_email == "c1@example.com"
    assert TimelineEntry.objects.filter(customer=customer, kind="order").count() == 1


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = orders_file(tmp_path / "o.csv", 50)
    first = import_file("orders", path)
    snapshot = (Order.objects.count(), OrderLine.objects.count(), Customer.objects.count(), TimelineEntry.objects.count())
    second = import_file("orders", path)
    assert counts(first) == (100, 100, 0, 0, 0)
    assert counts(second) == (100, 0, 0, 100, 0)
    assert (Order.objects.count(), OrderLine.objects.count(), Customer.objects.count(), TimelineEntry.objects.count()) == snapshot


def test_changed_order_is_updated_and_its_lines_replaced(tmp_path):
    import_file("orders", write_csv(tmp_path / "a.csv", ORDER_HEADER, [order_line("1", "C1", quantity=1, total="10.00")]))
    run = import_file("orders", write_csv(tmp_path / "b.csv", ORDER_HEADER, [
        order_line("1", "C1", quantity=3, total="40.00"), order_line("1", "C1", sku="SKU9", quantity=1, total="40.00")]))
    assert counts(run) == (2, 0, 2, 0, 0)
    order = Order.objects.get()
    assert order.total == Decimal("40.00") and order.lines.count() == 2
    assert order.customer.total_spent == Decimal("40.00")
    assert TimelineEntry.objects.filter(kind="order").count() == 1


@pytest.mark.parametrize("field,value,reason", [
    ("ordered_at", "2025-02-30", "is not a date"),
    ("ordered_at", "yesterday", "is not a date"),
    ("quantity", "-2", "quantity -2 is negative"),
    ("quantity", "1.5", "is not a whole number"),
    ("total", "12,3x", "a comma is only allowed"),
    ("total", "abc", "is not an amount of money"),
    ("currency", "RMBX", "three-letter currency code"),
    ("status", "lost", "is not one of"),
    ("customer_email", "not-an-email", "is not an e-mail address"),
])
def test_a_bad_value_rejects_its_row_with_line_field_and_reason(tmp_path, field, value, reason):
    bad = order_line("2", "C2")
    bad[ORDER_HEADER.index(field)] = value
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1", "C1"), bad, order_line("3", "C3")])
    run = import_file("orders", path)
    assert counts(run) == (3, 2, 0, 0, 1)
    [reject] = read_rejects(run)
    assert reject["line"] == "3" and reject["field"] == field and reason in reject["reason"]
    assert not Order.objects.filter(external_id="2").exists()


def test_missing_required_columns_reject_the_file_before_writing(tmp_path):
    path = write_csv(tmp_path / "o.csv", ["order_id", "customer_id", "total"], [["1", "C1", "10"]])
    with pytest.raises(ImportRejected, match="missing required column.*ordered_at.*currency"):
        import_file("orders", path)
    assert Order.objects.count() == 0 and Customer.objects.count() == 0


def test_unknown_columns_are_ignored_and_rows_imported(tmp_path):
    header = [*ORDER_HEADER, "gift_wrap"]
    path = write_csv(tmp_path / "o.csv", header, [[*order_line("1", "C1"), "yes"]])
    assert counts(import_file("orders", path)) == (1, 1, 0, 0, 0)


def test_an_order_id_that_comes_back_later_in_the_file_is_rejected(tmp_path):
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1", "C1"), order_line("2", "C2"), order_line("1", "C1", sku="X")])
    run = import_file("orders", path)
    assert counts(run) == (3, 2, 0, 0, 1)
    [reject] = read_rejects(run)
    assert reject["line"] == "4" and "already appeared on line 2" in reject["reason"]
    assert OrderLine.objects.filter(order__external_id="1").count() == 1


def test_an_order_id_repeated_in_a_later_batch_is_rejected(tmp_path):
    rows = [order_line(str(n), "C1") for n in range(10)] + [order_line("3", "C1", sku="LATE")]
    run = import_file("orders", write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), batch_size=4)
    assert counts(run) == (11, 10, 0, 0, 1)
    assert "already appeared earlier in this file" in read_rejects(run)[0]["reason"]


def test_lines_that_disagree_on_the_order_total_are_rejected(tmp_path):
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1", "C1", total="10.00"), order_line("1", "C1", total="99.00")])
    run = import_file("orders", path)
    assert counts(run) == (2, 0, 0, 0, 2)
    assert read_rejects(run)[0]["field"] == "total"


def test_empty_file_is_rejected_with_a_clear_message(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ImportRejected, match="empty.csv is empty"):
        import_file("orders", tmp_path / "empty.csv")


def test_header_only_file_reads_nothing(tmp_path):
    run = import_file("orders", write_csv(tmp_path / "o.csv", ORDER_HEADER, []))
    assert counts(run) == (0, 0, 0, 0, 0) and run.status == "done"


def test_orders_match_existing_customers_by_email_across_sources(tmp_path):
    import_file("orders", write_csv(tmp_path / "a.csv", ORDER_HEADER, [order_line("1", "A-1", email="same@example.com")]), source="shop-a")
    run = import_file("orders", write_csv(tmp_path / "b.csv", ORDER_HEADER, [order_line("1", "B-9", email="Same@Example.com")]), source="shop-b")
    assert counts(run) == (1, 1, 0, 0, 0)
    assert Customer.objects.count() == 1 and Order.objects.count() == 2
    assert set(CustomerExternalId.objects.values_list("source", "external_id")) == {("shop-a", "A-1"), ("shop-b", "B-9")}
    assert Customer.objects.get().order_count == 2
    assert ContactPoint.objects.filter(kind="email").count() == 1


def test_a_crash_in_batch_k_keeps_earlier_batches_and_a_rerun_completes(tmp_path, monkeypatch):
    from guanxi.imports.writers.orders import OrderWriter

    path = orders_file(tmp_path / "o.csv", 40, lines_per_order=1)
    original, calls = OrderWriter.write, {"n": 0}

    def crash_on_third_batch(self, rows):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return original(self, rows)

    monkeypatch.setattr(OrderWriter, "write", crash_on_third_batch)
    with pytest.raises(RuntimeError):
        import_file("orders", path, batch_size=10)
    assert Order.objects.count() == 20
    from guanxi.imports.models import ImportRun

    failed = ImportRun.objects.get()
    assert failed.status == "failed" and "disk full" in failed.error and failed.created == 20
    monkeypatch.setattr(OrderWriter, "write", original)
    rerun = import_file("orders", path, batch_size=10)
    assert counts(rerun) == (40, 20, 0, 20, 0)
    assert Order.objects.count() == 40 and OrderLine.objects.count() == 40


def test_dry_run_counts_without_writing(tmp_path):
    path = orders_file(tmp_path / "o.csv", 5)
    run = import_file("orders", path, dry_run=True)
    assert counts(run) == (10, 10, 0, 0, 0) and run.dry_run
    assert Order.objects.count() == 0 and Customer.objects.count() == 0 and Product.objects.count() == 0


def test_following_lines_of_an_order_inherit_empty_order_fields(tmp_path):
    second = ["1001", "", "", "", "", "", "", "", "SKU2", "Cup", "1", "5.00"]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1001", "C1", total="15.00"), second])
    run = import_file("orders", path)
    assert counts(run) == (2, 2, 0, 0, 0)
    assert Order.objects.get().lines.count() == 2


@pytest.mark.slow
def test_a_100k_row_file_imports_with_exact_counts(tmp_path):
    rows = [order_line(f"O{n // 2}", f"C{n // 20}", sku=f"S{n % 2}", unit_price="5.00", total="10.00") for n in range(100_000)]
    rows[500][ORDER_HEADER.index("quantity")] = "-1"
    rows[70_001][ORDER_HEADER.index("ordered_at")] = "2025-99-01"
    path = write_csv(tmp_path / "big.csv", ORDER_HEADER, rows)
    run = import_file("orders", path)
    # Each bad line takes its order's other line with it: an order is all or nothing.
    assert counts(run) == (100_000, 99_996, 0, 0, 4)
    assert Order.objects.count() == 49_998 and Customer.objects.count() == 5_000
    assert OrderLine.objects.count() == 99_996
    again = import_file("orders", path)
    assert counts(again) == (100_000, 0, 0, 99_996, 4)
