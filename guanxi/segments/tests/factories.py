"""A small shop whose customers differ in every way a segment rule can look at."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from guanxi.commerce.tests.factories import make_category, make_order, make_product
from guanxi.customers.choices import ConsentStatus, ContactKind
from guanxi.customers.tests.factories import add_contact, make_customer
from guanxi.insights.models import CustomerScore


def make_score(customer, **fields):
    defaults = {"as_of": timezone.localdate(), "revenue": float(customer.total_spent)}
    return CustomerScore.objects.create(customer=customer, **{**defaults, **fields})


def make_segment_shop():
    """Four customers (li, wang, amy, chen), products in a small category tree."""
    today = timezone.localdate()
    beauty = make_category("Beauty")
    skincare = make_category("Skincare")
    skincare.parent = beauty
    skincare.save()
    tea = make_category("Tea")
    serum = make_product("SERUM-1", "Night serum", category=skincare, price="300.00")
    oolong = make_product("TEA-1", "Oolong", category=tea, price="80.00")

    li = make_customer("Li Na", country="CN", locale="zh-hans", gender="female", tags=["VIP"],
                       joined_at=timezone.now() - timedelta(days=400))
    add_contact(li, ContactKind.EMAIL, "li@example.com", consent=ConsentStatus.GRANTED)
    for days in (3, 10, 20):
        make_order(li, total="300.00", days_ago=days, products=[serum])
    make_score(li, rfm_segment="champions", lifecycle="active", r_score=5, f_score=5, m_score=5, p_alive=0.9,
               clv=500.0, churn_band="low", value_tier="key", risk_rating="A", expected_orders=4.0,
               next_order_on=today + timedelta(days=5), next_occasion="mothers_day",
               next_occasion_on=today + timedelta(days=10))

    wang = make_customer("Wang Wei", country="TW", locale="zh-hant", gender="male", tags=["gold"],
                         joined_at=timezone.now() - timedelta(days=30))
    add_contact(wang, ContactKind.EMAIL, "wang@example.com", consent=ConsentStatus.DENIED)
    make_order(wang, total="80.00", days_ago=90, products=[oolong])
    make_score(wang, rfm_segment="at_risk", lifecycle="at_risk", r_score=2, f_score=1, m_score=1, p_alive=0.4,
               clv=100.0, churn_band="medium", value_tier="standard", risk_rating="B", expected_orders=0.5,
               replenish_on=today + timedelta(days=2))

    amy = make_customer("Amy Smith", country="US", locale="en")

    chen = make_customer("Chen Jie", country="CN", locale="zh-hans", tags=["VIP", "gold"])
    add_contact(chen, ContactKind.PHONE, "+8613800000001", consent=ConsentStatus.GRANTED)
    bounced = add_contact(chen, ContactKind.EMAIL, "chen@example.com", consent=ConsentStatus.GRANTED)
    bounced.bounced_at = timezone.now()
    bounced.save()
    make_order(chen, total="300.00", days_ago=200, products=[serum])
    make_order(chen, total="50.00", days_ago=70, products=[oolong])
    make_score(chen, rfm_segment="hibernating", lifecycle="lapsed", r_score=1, f_score=3, m_score=3, p_alive=0.7,
               clv=250.0, churn_band="high", value_tier="growth", risk_rating="C", expected_orders=1.0,
               next_occasion="double_11", next_occasion_on=today + timedelta(days=40))
    return SimpleNamespace(li=li, wang=wang, amy=amy, chen=chen, beauty=beauty, skincare=skincare, tea=tea,
                           serum=serum, oolong=oolong)
