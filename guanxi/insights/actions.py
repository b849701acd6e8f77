"""The next best action for a customer: what to do now, on which channel, and why.

`next_best_actions()` walks ordered rules over the customer's scores and
consent; every rule that applies proposes an action with its reason in plain
words. The first proposal is the next best action, the next two are the
alternatives. Rules, in order (docs/customer-360.md):

1. no scores: without orders, a welcome offer for a first order; otherwise
   run an analysis (nothing else can be said);
2. win-back offer: high churn risk and worth keeping (key or growth tier, or
   an RFM segment of past value);
3. key account: personal contact by the account owner (phone preferred);
4. occasion: a habit occasion or the birthday within OCCASION_DAYS;
5. reorder reminder: a replenishment due within REPLENISH_DAYS either side;
6. recommendations: the next order is expected within NEXT_ORDER_DAYS and
   there are recommended products;
7. second-order nudge: a new customer with one order;
8. let go: high churn risk and of little value (no paid offer);
9. otherwise: nothing special.

Rules 1 (welcome) to 7 need a marketing channel: the first channel of the
rule's preference whose consent is granted (a bounced point does not count).
When no channel has consent, the first of them becomes "ask for consent at the
next order" with its reason, and the others are dropped: nothing is ever
suggested on a channel without consent.

No database access: the caller passes product and category names.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.analytics.schema import day_date
from guanxi.customers.choices import ChannelConsent, ContactKind
from guanxi.insights.choices import ChurnBand, Lifecycle, RfmSegment, ValueTier
from guanxi.insights.explain import occasion_name

OCCASION_DAYS = 30
REPLENISH_DAYS = 14
NEXT_ORDER_DAYS = 30
NEXT_ORDER_LATE_DAYS = 7
MAX_ACTIONS = 3
RECOMMENDED_NAMES = 2

#: Channels in order of preference for marketing messages, and for a key
#: account's personal contact (a call first).
MARKETING_CHANNELS = (ContactKind.EMAIL, ContactKind.WECHAT, ContactKind.WHATSAPP, ContactKind.LINE, ContactKind.PHONE)
PERSONAL_CHANNELS = (ContactKind.PHONE, ContactKind.WECHAT, ContactKind.WHATSAPP, ContactKind.LINE, ContactKind.EMAIL)
#: How a message travels on each channel, as the headline says it.
CHANNEL_NAMES = {
    ContactKind.EMAIL: gettext_lazy("e-mail"),
    ContactKind.PHONE: gettext_lazy("SMS"),
    ContactKind.WECHAT: gettext_lazy("WeChat"),
    ContactKind.LINE: gettext_lazy("LINE"),
    ContactKind.WHATSAPP: gettext_lazy("WhatsApp"),
}
VALUABLE_TIERS = {ValueTier.KEY, ValueTier.GROWTH}
VALUABLE_SEGMENTS = {RfmSegment.CHAMPIONS, RfmSegment.LOYAL, RfmSegment.CANT_LOSE, RfmSegment.AT_RISK}


@dataclass(frozen=True)
class Action:
    """kind: a code (win_back, occasion...); channel: a ContactKind value or ""."""

    kind: str
    channel: str
    headline: str
    reason: str

    @property
    def channel_label(self):
        """The channel as the contact points name it (E-mail, Phone, WeChat...)."""
        return str(ContactKind(self.channel).label) if self.channel else ""


@dataclass(frozen=True)
class _Proposal:
    kind: str
    reason: str
    channels: tuple = ()  # preference order; empty when no message is sent
    headline: object = None  # str, or callable(channel) -> str for channel actions


@dataclass(frozen=True)
class Situation:
    customer: object
    score: object  # CustomerScore or None
    consents: dict  # ContactKind value -> ChannelConsent value
    today: date
    product_names: tuple = ()
    category_names: dict = None
    owner_name: str = ""


def next_best_actions(customer, score, consents, today, *, product_names=(), category_names=None, owner_name=""):
    """Up to MAX_ACTIONS actions, best first (never empty).

    consents: {ContactKind value: ChannelConsent value} (Customer.channel_consents).
    """
    situation = Situation(customer, score, dict(consents), today, tuple(product_names), category_names or {}, owner_name)
    proposals = [p for rule in RULES for p in [rule(situation)] if p is not None]
    actions, asked = [], False
    for proposal in proposals:
        if not proposal.channels:
            actions.append(Action(proposal.kind, "", proposal.headline, proposal.reason))
            continue
        channel = next((c for c in proposal.channels if situation.consents.get(c) == ChannelConsent.GRANTED), None)
        if channel is not None:
            actions.append(Action(proposal.kind, channel, proposal.headline(channel), proposal.reason))
        elif not asked:
            asked = True
            actions.append(Action("ask_consent", "", _("No marketing channel: ask for consent at the next order"),
                                  _("%(reason)s But no contact point has marketing consent, so nothing may be sent.")
                                  % {"reason": proposal.reason}))
    return actions[:MAX_ACTIONS] or [_nothing_special(situation)]


def next_best_action(customer, score, consents, today, **names):
    return next_best_actions(customer, score, consents, today, **names)[0]


# ---------------------------------------------------------------- the rules, in order

def _unscored(s):
    if s.score is not None:
        return None
    if not s.customer.order_count:
        return _Proposal("first_order", _("No orders yet."), MARKETING_CHANNELS,
                         lambda c: _("Welcome offer for a first order by %(channel)s") % {"channel": CHANNEL_NAMES[c]})
    return _Proposal("analyse", _("No scores yet: they appear after the next analysis (nightly, or Analyse now on the "
                                  "Insights page)."), headline=_("Run an analysis"))


def _win_back(s):
    if not s.score or s.score.churn_band != ChurnBand.HIGH or not _valuable(s.score):
        return None
    reason = _("Only %(share)d%% likely still active, and worth keeping: %(value)s, %(revenue)s spent so far.") % {
        "share": _share(s.score), "value": _value_label(s.score), "revenue": _money(s.score.revenue)}
    return _Proposal("win_back", reason, MARKETING_CHANNELS,
                     lambda c: _("Win-back offer by %(channel)s") % {"channel": CHANNEL_NAMES[c]})


def _key_account(s):
    if not s.score or s.score.value_tier != ValueTier.KEY:
        return None
    clv = _money(s.score.clv) if s.score.clv is not None else _("unknown")
    rating = s.score.get_risk_rating_display() or _("not rated")
    reason = _("Key account: predicted CLV %(clv)s, credit rating %(rating)s.") % {"clv": clv, "rating": rating}
    owner = s.owner_name

    def headline(channel):
        if not owner:
            return _("Assign an account owner for a personal call") if channel == ContactKind.PHONE else \
                _("Assign an account owner for a personal message by %(channel)s") % {"channel": CHANNEL_NAMES[channel]}
        if channel == ContactKind.PHONE:
            return _("Personal call by %(owner)s") % {"owner": owner}
        return _("Personal message from %(owner)s by %(channel)s") % {"owner": owner, "channel": CHANNEL_NAMES[channel]}

    return _Proposal("key_account", reason, PERSONAL_CHANNELS, headline)


def _occasion(s):
    upcoming = upcoming_occasions(s.score, s.today, within_days=OCCASION_DAYS) if s.score else []
    if not upcoming:
        return None
    item = upcoming[0]
    day, days = _month_day(item["day"]), (item["day"] - s.today).days
    if item["occasion"] == "birthday":
        reason = _("Birthday on %(day)s, in %(days)d days.") % {"day": day, "days": days}
        return _Proposal("birthday", reason, MARKETING_CHANNELS,
                         lambda c: _("Birthday greeting on %(day)s by %(channel)s") % {"day": day, "channel": CHANNEL_NAMES[c]})
    name = occasion_name(item["occasion"])
    reason = _("Bought for %(occasion)s in %(years)s; it is in %(days)d days.") % {
        "occasion": name, "years": ", ".join(str(y) for y in item["years"]), "days": days}
    return _Proposal("occasion", reason, MARKETING_CHANNELS,
                     lambda c: _("Remind before %(occasion)s on %(day)s by %(channel)s")
                     % {"occasion": name, "day": day, "channel": CHANNEL_NAMES[c]})


def _replenish(s):
    if not s.score:
        return None
    window = (s.today - timedelta(days=REPLENISH_DAYS), s.today + timedelta(days=REPLENISH_DAYS))
    due = [(as_date(i.get("due_day")), i) for i in s.score.replenishments or [] if i.get("due_day") is not None]
    due = sorted((d, i) for d, i in due if window[0] <= d <= window[1])
    if not due:
        return None
    day, item = due[0]
    category = s.category_names.get(item.get("category_id")) or _("their usual products")
    reason = _("Buys %(category)s about every %(days)d days: due around %(day)s.") % {
        "category": category, "days": round(item.get("interval_days") or 0), "day": _month_day(day)}
    return _Proposal("replenish", reason, MARKETING_CHANNELS,
                     lambda c: _("Reorder reminder for %(category)s by %(channel)s") % {"category": category,
                                                                                       "channel": CHANNEL_NAMES[c]})


def _recommend(s):
    if not s.score or not s.product_names or not s.score.next_order_on:
        return None
    ahead = (s.score.next_order_on - s.today).days
    if not -NEXT_ORDER_LATE_DAYS <= ahead <= NEXT_ORDER_DAYS:
        return None
    products = ", ".join(s.product_names[:RECOMMENDED_NAMES])
    reason = _("Expected to order again around %(day)s; these products go with what they bought.") % {
        "day": _month_day(s.score.next_order_on)}
    return _Proposal("recommend", reason, MARKETING_CHANNELS,
                     lambda c: _("Recommend %(products)s by %(channel)s") % {"products": products, "channel": CHANNEL_NAMES[c]})


def _second_order(s):
    if not s.score or s.score.lifecycle != Lifecycle.NEW or s.customer.order_count != 1:
        return None
    first = s.customer.first_order_at or s.customer.last_order_at
    if first is not None:
        reason = _("New customer: one order so far, on %(day)s.") % {"day": _month_day(first.date())}
    else:
        reason = _("New customer: one order so far.")
    return _Proposal("second_order", reason, MARKETING_CHANNELS,
                     lambda c: _("Welcome and second-order nudge by %(channel)s") % {"channel": CHANNEL_NAMES[c]})


def _let_go(s):
    if not s.score or s.score.churn_band != ChurnBand.HIGH or _valuable(s.score):
        return None
    reason = _("Only %(share)d%% likely still active, and of little value so far: an offer is unlikely to pay "
               "for itself.") % {"share": _share(s.score)}
    return _Proposal("let_go", reason, headline=_("No paid offer: probably lost"))


RULES = (_unscored, _win_back, _key_account, _occasion, _replenish, _recommend, _second_order, _let_go)


def _nothing_special(s):
    if s.score is not None and s.score.p_alive is not None:
        reason = _("Likely still active (%(share)d%%); no occasion, reorder or offer is due.") % {"share": _share(s.score)}
    else:
        reason = _("No occasion, reorder or offer is due.")
    return Action("none", "", _("Nothing special: keep in the regular newsletter"), reason)


# ---------------------------------------------------------------- helpers

def as_date(value):
    """Score JSON holds dates as day numbers (engine) or ISO text."""
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        return day_date(value)
    return date.fromisoformat(str(value)[:10])


def upcoming_occasions(score, today, within_days=None):
    """The score's occasions (habits and birthday) from today on, nearest first:
    [{"occasion", "name", "day": date, "years"}]. An occasion whose date the
    analysis saw ahead but that has passed since is left out."""
    items = []
    for item in score.occasions or []:
        code, years = item.get("occasion", ""), item.get("years") or []
        if item.get("day") is None or (code != "birthday" and not years):
            continue
        day = as_date(item["day"])
        if day >= today and (within_days is None or (day - today).days <= within_days):
            items.append({"occasion": code, "name": occasion_name(code), "day": day, "years": years})
    return sorted(items, key=lambda i: (i["day"], i["occasion"]))


def _valuable(score):
    return score.value_tier in VALUABLE_TIERS or score.rfm_segment in VALUABLE_SEGMENTS


def _value_label(score):
    if score.value_tier in VALUABLE_TIERS:
        return _("value tier %(tier)s") % {"tier": score.get_value_tier_display()}
    return _("RFM segment %(segment)s") % {"segment": score.get_rfm_segment_display()}


def _share(score):
    return round((score.p_alive or 0) * 100)


def _money(value):
    return number_format(round(value or 0), 0, use_l10n=True, force_grouping=True)


def _month_day(day):
    return date_format(day, "MONTH_DAY_FORMAT")
