"""The synthetic shop and the importer speak the same columns: a generated shop
imports with nothing rejected, and again with nothing changed."""

import json

import pytest

from guanxi.commerce.models import Order, OrderLine
from guanxi.customers.models import Customer
from guanxi.imports.services import import_file
from guanxi.synthetic import generate_shop

pytestmark = pytest.mark.django_db
KINDS = ("products", "customers", "orders", "returns", "events")


def test_a_generated_shop_imports_without_rejects_and_reimports_unchanged(tmp_path):
    generate_shop(tmp_path, customers=300, seed=11, progress=False)
    runs = {kind: import_file(kind, tmp_path / f"{kind}.csv", source="demo") for kind in KINDS}
    assert {kind: run.rejected for kind, run in runs.items()} == dict.fromkeys(KINDS, 0)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert Customer.objects.count() == 300 and runs["orders"].created == truth["order_lines"] == OrderLine.objects.count()
    assert Order.objects.count() == truth["orders"]
    again = {kind: import_file(kind, tmp_path / f"{kind}.csv", source="demo") for kind in KINDS}
    assert {kind: (run.created, run.updated, run.rejected) for kind, run in again.items()} == dict.fromkeys(KINDS, (0, 0, 0))
