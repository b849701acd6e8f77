"""Saving, refreshing, history, static lists and exports."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from guanxi.accounts.models import AuditEvent
from guanxi.commerce.tests.factories import make_order
from guanxi.customers.choices import ContactKind
from guanxi.customers.tests.factories import add_contact
from guanxi.insights.models import CustomerScore
from guanxi.segments import exports, lists, services
from guanxi.segments.choices import Change, RefreshTrigger, SegmentKind
from guanxi.segments.exceptions import (
    ExportTooLarge,
    InvalidDefinition,
    ListUploadError,
    SegmentError,
)
from guanxi.segments.models import Segment, SegmentChange, SegmentMembership
from guanxi.segments.tests.factories import make_segment_shop

pytestmark = pytest.mark.django_db(transaction=True)

ACTIVE_CHINA = {"match": "all", "rules": [{"field": "country", "op": "in", "value": ["CN", "TW"]},
                                          {"field": "p_alive", "op": "gt", "value": 0.6}]}


@pytest.fixture
def shop():
    return make_segment_shop()


def members(segment):
    return sorted(SegmentMembership.objects.filter(segment=segment).values_list("customer__full_name", flat=True))


def test_saving_materialises_exactly_the_preview(shop):
    figures = services.preview(ACTIVE_CHINA)
    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    assert members(segment) == ["Chen Jie", "Li Na"]
    assert (segment.size, segment.revenue, segment.clv) == (figures.customers, figures.revenue, figures.clv)
    assert (segment.size, segment.revenue, segment.clv) == (2, Decimal("1250.00"), 750.0)
    refresh = segment.refreshes.get()
    assert (refresh.trigger, refresh.size, refresh.entered, refresh.left) == (RefreshTrigger.SAVE, 2, 2, 0)


def test_a_refresh_records_who_entered_and_who_left(shop):
    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    first_seen = SegmentMembership.objects.get(segment=segment, customer=shop.li).entered_at
    CustomerScore.objects.filter(customer=shop.chen).update(p_alive=0.2)
    CustomerScore.objects.filter(customer=shop.wang).update(p_alive=0.95)
    refresh = services.refresh_segment(segment, now=timezone.now() + timedelta(hours=1))
    assert members(segment) == ["Li Na", "Wang Wei"]
    assert (refresh.size, refresh.entered, refresh.left) == (2, 1, 1)
    changes = {(c.customer.full_name, c.change) for c in refresh.changes.select_related("customer")}
    assert changes == {("Wang Wei", Change.ENTERED), ("Chen Jie", Change.LEFT)}
    # Staying members keep their date of entry; the history keeps every move.
    assert SegmentMembership.objects.get(segment=segment, customer=shop.li).entered_at == first_seen
    assert SegmentChange.objects.filter(segment=segment).count() == 4
    assert list(segment.refreshes.values_list("size", flat=True)) == [2, 2]


def test_refreshing_without_changes_adds_no_history(shop):
    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    refresh = services.refresh_segment(segment)
    assert (refresh.entered, refresh.left, refresh.size) == (0, 0, 2)
    assert SegmentChange.objects.filter(segment=segment).count() == 2


def test_a_bad_definition_writes_nothing(shop):
    with pytest.raises(InvalidDefinition):
        services.save_segment(name="Broken", definition={"match": "all", "rules": [{"field": "clv", "op": "gt"}]})
    assert not Segment.objects.exists()


def test_names_are_unique_whatever_the_case(shop):
    services.save_segment(name="VIP", definition=ACTIVE_CHINA)
    with pytest.raises(SegmentError, match="already exists"):
        services.save_segment(name="vip ", definition=ACTIVE_CHINA)
    with pytest.raises(SegmentError, match="needs a name"):
        services.save_segment(name="  ", definition=ACTIVE_CHINA)


def test_refresh_all_covers_rule_based_segments_only(shop):
    services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    services.save_segment(name="Everyone", definition={"match": "all", "rules": []})
    services.save_segment(name="Call list", kind=SegmentKind.STATIC)
    results = services.refresh_all()
    assert sorted((s.name, r.size) for s, r, error in results) == [("Active China", 2), ("Everyone", 4)]


@pytest.fixture
def immediate_tasks():
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = False


def test_an_analysis_refreshes_saved_segments(shop, immediate_tasks):
    from guanxi.insights.models import AnalysisRun
    from guanxi.insights.signals import analysis_finished

    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    CustomerScore.objects.filter(customer=shop.chen).update(p_alive=0.1)
    run = AnalysisRun.objects.create(as_of=timezone.localdate(), status="succeeded")
    analysis_finished.send(sender=AnalysisRun, run=run)
    segment.refresh_from_db()
    assert segment.size == 1
    assert segment.refreshes.first().trigger == RefreshTrigger.ANALYSIS


# ---------------------------------------------------------------- static lists

def test_a_list_file_adds_matched_customers_and_reports_the_rest(shop, tmp_path):
    add_contact(shop.amy, ContactKind.PHONE, "+8613900000002")
    path = tmp_path / "list.csv"
    path.write_text("email,phone,id\n"
                    "LI@example.com,,\n"
                    ",139 0000 0002,\n"
                    f",,{shop.wang.pk}\n"
                    "nobody@example.com,,\n"
                    "not-an-email,,\n")
    segment = services.save_segment(name="Fair visitors", kind=SegmentKind.STATIC)
    result = lists.upload_list(segment, path)
    assert members(segment) == ["Amy Smith", "Li Na", "Wang Wei"]
    assert (result.lines, result.matched, result.entered, result.unmatched_count) == (5, 3, 3, 2)
    assert result.unmatched[0] == (5, "nobody@example.com", "no customer with this email")
    assert result.unmatched[1][0] == 6 and "not an e-mail address" in result.unmatched[1][2]
    assert segment.refreshes.get().trigger == RefreshTrigger.UPLOAD


def test_replacing_a_list_removes_the_others(shop, tmp_path):
    segment = services.save_segment(name="Fair visitors", kind=SegmentKind.STATIC)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(f"id\n{shop.li.pk}\n{shop.wang.pk}\n")
    second.write_text(f"id\n{shop.wang.pk}\n{shop.chen.pk}\n")
    lists.upload_list(segment, first)
    result = lists.upload_list(segment, second, replace=True)
    assert members(segment) == ["Chen Jie", "Wang Wei"]
    assert (result.entered, result.left) == (1, 1)


def test_a_list_file_without_a_known_column_is_refused(shop, tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("name\nLi Na\n")
    segment = services.save_segment(name="Fair visitors", kind=SegmentKind.STATIC)
    with pytest.raises(ListUploadError, match="needs one of the columns email, phone, id, customer_id"):
        lists.upload_list(segment, path)
    assert segment.refreshes.count() == 0


def test_rule_based_segments_take_no_uploads_and_lists_no_refresh(shop, tmp_path):
    rules = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    static = services.save_segment(name="Fair visitors", kind=SegmentKind.STATIC)
    with pytest.raises(SegmentError, match="rule-based"):
        lists.update_list(rules, {shop.li.pk}, lists.ListResult())
    with pytest.raises(SegmentError, match="static list"):
        services.refresh_segment(static)


# ---------------------------------------------------------------- exports

def test_csv_export_lists_each_member_once_and_is_audited(shop, make_user):
    add_contact(shop.li, ContactKind.PHONE, "+8613700000003")
    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    user = make_user("mei", role="marketing")
    content, kind, filename = exports.export_members(segment, "csv", user)
    rows = list(csv.reader(io.StringIO("".join(content).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Customer id", "Name", "E-mail", "Phone"]
    assert [r[1] for r in rows[1:]] == ["Li Na", "Chen Jie"]
    li = rows[1]
    assert li[2:5] == ["li@example.com", "+8613700000003", "Granted"]
    assert li[10:13] == ["champions", "active", "500.0"]
    assert kind.startswith("text/csv") and filename.endswith(".csv")
    audit = AuditEvent.objects.get()
    assert (audit.actor, audit.action, audit.target, audit.detail["members"]) == (user, "segment.export", f"segment:{segment.pk}", 2)


def test_xlsx_export_has_the_same_rows(shop, make_user):
    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    content, _kind, filename = exports.export_members(segment, "xlsx", make_user("mei", role="analyst"))
    sheet = openpyxl.load_workbook(content).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[1] for r in values] == ["Name", "Li Na", "Chen Jie"]
    assert filename.endswith(".xlsx")


def test_xlsx_refuses_more_rows_than_a_sheet_holds(shop, monkeypatch):
    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 1)
    with pytest.raises(ExportTooLarge, match="export CSV instead"):
        exports.export_members(segment, "xlsx", None)
    assert not AuditEvent.objects.exists()


def test_orders_after_a_refresh_change_the_next_one(shop):
    segment = services.save_segment(name="Bought lately", definition={"match": "all", "rules": [
        {"field": "orders_in_window", "op": "gte", "value": 1, "days": 30}]})
    assert members(segment) == ["Li Na"]
    make_order(shop.amy, total="20.00", days_ago=1)
    services.refresh_segment(segment)
    assert members(segment) == ["Amy Smith", "Li Na"]


# ---------------------------------------------------------------- command and schedule

def test_the_command_lists_refreshes_and_exports(shop, tmp_path):
    import json

    from django.core.management import CommandError, call_command

    services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    out = io.StringIO()
    call_command("segments", "list", "--json", stdout=out)
    assert [(r["name"], r["members"]) for r in json.loads(out.getvalue())] == [("Active China", 2)]
    CustomerScore.objects.filter(customer=shop.chen).update(p_alive=0.1)
    out = io.StringIO()
    call_command("segments", "refresh", "active china", stdout=out)
    assert "Active China: members 1 (+0, -1)" in out.getvalue()
    target = tmp_path / "members.csv"
    call_command("segments", "export", "Active China", str(target), stdout=io.StringIO())
    assert target.read_text(encoding="utf-8-sig").count("\n") == 2
    assert AuditEvent.objects.get().actor is None
    with pytest.raises(CommandError, match="No segment named 'nope'"):
        call_command("segments", "refresh", "nope")
    with pytest.raises(CommandError, match="must end in .csv or .xlsx"):
        call_command("segments", "export", "Active China", str(tmp_path / "x.pdf"))


def test_the_nightly_task_refreshes_with_the_schedule_trigger(shop):
    from guanxi.segments.tasks import nightly_segment_refresh

    segment = services.save_segment(name="Active China", definition=ACTIVE_CHINA)
    nightly_segment_refresh.call_local()
    assert segment.refreshes.first().trigger == RefreshTrigger.SCHEDULE
