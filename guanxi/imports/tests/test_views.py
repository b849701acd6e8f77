"""Import pages: upload queues a run, the run page shows counts and rejects."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.accounts.choices import Role
from guanxi.imports.choices import RunStatus
from guanxi.imports.models import ImportRun
from guanxi.imports.tests.factories import add_rejects, make_run

pytestmark = pytest.mark.django_db

UPLOAD = reverse("imports:upload")
RUNS = reverse("imports:list")

CUSTOMERS_CSV = (
    "customer_id,full_name,email,phone\n"
    "C1,Alice Chen,alice@example.com,+8613812345678\n"
    "C2,王小明,not-an-email,\n"
    "C3,Bob Alison,bob@example.com,\n"
).encode()


def upload(client, content=CUSTOMERS_CSV, name="customers.csv", **fields):
    data = {"kind": "customers", "preset": "generic", "source": "myshop", "mapping": "", **fields,
            "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    return client.post(UPLOAD, data)


def test_uploading_a_file_queues_a_run_and_opens_its_page(admin_client, admin_user, settings):
    response = upload(admin_client, mapping="Mobile=phone\n\n E-mail = email ", dry_run="on")
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[run.pk])
    assert (run.status, run.kind, run.source, run.file_name, run.dry_run, run.created_by) == (
        RunStatus.QUEUED, "customers", "myshop", "customers.csv", True, admin_user)
    assert run.mapping == {"Mobile": "phone", "E-mail": "email"}
    saved = Path(run.file_path)
    assert saved.parent == Path(settings.UPLOADS_DIR) and saved.read_bytes() == CUSTOMERS_CSV


def test_a_mapping_line_without_equals_is_refused(admin_client):
    response = upload(admin_client, mapping="Mobile phone")
    assert response.status_code == 200 and response.context["form"].errors["mapping"]
    assert not ImportRun.objects.exists()


def test_a_file_of_an_unknown_type_is_refused(admin_client):
    response = upload(admin_client, name="customers.exe")
    assert response.context["form"].errors["file"] and not ImportRun.objects.exists()


def test_the_upload_page_offers_every_kind_and_preset(admin_client):
    html = admin_client.get(UPLOAD).content.decode()
    for value in ["customers", "products", "orders", "returns", "events", "shopify", "woocommerce"]:
        assert f'value="{value}"' in html


def test_the_run_page_shows_counts_and_rejects(admin_client):
    run = make_run(read=3, created=2, updated=0, unchanged=0, file_name="customers.csv")
    add_rejects(run, [(3, "email", "'not-an-email' is not an e-mail address")])
    html = admin_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "customers.csv" in html and "not-an-email" in html and reverse("imports:rejects", args=[run.pk]) in html
    assert 'hx-trigger="every 2s"' not in html


def test_a_running_import_page_refreshes_itself(admin_client):
    run = make_run(status=RunStatus.RUNNING)
    html = admin_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in html
    fragment = admin_client.get(reverse("imports:detail", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'id="run"' in fragment


def test_the_run_page_shows_the_error_of_a_failed_run(admin_client):
    run = make_run(status=RunStatus.FAILED, error="missing required column(s): email")
    assert "missing required column(s): email" in admin_client.get(reverse("imports:detail", args=[run.pk])).content.decode()


def test_the_rejects_file_can_be_downloaded(admin_client):
    run = add_rejects(make_run(), [(2, "email", "bad address")])
    response = admin_client.get(reverse("imports:rejects", args=[run.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"bad address" in b"".join(response.streaming_content)


def test_a_rejects_file_outside_the_rejects_folder_is_not_served(admin_client, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("line,field,reason\n")
    run = make_run(rejects_file=str(secret))
    assert admin_client.get(reverse("imports:rejects", args=[run.pk])).status_code == 404


def test_the_run_list_shows_runs_with_counts(admin_client):
    make_run(file_name="orders-march.csv", read=10, created=7, rejected=3)
    html = admin_client.get(RUNS).content.decode()
    assert "orders-march.csv" in html and ">7<" in html


@pytest.mark.parametrize(("role", "status"), [(Role.ANALYST, 200), (Role.MARKETING, 200), (Role.SALES, 403)])
def test_viewing_imports_needs_the_view_permission(client, make_user, role, status):
    client.force_login(make_user("u", role))
    run = add_rejects(make_run(), [(2, "email", "bad")])
    assert client.get(RUNS).status_code == status
    assert client.get(reverse("imports:detail", args=[run.pk])).status_code == status
    assert client.get(reverse("imports:rejects", args=[run.pk])).status_code == status


@pytest.mark.parametrize(("role", "allowed"), [(Role.ANALYST, True), (Role.MARKETING, False)])
def test_uploading_needs_the_add_permission(client, make_user, role, allowed):
    client.force_login(make_user("u", role))
    assert client.get(UPLOAD).status_code == (200 if allowed else 403)
    assert upload(client).status_code == (302 if allowed else 403)
    assert ImportRun.objects.exists() is allowed


def test_an_uploaded_file_imports_and_its_page_shows_counts_and_rejects(admin_client):
    """End to end with the real importer (the worker's step is called directly)."""
    from guanxi.imports.services import run_queued_import

    upload(admin_client)
    run = ImportRun.objects.get()
    run_queued_import(run.pk)
    run.refresh_from_db()
    assert (run.status, run.read, run.created, run.rejected) == (RunStatus.DONE, 3, 2, 1)
    response = admin_client.get(reverse("imports:detail", args=[run.pk]))
    assert [r["line"] for r in response.context["rejects"]] == ["3"]
    assert "not-an-email" in response.content.decode()
