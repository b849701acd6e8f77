"""Fader, Hardie & Lee (2005) reproduced end to end: the CDNOW sample goes in
through the ordinary importer and `guanxi analyze --json` prints the paper's
figures (weeks, calibration 1997-01-01..1997-09-30, holdout to 1998-06-30)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from guanxi.analytics.tests.cdnow import cdnow_path
from guanxi.imports.services import import_file
from guanxi.insights.models import CustomerScore

pytestmark = pytest.mark.django_db(transaction=True)


def cdnow_csv(path):
    """The whitespace-separated sample as an orders file: one order per line, at noon UTC."""
    lines = ["order_id,customer_id,ordered_at,currency,total,status"]
    for number, line in enumerate(cdnow_path().read_text().splitlines(), start=1):
        _, customer, ymd, _, dollars = line.split()
        lines.append(f"L{number},CD{customer},{ymd[:4]}-{ymd[4:6]}-{ymd[6:]}T12:00:00+00:00,USD,{dollars},fulfilled")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def report(tmp_path):
    run = import_file("orders", cdnow_csv(tmp_path / "cdnow.csv"), source="cdnow")
    assert (run.read, run.rejected) == (6919, 0)
    out = StringIO()
    call_command("analyze", "--json", "--time-unit", "weeks", "--calibration-end", "1997-09-30",
                 "--as-of", "1998-06-30", stdout=out)
    return json.loads(out.getvalue())


def test_cdnow_through_the_importer_reproduces_the_paper(report):
    bgnbd, pareto, spend = report["bgnbd"], report["pareto_nbd"], report["gamma_gamma"]
    assert [round(bgnbd[k], 3) for k in ("r", "alpha", "a", "b")] == pytest.approx([0.243, 4.414, 0.793, 2.426], abs=0.0015)
    assert bgnbd["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert [pareto[k] for k in ("r", "alpha", "s")] == pytest.approx([0.553, 10.578, 0.606], abs=0.002)
    assert pareto["beta"] == pytest.approx(11.67, abs=0.02)
    assert spend["n_customers"] == 946
    assert [spend[k] for k in ("p", "q", "v")] == pytest.approx([6.25, 3.74, 15.44], abs=0.01)
    assert report["bgnbd"]["n_customers"] == 2357


def test_cdnow_backtest_tracks_the_holdout_and_the_scores_are_stored(report):
    backtest = report["backtest"]
    assert backtest["customers"] == 2357 and backtest["time_unit"] == "weeks"
    cumulative = backtest["cumulative"]
    assert cumulative["actual"][77] == 4339  # cumulative repeat purchases by week 78, as in the paper
    assert cumulative["predicted"]["bgnbd"][77] == pytest.approx(4166, rel=0.01)
    assert report["chosen_model"] in {"bgnbd", "pareto_nbd"}
    assert CustomerScore.objects.count() == 2357
    assert CustomerScore.objects.filter(p_alive__isnull=True).count() == 0
