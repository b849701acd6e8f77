"""The next best action: one test per rule, with the exact words, and the
consent rules (never a channel without granted consent)."""

from datetime import UTC, date, datetime

from django.utils import translation

from guanxi.analytics.schema import day_number
from guanxi.customers.models import Customer
from guanxi.insights.actions import (
    next_best_action,
    next_best_actions,
    upcoming_occasions,
)
from guanxi.insights.models import CustomerScore

TODAY = date(2027, 4, 10)
EMAIL_ONLY = {"email": "granted", "phone": "unknown"}


def customer(**fields):
    fields.setdefault("order_count", 5)
    return Customer(full_name="Alice Chen", **fields)


def score(**fields):
    defaults = {"as_of": TODAY, "p_alive": 0.8, "churn_band": "low", "clv": 1200.0, "revenue": 3000.0,
                "value_tier": "standard", "rfm_segment": "need_attention", "lifecycle": "active"}
    return CustomerScore(**{**defaults, **fields})


def only(action):
    return action.kind, action.channel, action.headline, action.reason


# ---------------------------------------------------------------- 1. no scores

def test_a_customer_with_orders_but_no_scores_needs_an_analysis():
    assert only(next_best_action(customer(), None, EMAIL_ONLY, TODAY)) == (
        "analyse", "", "Run an analysis",
        "No scores yet: they appear after the next analysis (nightly, or Analyse now on the Insights page).")


def test_a_customer_without_orders_gets_a_welcome_offer_for_a_first_order():
    assert only(next_best_action(customer(order_count=0), None, EMAIL_ONLY, TODAY)) == (
        "first_order", "email", "Welcome offer for a first order by e-mail", "No orders yet.")


# ---------------------------------------------------------------- 2. win-back

def test_a_valuable_customer_slipping_away_gets_a_win_back_offer():
    slipping = score(p_alive=0.12, churn_band="high", value_tier="growth", revenue=3456.4)
    assert only(next_best_action(customer(), slipping, EMAIL_ONLY, TODAY)) == (
        "win_back", "email", "Win-back offer by e-mail",
        "Only 12% likely still active, and worth keeping: value tier Growth, 3,456 spent so far.")


def test_a_past_champion_counts_as_worth_keeping_whatever_the_tier():
    slipping = score(p_alive=0.2, churn_band="high", value_tier="standard", rfm_segment="cant_lose", revenue=900)
    action = next_best_action(customer(), slipping, {"wechat": "granted"}, TODAY)
    assert (action.kind, action.channel, action.headline) == ("win_back", "wechat", "Win-back offer by WeChat")
    assert action.reason == "Only 20% likely still active, and worth keeping: RFM segment Can't lose them, 900 spent so far."


# ---------------------------------------------------------------- 3. key account

def test_a_key_account_gets_a_personal_call_by_the_owner_when_the_phone_has_consent():
    key = score(value_tier="key", clv=12345.6, risk_rating="A")
    assert only(next_best_action(customer(), key, {"email": "granted", "phone": "granted"}, TODAY, owner_name="Sam Li")) == (
        "key_account", "phone", "Personal call by Sam Li",
        "Key account: predicted CLV 12,346, credit rating A · low risk.")


def test_a_key_account_without_phone_consent_gets_a_personal_message_on_a_granted_channel():
    key = score(value_tier="key", clv=None, risk_rating="")
    action = next_best_action(customer(), key, EMAIL_ONLY, TODAY, owner_name="Sam Li")
    assert only(action) == ("key_account", "email", "Personal message from Sam Li by e-mail",
                            "Key account: predicted CLV unknown, credit rating not rated.")


def test_a_key_account_without_an_owner_asks_for_one():
    key = score(value_tier="key", risk_rating="B")
    action = next_best_action(customer(), key, {"phone": "granted"}, TODAY)
    assert action.headline == "Assign an account owner for a personal call"


# ---------------------------------------------------------------- 4. occasions

def test_an_occasion_habit_within_thirty_days_gets_a_reminder_before_it():
    habit = score(occasions=[{"occasion": "mothers_day", "day": day_number(date(2027, 4, 28)), "years": [2025, 2026]}])
    assert only(next_best_action(customer(), habit, EMAIL_ONLY, TODAY)) == (
        "occasion", "email", "Remind before Mother's Day on April 28 by e-mail",
        "Bought for Mother's Day in 2025, 2026; it is in 18 days.")


def test_an_occasion_further_than_thirty_days_ahead_waits():
    habit = score(occasions=[{"occasion": "christmas", "day": day_number(date(2027, 12, 25)), "years": [2025, 2026]}])
    assert next_best_action(customer(), habit, EMAIL_ONLY, TODAY).kind == "none"


def test_a_birthday_within_thirty_days_gets_a_greeting():
    birthday = score(occasions=[{"occasion": "birthday", "day": day_number(date(2027, 4, 20)), "years": []}])
    assert only(next_best_action(customer(), birthday, EMAIL_ONLY, TODAY)) == (
        "birthday", "email", "Birthday greeting on April 20 by e-mail", "Birthday on April 20, in 10 days.")


def test_the_reminder_date_is_written_in_the_active_language():
    habit = score(occasions=[{"occasion": "mothers_day", "day": day_number(date(2027, 4, 28)), "years": [2026]}])
    with translation.override("zh-hans"):
        assert "4月28日" in next_best_action(customer(), habit, EMAIL_ONLY, TODAY).headline


# ---------------------------------------------------------------- 5. replenishment

def test_a_replenishment_due_soon_gets_a_reorder_reminder():
    due = score(replenishments=[{"category_id": 7, "due_day": day_number(date(2027, 4, 15)), "interval_days": 29.6}])
    action = next_best_action(customer(), due, EMAIL_ONLY, TODAY, category_names={7: "Coffee beans"})
    assert only(action) == ("replenish", "email", "Reorder reminder for Coffee beans by e-mail",
                            "Buys Coffee beans about every 30 days: due around April 15.")


def test_a_replenishment_long_overdue_is_not_reminded():
    due = score(replenishments=[{"category_id": 7, "due_day": day_number(date(2027, 3, 1)), "interval_days": 30}])
    assert next_best_action(customer(), due, EMAIL_ONLY, TODAY).kind == "none"


# ---------------------------------------------------------------- 6. recommendations

def test_an_order_expected_soon_gets_recommendations_by_name():
    soon = score(next_order_on=date(2027, 4, 25), recommended_products=[3, 4, 5])
    action = next_best_action(customer(), soon, EMAIL_ONLY, TODAY, product_names=["Oolong tea", "Tea cup", "Kettle"])
    assert only(action) == ("recommend", "email", "Recommend Oolong tea, Tea cup by e-mail",
                            "Expected to order again around April 25; these products go with what they bought.")


def test_recommendations_wait_when_the_next_order_is_far_away():
    later = score(next_order_on=date(2027, 8, 1))
    assert next_best_action(customer(), later, EMAIL_ONLY, TODAY, product_names=["Oolong tea"]).kind == "none"


# ---------------------------------------------------------------- 7. new customers

def test_a_new_customer_with_one_order_gets_a_second_order_nudge():
    first = datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
    new = customer(order_count=1, first_order_at=first, last_order_at=first)
    assert only(next_best_action(new, score(lifecycle="new"), EMAIL_ONLY, TODAY)) == (
        "second_order", "email", "Welcome and second-order nudge by e-mail", "New customer: one order so far, on March 30.")


# ---------------------------------------------------------------- 8. let go, 9. nothing special

def test_a_low_value_customer_probably_lost_gets_no_paid_offer():
    lost = score(p_alive=0.05, churn_band="high", value_tier="standard", rfm_segment="lost")
    assert only(next_best_action(customer(), lost, EMAIL_ONLY, TODAY)) == (
        "let_go", "", "No paid offer: probably lost",
        "Only 5% likely still active, and of little value so far: an offer is unlikely to pay for itself.")


def test_with_nothing_due_the_customer_stays_in_the_regular_newsletter():
    assert only(next_best_action(customer(), score(), EMAIL_ONLY, TODAY)) == (
        "none", "", "Nothing special: keep in the regular newsletter",
        "Likely still active (80%); no occasion, reorder or offer is due.")


# ---------------------------------------------------------------- order and alternatives

def test_the_rules_are_ranked_and_give_up_to_two_alternatives():
    busy = score(p_alive=0.1, churn_band="high", value_tier="key", risk_rating="A", next_order_on=date(2027, 4, 20),
                 occasions=[{"occasion": "mothers_day", "day": day_number(date(2027, 4, 28)), "years": [2025, 2026]}])
    actions = next_best_actions(customer(), busy, {"email": "granted", "phone": "granted"}, TODAY,
                                product_names=["Oolong tea"], owner_name="Sam")
    assert [a.kind for a in actions] == ["win_back", "key_account", "occasion"]


# ---------------------------------------------------------------- consent

def test_without_any_consent_the_action_is_to_ask_for_it_and_no_channel_is_suggested():
    slipping = score(p_alive=0.12, churn_band="high", value_tier="growth", revenue=3456.4,
                     next_order_on=date(2027, 4, 20))
    actions = next_best_actions(customer(), slipping, {"email": "withdrawn", "phone": "unknown"}, TODAY,
                                product_names=["Oolong tea"])
    assert [only(a) for a in actions] == [(
        "ask_consent", "", "No marketing channel: ask for consent at the next order",
        "Only 12% likely still active, and worth keeping: value tier Growth, 3,456 spent so far. "
        "But no contact point has marketing consent, so nothing may be sent.")]


def test_a_bounced_channel_is_not_used_even_with_consent():
    slipping = score(p_alive=0.12, churn_band="high", value_tier="growth")
    action = next_best_action(customer(), slipping, {"email": "bounced", "wechat": "granted"}, TODAY)
    assert (action.kind, action.channel) == ("win_back", "wechat")
    assert next_best_action(customer(), slipping, {"email": "bounced"}, TODAY).kind == "ask_consent"


def test_email_is_preferred_for_messages_and_the_phone_for_personal_calls():
    consents = {"phone": "granted", "email": "granted", "wechat": "granted"}
    assert next_best_action(customer(), score(p_alive=0.1, churn_band="high", value_tier="growth"), consents, TODAY).channel == "email"
    assert next_best_action(customer(), score(value_tier="key"), consents, TODAY).channel == "phone"


# ---------------------------------------------------------------- occasions list

def test_upcoming_occasions_are_habits_and_birthdays_from_today_on_nearest_first():
    items = score(occasions=[
        {"occasion": "christmas", "day": day_number(date(2027, 12, 25)), "years": [2025, 2026]},
        {"occasion": "double_11", "day": day_number(date(2027, 4, 1)), "years": [2026]},  # passed since
        {"occasion": "birthday", "day": day_number(date(2027, 6, 2)), "years": []},
        {"occasion": "618", "day": day_number(date(2027, 6, 18)), "years": []},  # no habit
    ])
    assert [(i["occasion"], i["day"]) for i in upcoming_occasions(items, TODAY)] == [
        ("birthday", date(2027, 6, 2)), ("christmas", date(2027, 12, 25))]
