"""Campaigns through the REST API: the same forms, workflow and error queue as the pages."""

import datetime as dt

import pytest
from django.utils import timezone

from guanxi.accounts.tests.api_client import api, read_api, read_key, write_key  # noqa: F401
from guanxi.campaigns.choices import CampaignStatus, MessageStatus
from guanxi.campaigns.models import Campaign, Message, MessageTemplate
from guanxi.campaigns.tests.test_views import sent_campaign, template
from guanxi.customers.tests.factories import make_customer
from guanxi.segments.choices import SegmentKind
from guanxi.segments.models import Segment, SegmentMembership

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/campaigns/"
WELCOME = {"name": "Welcome", "channel": "email", "purpose": "marketing", "default_language": "en",
           "contents": [{"language": "en", "subject": "Welcome {{ first_name }}", "html": "<p>Hello</p>", "text": "Hello"},
                        {"language": "zh-hans", "subject": "欢迎", "html": "<p>你好</p>", "text": "你好"}]}


@pytest.fixture
def shop():
    people = [make_customer("Li Na", email="li@example.com"), make_customer("Sam Park")]
    segment = Segment.objects.create(name="VIP list", kind=SegmentKind.STATIC)
    SegmentMembership.objects.bulk_create(SegmentMembership(segment=segment, customer=c, entered_at=timezone.now())
                                          for c in people)
    return {"people": people, "segment": segment, "spring": template("Spring sale"), "autumn": template("Autumn sale")}


def spring(shop, **changes):
    return {"name": "Spring", "segment_id": shop["segment"].pk, "template_id": shop["spring"].pk, **changes}


def test_a_template_is_created_with_its_contents_and_listed(api, shop):
    created = api.post(URL + "templates/", WELCOME)
    assert created.status_code == 201
    body = created.json()
    assert [(c["language"], c["subject"]) for c in body["contents"]] == [("en", "Welcome {{ first_name }}"), ("zh-hans", "欢迎")]
    listed = api.get(URL + "templates/").json()
    assert [t["name"] for t in listed["items"]] == ["Welcome", "Autumn sale", "Spring sale"]
    assert listed["next_cursor"] is None


def test_a_bad_template_is_a_422_naming_the_field(api, shop):
    twice = {**WELCOME, "contents": [WELCOME["contents"][0], WELCOME["contents"][0]]}
    response = api.post(URL + "templates/", twice)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"line": 2, "field": "contents", "reason": "language en given twice"}]
    taken = api.post(URL + "templates/", {**WELCOME, "name": "spring sale"})
    assert taken.json()["detail"] == [{"line": None, "field": "name", "reason": "A template with this name exists already."}]
    long_subject = {**WELCOME, "contents": [{"language": "en", "subject": "x" * 201}]}
    assert api.post(URL + "templates/", long_subject).status_code == 422
    assert MessageTemplate.objects.count() == 2


def test_a_draft_is_created_read_and_sent(api, shop):
    created = api.post(URL, spring(shop))
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["send_at"], body["test_share"]) == ("draft", None, 20)
    detail = api.get(f"{URL}{body['id']}").json()
    assert detail["report"] == {"queued": 0, "sent": 0, "opened": 0, "clicked": 0, "suppressed": 0, "failed": 0,
                                "pending": 0, "unsubscribed": 0, "orders": 0, "revenue": "0",
                                "revenue_per_recipient": "0", "suppressed_by_reason": {}}
    sent = api.post(f"{URL}{body['id']}/send")
    assert sent.status_code == 200
    assert (sent.json()["queued"], sent.json()["campaign"]["status"]) == (2, "sending")
    again = api.post(f"{URL}{body['id']}/send")
    assert again.status_code == 422
    assert again.json()["detail"] == [{"line": None, "field": "status",
                                       "reason": "the campaign is Sending; only drafts and scheduled campaigns can be sent"}]
    assert api.get(f"{URL}{body['id']}").json()["report"]["pending"] == 2
    assert [c["name"] for c in api.get(URL).json()["items"]] == ["Spring"]


def test_a_future_send_time_schedules_the_campaign(api, shop):
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    body = api.post(URL, spring(shop, send_at=later, template_b_id=shop["autumn"].pk, test_share=30)).json()
    assert (body["status"], body["template_b_id"], body["test_share"]) == ("scheduled", shop["autumn"].pk, 30)


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"template_b_id": "spring"}, "template_b_id", "Template B must differ from template A."),
    ({"send_at": "2020-01-01T10:00:00Z"}, "send_at", "The send time is in the past."),
    ({"segment_id": 987654}, "segment_id", "Select a valid choice. That choice is not one of the available choices."),
    ({"test_share": 95}, "test_share", "Input should be less than or equal to 90"),
])
def test_a_bad_campaign_is_a_422_naming_the_field(api, shop, changes, field, reason):
    changes = {k: shop["spring"].pk if v == "spring" else v for k, v in changes.items()}
    response = api.post(URL, spring(shop, **changes))
    assert response.status_code == 422
    assert response.json()["detail"] == [{"line": None, "field": field, "reason": reason}]
    assert not Campaign.objects.exists()


def test_the_error_queue_lists_and_retries_failed_messages(api, shop):
    campaign = sent_campaign(shop)
    failed, in_doubt = Message.objects.order_by("pk")
    Message.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED, last_error="550")
    Message.objects.filter(pk=in_doubt.pk).update(status=MessageStatus.IN_DOUBT)
    assert {m["id"] for m in api.get(URL + "messages/").json()["items"]} == {failed.pk, in_doubt.pk}
    only_failed = api.get(URL + "messages/", status="failed").json()["items"]
    assert [(m["id"], m["last_error"], m["campaign_id"]) for m in only_failed] == [(failed.pk, "550", campaign.pk)]
    assert api.get(URL + "messages/", status="nonsense").status_code == 422
    retried = api.post(URL + "messages/retry", {"ids": [failed.pk, 123456]})
    assert retried.status_code == 200 and retried.json() == {"retried": 1}
    assert Message.objects.get(pk=failed.pk).status == MessageStatus.PENDING


def test_a_read_key_may_look_but_not_send(read_api, shop):
    campaign = Campaign.objects.create(name="Spring", segment=shop["segment"], template=shop["spring"])
    assert read_api.get(f"{URL}{campaign.pk}").status_code == 200
    assert read_api.post(f"{URL}{campaign.pk}/send").status_code == 403
    assert read_api.post(URL, spring(shop, name="Other")).status_code == 403
    assert read_api.post(URL + "messages/retry", {"ids": [1]}).status_code == 403
    assert read_api.post(URL + "templates/", WELCOME).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and not Message.objects.exists()


def test_unknown_campaigns_are_404(api, shop):
    assert api.get(f"{URL}999999").status_code == 404
    assert api.post(f"{URL}999999/send").status_code == 404


def key_of(make_user, role):
    from guanxi.accounts.services import create_api_key
    from guanxi.accounts.choices import Scope
    from guanxi.accounts.tests.api_client import ApiClient

    return ApiClient(create_api_key(f"{role.value}'s key", Scope.WRITE, make_user(role.value, role))[1])


@pytest.mark.parametrize(("role", "allowed"), [
    ("sales", {"view_campaign"}),
    ("analyst", {"view_campaign", "view_messagetemplate", "view_message"}),
    ("marketing", {"view_campaign", "add_campaign", "change_campaign", "view_messagetemplate",
                   "add_messagetemplate", "view_message", "change_message"}),
])
def test_a_key_made_for_a_user_may_do_on_campaigns_what_the_users_role_may(make_user, shop, role, allowed):
    from guanxi.accounts.choices import Role

    client = key_of(make_user, Role(role))
    draft = Campaign.objects.create(name="Autumn", segment=shop["segment"], template=shop["autumn"])
    calls = [("get", URL, None, "view_campaign"), ("get", f"{URL}{draft.pk}", None, "view_campaign"),
             ("post", URL, spring(shop), "add_campaign"), ("post", f"{URL}{draft.pk}/send", None, "change_campaign"),
             ("get", URL + "templates/", None, "view_messagetemplate"),
             ("post", URL + "templates/", WELCOME, "add_messagetemplate"),
             ("get", URL + "messages/", None, "view_message"), ("post", URL + "messages/retry", {"ids": [1]}, "change_message")]
    for method, path, body, permission in calls:
        response = client.get(path) if method == "get" else client.post(path, body)
        if permission in allowed:
            assert response.status_code in (200, 201), (path, response.content)
        else:
            assert response.status_code == 403, (path, response.content)
            assert response.json()["detail"] == (
                f"The user of this API key may not do this (it needs the campaigns.{permission} permission).")
    expected_sent = CampaignStatus.SENDING if "change_campaign" in allowed else CampaignStatus.DRAFT
    draft.refresh_from_db()
    assert (draft.status, Campaign.objects.count()) == (expected_sent, 2 if "add_campaign" in allowed else 1)
