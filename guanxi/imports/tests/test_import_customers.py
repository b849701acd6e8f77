import pytest
from datetime import date

from guanxi.customers.models import Address, ConsentEvent, ContactPoint, Customer, CustomerExternalId
from guanxi.imports.rejects import read_rejects
from guanxi.imports.services import import_file
from guanxi.imports.tests.helpers import write_csv

pytestmark = pytest.mark.django_db

HEADER = ["customer_id", "email", "phone", "first_name", "last_name", "full_name", "gender", "birthday", "country",
          "locale", "tags", "email_consent", "sms_consent", "address1", "city"]


def row(cid, email, phone="", full_name="", **extra):
    values = {"customer_id": cid, "email": email, "phone": phone, "first_name": "", "last_name": "", "full_name": full_name,
              "gender": "", "birthday": "", "country": "CN", "locale": "zh-CN", "tags": "", "email_consent": "", "sms_consent": "",
              "address1": "", "city": ""} | extra
    return [values[h] for h in HEADER]


def counts(run):
    return (run.read, run.created, run.updated, run.unchanged, run.rejected)


def test_customers_are_created_with_profile_contacts_consent_tags_and_address(tmp_path):
    path = write_csv(tmp_path / "c.csv", HEADER, [
        row("C1", "Wang.Fang@Example.cn", "138 1234 5678", "王芳", gender="女", birthday="1990-05-12", tags="vip; tea",
            email_consent="yes", sms_consent="no", address1="1 Nanjing Rd", city="上海"),
        row("C2", "bob@example.com", "+1 415 555 2671", "Bob Smith", country="US", locale="en"),
    ])
    run = import_file("customers", path)
    assert counts(run) == (2, 2, 0, 0, 0)
    wang = CustomerExternalId.objects.get(external_id="C1").customer
    assert (wang.full_name, wang.gender, wang.birthday, wang.locale) == ("王芳", "female", date(1990, 5, 12), "zh-hans")
    assert sorted(wang.tags.values_list("name", flat=True)) == ["tea", "vip"]
    assert wang.primary_email == "wang.fang@example.cn" and wang.primary_phone == "+8613812345678"
    email = ContactPoint.objects.get(value="wang.fang@example.cn")
    assert email.consent == "granted" and ContactPoint.objects.get(value="+8613812345678").consent == "denied"
    assert ConsentEvent.objects.filter(contact_point__customer=wang).count() == 2
    assert Address.objects.get(customer=wang).city == "上海"
    assert CustomerExternalId.objects.get(external_id="C2").customer.primary_phone == "+14155552671"


def test_reimporting_customers_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "c.csv", HEADER, [row(f"C{n}", f"c{n}@example.com", tags="a") for n in range(30)])
    assert counts(import_file("customers", path)) == (30, 30, 0, 0, 0)
    assert counts(import_file("customers", path)) == (30, 0, 0, 30, 0)
    assert Customer.objects.count() == 30 and ContactPoint.objects.count() == 30 and ConsentEvent.objects.count() == 0


def test_a_second_shops_export_updates_the_same_people(tmp_path):
    import_file("customers", write_csv(tmp_path / "a.csv", HEADER, [row("A1", "li@example.com", full_name="李雷")]), source="tmall")
    run = import_file("customers", write_csv(tmp_path / "b.csv", HEADER, [row("X77", "LI@example.com", "13900001111", occupation="")]), source="shopify")
    assert counts(run) == (1, 0, 1, 0, 0)
    customer = Customer.objects.get()
    assert customer.full_name == "李雷"  # the thinner export did not blank the name
    assert set(customer.external_ids.values_list("source", "external_id")) == {("tmall", "A1"), ("shopify", "X77")}
    assert customer.primary_phone == "+8613900001111"


def test_duplicate_customer_ids_inside_a_file_are_rejected(tmp_path):
    path = write_csv(tmp_path / "c.csv", HEADER, [row("C1", "a@example.com"), row("C2", "b@example.com"), row("C1", "c@example.com")])
    run = import_file("customers", path)
    assert counts(run) == (3, 2, 0, 0, 1)
    [reject] = read_rejects(run)
    assert (reject["line"], reject["field"]) == ("4", "customer_id") and "first on line 2" in reject["reason"]
    assert Customer.objects.count() == 2


def test_bad_phone_birthday_and_gender_are_rejected_with_reasons(tmp_path):
    path = write_csv(tmp_path / "c.csv", HEADER, [
        row("C1", "a@example.com", phone="12"), row("C2", "b@example.com", birthday="31-31-1990"),
        row("C3", "c@example.com", gender="dragon"), row("", "", "", "Nobody")])
    run = import_file("customers", path)
    assert counts(run) == (4, 0, 0, 0, 4)
    assert [(r["line"], r["field"]) for r in read_rejects(run)] == [("3", "birthday"), ("4", "gender"), ("5", "customer_id"), ("2", "phone")]


def test_consent_change_on_reimport_is_recorded_in_the_ledger(tmp_path):
    import_file("customers", write_csv(tmp_path / "a.csv", HEADER, [row("C1", "a@example.com", email_consent="yes")]))
    run = import_file("customers", write_csv(tmp_path / "b.csv", HEADER, [row("C1", "a@example.com", email_consent="no")]))
    assert counts(run) == (1, 0, 1, 0, 0)
    point = ContactPoint.objects.get(kind="email")
    assert point.consent == "denied"
    assert list(point.consent_events.values_list("status", flat=True)) == ["denied", "granted"]


def test_two_ids_of_one_shop_sharing_a_phone_are_not_merged(tmp_path):
    path = write_csv(tmp_path / "c.csv", HEADER, [row("C1", "mum@example.com", "13800001111", "王芳"),
                                                  row("C2", "kid@example.com", "13800001111", "王小明")])
    run = import_file("customers", path, batch_size=1)
    assert counts(run) == (2, 1, 0, 0, 1)
    [reject] = read_rejects(run)
    assert reject["field"] == "phone" and "already belongs to customer C1 of this shop" in reject["reason"]
    assert Customer.objects.get().full_name == "王芳"
    # Another shop's id with the same e-mail is the same person, as before.
    other = write_csv(tmp_path / "d.csv", HEADER, [row("X9", "mum@example.com")])
    assert counts(import_file("customers", other, source="tmall")) == (1, 0, 1, 0, 0)
