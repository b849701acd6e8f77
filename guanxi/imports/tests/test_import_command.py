import json

import pytest
from django.core.management import CommandError, call_command

from guanxi.commerce.models import Order
from guanxi.imports.tests.helpers import ORDER_HEADER, order_line, write_csv

pytestmark = pytest.mark.django_db


def run_command(capsys, *args):
    call_command("import_data", *args)
    return capsys.readouterr().out


def test_json_summary_has_counts_that_add_up(tmp_path, capsys):
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1", "C1"), order_line("2", "C2", quantity=-1)])
    summary = json.loads(run_command(capsys, "orders", str(path), "--json"))
    assert {k: summary[k] for k in ("read", "created", "updated", "unchanged", "rejected")} == {
        "read": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert summary["rejects_file"].endswith("-orders-rejects.csv")
    assert "line,field,reason" in open(summary["rejects_file"], encoding="utf-8-sig").read()


def test_strict_exits_non_zero_when_rows_were_rejected(tmp_path, capsys):
    path = write_csv(tmp_path / "o.csv", ORDER_HEADER, [order_line("1", "C1", quantity=-1)])
    with pytest.raises(CommandError, match="1 rows rejected") as caught:
        call_command("import_data", "orders", str(path), "--strict", "--no-progress")
    assert caught.value.returncode == 1


def test_dry_run_and_map_options(tmp_path, capsys):
    header = ["no", *ORDER_HEADER[1:]]
    path = write_csv(tmp_path / "o.csv", header, [order_line("1", "C1")])
    out = run_command(capsys, "orders", str(path), "--map", "no=order_id", "--dry-run", "--no-progress")
    assert "Dry run" in out and "1 created" in out and Order.objects.count() == 0
    with pytest.raises(CommandError, match="expects COLUMN=FIELD"):
        call_command("import_data", "orders", str(path), "--map", "no")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_data", "orders", str(tmp_path / "nope.csv"))
