"""Regressions found in review: each case once silently changed or lost data."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from guanxi.commerce.models import Event, Order
from guanxi.customers.models import ContactPoint, Customer
from guanxi.imports.rejects import read_rejects
from guanxi.imports.services import import_file, import_records
from guanxi.imports.tests.helpers import ORDER_HEADER, order_line, write_csv
from guanxi.lib.bulk import insert_rows

pytestmark = pytest.mark.django_db


def counts(run):
    return (run.read, run.created, run.updated, run.unchanged, run.rejected)


def test_an_order_repeated_later_in_the_file_never_replaces_the_first_on_reimport(tmp_path):
    rows = [order_line("A", "C1", sku="TEA", total="10.00"), order_line("B", "C2"), order_line("A", "C1", sku="CUP", total="99.00")]
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, rows)
    for expected in ((3, 2, 0, 0, 1), (3, 0, 0, 2, 1), (3, 0, 0, 2, 1)):
        assert counts(import_file("orders", path, batch_size=1)) == expected
        order = Order.objects.get(external_id="A")
        assert (str(order.total), list(order.lines.values_list("sku", flat=True))) == ("10.00", ["TEA"])


def test_one_bad_line_leaves_its_whole_order_out_with_reasons(tmp_path):
    follow = lambda sku, qty: ["1001", "", "", "", "", "", "", "", sku, "x", qty, "10.00"]
    rows = [order_line("1001", "C1", total="30.00"), follow("S2", "x"), follow("S3", "1"), order_line("1002", "C2")]
    run = import_file("orders", write_csv(tmp_path / "o.csv", ORDER_HEADER, rows))
    assert counts(run) == (4, 1, 0, 0, 3)
    assert [(r["line"], r["field"]) for r in read_rejects(run)] == [("3", "quantity"), ("2", "order_id"), ("4", "order_id")]
    assert "has a rejected line (line 3)" in read_rejects(run)[1]["reason"]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["1002"]


def test_a_line_with_a_price_but_no_product_is_rejected(tmp_path):
    line = order_line("1", "C1")
    line[ORDER_HEADER.index("sku")] = line[ORDER_HEADER.index("product_name")] = ""
    run = import_file("orders", write_csv(tmp_path / "o.csv", ORDER_HEADER, [line]))
    assert counts(run) == (1, 0, 0, 0, 1) and read_rejects(run)[0]["field"] == "sku"


def test_the_same_customer_in_two_batches_is_rejected_the_second_time_and_reimport_is_unchanged(tmp_path):
    header = ["customer_id", "email"]
    path = write_csv(tmp_path / "c.csv", header, [["C1", "a@example.com"], ["C2", "b@example.com"], ["C1", "a@example.com"]])
    assert counts(import_file("customers", path, batch_size=1)) == (3, 2, 0, 0, 1)
    assert counts(import_file("customers", path, batch_size=1)) == (3, 0, 0, 2, 1)


def test_phones_in_order_files_are_normalised_so_known_customers_are_found(tmp_path):
    import_file("customers", write_csv(tmp_path / "c.csv", ["customer_id", "phone", "country"], [["C1", "+86 138 0013 8000", "CN"]]))
    header = ["order_id", "customer_phone", "ordered_at", "currency", "total"]
    run = import_file("orders", write_csv(tmp_path / "o.csv", header, [["1", "138 0013 8000", "2025-01-01", "CNY", "5"]]), source="pos")
    assert counts(run) == (1, 1, 0, 0, 0)
    assert Customer.objects.count() == 1 and ContactPoint.objects.get().value == "+8613800138000"


def test_values_that_are_not_text_are_refused_except_lists_of_tags():
    run = import_records("customers", [{"customer_id": "C1", "first_name": ["a"]}, {"customer_id": "C2", "email": {"x": 1}},
                                       {"customer_id": "C3", "tags": ["vip", "tea"]}])
    assert counts(run) == (3, 1, 0, 0, 2)
    assert [(r["line"], r["field"]) for r in read_rejects(run)] == [("1", "first_name"), ("2", "email")]
    assert sorted(Customer.objects.get().tags.values_list("name", flat=True)) == ["tea", "vip"]


def test_events_without_ids_of_two_customers_known_by_phone_do_not_collide(tmp_path):
    header = ["event_type", "customer_phone", "occurred_at", "sku"]
    rows = [["view", "13800138000", "2025-01-01T10:00:00Z", "T1"], ["view", "13900139000", "2025-01-01T10:00:00Z", "T1"]]
    assert counts(import_file("events", write_csv(tmp_path / "e.csv", header, rows))) == (2, 2, 0, 0, 0)
    assert Event.objects.count() == 2


def test_fast_inserts_raise_integrity_errors_on_every_database():
    import_records("customers", [{"customer_id": "C1"}])
    customer = Customer.objects.get()
    row = ("shop", "O1", customer.pk, timezone.now(), "CNY", "1.00", "paid", "web", None, "", timezone.now(), timezone.now())
    fields = ("source", "external_id", "customer", "ordered_at", "currency", "total", "status", "channel",
              "import_run", "import_hash", "created_at", "updated_at")
    insert_rows(Order, fields, [row])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Order, fields, [row])
