"""The extract reads the shop over a second (ADBC) connection into the engine's
Arrow tables: day numbers in shop time, refunds per order, returns per product."""

from datetime import date

import pytest

from guanxi.analytics.schema import day_number
from guanxi.imports.services import import_file
from guanxi.insights.extract import extract_shop
from guanxi.insights.tests.helpers import write_orders

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(tmp_path):
    orders = write_orders(tmp_path / "orders.csv", [
        ("A1", "c1", "2026-03-01T23:30:00+00:00", "120.00", "fulfilled", "TEA-1", "2", "60.00"),
        ("A2", "c1", "2026-03-05T10:00:00+00:00", "50.00", "pending", "TEA-2", "1", "50.00"),
        ("A3", "c2", "2026-03-06T10:00:00+00:00", "80.00", "cancelled", "TEA-1", "1", "80.00"),
    ])
    assert import_file("orders", orders).rejected == 0
    returns = tmp_path / "returns.csv"
    returns.write_text("return_id,order_id,sku,quantity,amount,currency,returned_at,status\n"
                       "R1,A1,TEA-1,1,60.00,CNY,2026-03-10T08:00:00+00:00,refunded\n"
                       "R2,A1,TEA-1,1,60.00,CNY,2026-03-11T08:00:00+00:00,rejected\n", encoding="utf-8")
    assert import_file("returns", returns).rejected == 0


def test_orders_come_out_with_day_numbers_refunds_and_statuses(shop):
    orders = sorted(extract_shop().orders.to_pylist(), key=lambda o: o["order_id"])
    assert [(o["day"], o["amount"], o["refunded"], o["status"]) for o in orders] == [
        (day_number(date(2026, 3, 1)), 120.0, 60.0, "fulfilled"),
        (day_number(date(2026, 3, 5)), 50.0, 0.0, "pending"),
        (day_number(date(2026, 3, 6)), 80.0, 0.0, "cancelled"),
    ]
    assert orders[0]["customer_id"] == orders[1]["customer_id"] != orders[2]["customer_id"]


def test_days_are_counted_in_the_shop_time_zone(shop, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # 23:30 UTC on 1 March is 07:30 on 2 March there
    assert extract_shop().orders.column("day")[0].as_py() == day_number(date(2026, 3, 2))


def test_lines_skip_cancelled_orders_and_returns_skip_rejected_ones(shop):
    extracted = extract_shop()
    lines = sorted(extracted.lines.to_pylist(), key=lambda line: line["order_id"])
    assert [(line["quantity"], line["amount"]) for line in lines] == [(2, 120.0), (1, 50.0)]
    returns = extracted.returns.to_pylist()
    assert len(returns) == 1 and returns[0]["amount"] == 60.0 and returns[0]["product_id"] is not None
    assert extracted.customers.num_rows == 2 and extracted.products.num_rows == 2
