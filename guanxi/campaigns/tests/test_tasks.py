"""The periodic messaging tick runs flows and sends what they queue, in one go."""

import datetime as dt

import pytest

from guanxi.campaigns import tasks
from guanxi.campaigns.choices import MessageStatus
from guanxi.campaigns.flows import engine
from guanxi.campaigns.models import Flow, Message
from guanxi.campaigns.tests.factories import make_template
from guanxi.campaigns.tests.smtp_server import smtp_server  # noqa: F401
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.tests.factories import add_contact, make_customer

pytestmark = pytest.mark.django_db
DAYTIME = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def test_one_tick_enrols_a_new_customer_in_the_welcome_flow_and_the_smtp_server_gets_the_mail(smtp_server):  # noqa: F811
    template = make_template("Welcome", contents={"en": ("Welcome, {{ first_name }}", "<p>Hi</p>", "Hi")})
    flow = Flow.objects.create(name="Welcome", trigger="customer_created",
                               steps=[{"id": "s1", "kind": "send", "template": template.pk}])
    engine.activate(flow, now=DAYTIME - dt.timedelta(hours=1))
    person = make_customer("Mei Lin", first_name="Mei", time_zone="UTC")
    add_contact(person, ContactKind.EMAIL, "mei@example.com", consent=ConsentStatus.GRANTED)

    figures = tasks.tick(now=DAYTIME)

    assert (figures["enrolled"], figures["advanced"], figures["sent"], figures["flow_errors"]) == (1, 1, 1, 0)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["mei@example.com"]]
    assert smtp_server.messages[0].message["Subject"] == "Welcome, Mei"
    message = Message.objects.get()
    assert (message.flow, message.flow_step, message.status) == (flow, "s1", MessageStatus.SENT)
    assert tasks.tick(now=DAYTIME + dt.timedelta(minutes=1))["sent"] == 0  # nothing twice
    assert len(smtp_server.messages) == 1
