"""Ready-made flows a merchant can start from, with their message templates.

`install_presets()` creates each flow as a DRAFT (nothing runs until someone
activates it) and its templates in English and Simplified Chinese; the outbox
picks the content in each customer's language. Installing again changes nothing:
flows and templates are found by name, and a content that exists is left as the
merchant edited it. Names stay in English on purpose: they are the key that makes
a second install a no-op, whatever the language of the person installing.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from guanxi.campaigns.choices import ReEntry, Trigger
from guanxi.campaigns.models import Flow, MessageTemplate, TemplateContent
from guanxi.segments.models import Segment

PRODUCTS_HTML = ('{% if recommended_products %}<ul>{% for p in recommended_products %}'
                 '<li><a href="{{ p.url }}">{{ p.name }}</a> {{ p.price }} {{ p.currency }}</li>{% endfor %}</ul>{% endif %}')

# template key: (name, {language: (subject, html, text)})
TEMPLATES = {
    "welcome": ("Flow: Welcome", {
        "en": ("Welcome, {{ first_name }}!", "<p>Hi {{ first_name }},</p><p>Thank you for joining us. We are glad you are here.</p>",
               "Hi {{ first_name }}, thank you for joining us. We are glad you are here."),
        "zh-hans": ("欢迎你，{{ first_name }}！", "<p>{{ first_name }}，你好！</p><p>感谢你的加入，很高兴认识你。</p>",
                    "{{ first_name }}，你好！感谢你的加入，很高兴认识你。"),
    }),
    "first_order": ("Flow: First order nudge", {
        "en": ("{{ first_name }}, a few picks for your first order", ("<p>Hi {{ first_name }},</p><p>Not sure where to start? "
                "These are popular with customers like you:</p>" + PRODUCTS_HTML),
               "Hi {{ first_name }}, not sure where to start? Have a look at our most popular products."),
        "zh-hans": ("{{ first_name }}，为你的第一单挑了几样好物", ("<p>{{ first_name }}，你好！</p><p>还没想好买什么？"
                     "这些是和你口味相近的顾客最喜欢的：</p>" + PRODUCTS_HTML),
                    "{{ first_name }}，你好！还没想好买什么？来看看大家最喜欢的商品吧。"),
    }),
    "thank_you": ("Flow: Thank you for your order", {
        "en": ("Thank you for your order, {{ first_name }}", ("<p>Hi {{ first_name }},</p><p>Thank you for shopping with us. "
                "We hope you enjoy your order.</p>"), "Hi {{ first_name }}, thank you for your order. We hope you enjoy it."),
        "zh-hans": ("{{ first_name }}，感谢你的订购", "<p>{{ first_name }}，你好！</p><p>感谢你的惠顾，希望你喜欢这次购买的商品。</p>",
                    "{{ first_name }}，你好！感谢你的惠顾，希望你喜欢这次购买的商品。"),
    }),
    "review": ("Flow: Review request", {
        "en": ("How do you like it, {{ first_name }}?", ("<p>Hi {{ first_name }},</p><p>You have had your order for a week now. "
                "Would you tell us and other customers what you think?</p>"),
               "Hi {{ first_name }}, how do you like your order? We would love to hear what you think."),
        "zh-hans": ("{{ first_name }}，用得还满意吗？", ("<p>{{ first_name }}，你好！</p><p>商品已经到手一周了，"
                     "方便的话，分享一下你的使用感受吧，你的评价对其他顾客很有帮助。</p>"),
                    "{{ first_name }}，你好！商品用得还满意吗？欢迎分享你的使用感受。"),
    }),
    "birthday": ("Flow: Birthday greeting", {
        "en": ("Happy birthday, {{ first_name }}!", ("<p>Happy birthday, {{ first_name }}!</p><p>We wish you a wonderful year."
                "{% if coupon_code %} Here is a small gift: {{ coupon_code }}.{% endif %}</p>"),
               "Happy birthday, {{ first_name }}! We wish you a wonderful year."),
        "zh-hans": ("{{ first_name }}，生日快乐！", ("<p>{{ first_name }}，生日快乐！</p><p>祝你新的一岁一切顺心。"
                     "{% if coupon_code %}送你一份小礼物：{{ coupon_code }}。{% endif %}</p>"),
                    "{{ first_name }}，生日快乐！祝你新的一岁一切顺心。"),
    }),
    "spring_festival": ("Flow: Spring Festival greeting", {
        "en": ("Happy Spring Festival, {{ first_name }}!", ("<p>Dear {{ first_name }},</p><p>Wishing you and your family "
                "health, happiness and good fortune in the new year.</p>"),
               "Dear {{ first_name }}, wishing you and your family a happy and prosperous new year."),
        "zh-hans": ("{{ first_name }}，新春快乐！", "<p>亲爱的{{ first_name }}：</p><p>新春佳节，祝你和家人身体健康、阖家幸福、万事如意！</p>",
                    "亲爱的{{ first_name }}，新春快乐！祝你和家人身体健康、阖家幸福、万事如意！"),
    }),
    "christmas": ("Flow: Christmas greeting", {
        "en": ("Merry Christmas, {{ first_name }}!", ("<p>Dear {{ first_name }},</p><p>Merry Christmas and a happy new year. "
                "Thank you for being with us this year.</p>"), "Dear {{ first_name }}, merry Christmas and a happy new year!"),
        "zh-hans": ("{{ first_name }}，圣诞快乐！", "<p>亲爱的{{ first_name }}：</p><p>祝你圣诞快乐、新年快乐！感谢这一年来的陪伴。</p>",
                    "亲爱的{{ first_name }}，圣诞快乐，新年快乐！"),
    }),
    "mothers_day": ("Flow: Mother's Day is coming", {
        "en": ("Mother's Day is next week, {{ first_name }}", ("<p>Hi {{ first_name }},</p><p>Mother's Day is only a week away. "
                "A few gift ideas she may love:</p>" + PRODUCTS_HTML),
               "Hi {{ first_name }}, Mother's Day is only a week away. Have you found a gift yet?"),
        "zh-hans": ("{{ first_name }}，下周就是母亲节了", ("<p>{{ first_name }}，你好！</p><p>母亲节还有一周就到了，"
                     "为妈妈挑一份心意吧，这些礼物也许她会喜欢：</p>" + PRODUCTS_HTML),
                    "{{ first_name }}，你好！母亲节还有一周，给妈妈的礼物准备好了吗？"),
    }),
    "replenish": ("Flow: Time to restock", {
        "en": ("Running low, {{ first_name }}?", ("<p>Hi {{ first_name }},</p><p>It is about time to restock. "
                "Order again in a few clicks:</p>" + PRODUCTS_HTML),
               "Hi {{ first_name }}, it is about time to restock. Order again in a few clicks."),
        "zh-hans": ("{{ first_name }}，该补货啦", ("<p>{{ first_name }}，你好！</p><p>上次买的商品差不多快用完了吧？"
                     "点几下就能再次下单：</p>" + PRODUCTS_HTML),
                    "{{ first_name }}，你好！上次买的商品快用完了吧？记得及时补货哦。"),
    }),
    "cart": ("Flow: Cart reminder", {
        "en": ("You left something in your cart", ("<p>Hi {{ first_name }},</p><p>Your cart is still waiting for you. "
                "Come back and finish your order whenever you are ready.</p>"),
               "Hi {{ first_name }}, your cart is still waiting for you."),
        "zh-hans": ("你的购物车里还有商品", "<p>{{ first_name }}，你好！</p><p>你挑好的商品还在购物车里等你，随时回来完成下单吧。</p>",
                    "{{ first_name }}，你好！你挑好的商品还在购物车里等你。"),
    }),
    "cart_again": ("Flow: Cart second reminder", {
        "en": ("Still thinking it over, {{ first_name }}?", ("<p>Hi {{ first_name }},</p><p>The items in your cart are still "
                "there, but we cannot hold them for ever.{% if coupon_code %} Use {{ coupon_code }} at checkout.{% endif %}</p>"),
               "Hi {{ first_name }}, the items in your cart are still there, but we cannot hold them for ever."),
        "zh-hans": ("{{ first_name }}，还在考虑吗？", ("<p>{{ first_name }}，你好！</p><p>购物车里的商品还为你留着，"
                     "不过库存有限，喜欢就别错过啦。{% if coupon_code %}结算时可以使用优惠码 {{ coupon_code }}。{% endif %}</p>"),
                    "{{ first_name }}，你好！购物车里的商品还为你留着，库存有限，喜欢就别错过。"),
    }),
    "browse": ("Flow: Browse reminder", {
        "en": ("Still interested, {{ first_name }}?", ("<p>Hi {{ first_name }},</p><p>We saw you looking around. "
                "Here are a few things you might like:</p>" + PRODUCTS_HTML),
               "Hi {{ first_name }}, we saw you looking around. Come back and have another look."),
        "zh-hans": ("{{ first_name }}，还感兴趣吗？", ("<p>{{ first_name }}，你好！</p><p>看到你最近逛了逛，"
                     "这些商品你可能也会喜欢：</p>" + PRODUCTS_HTML),
                    "{{ first_name }}，你好！看到你最近逛了逛，欢迎再回来看看。"),
    }),
    "win_back": ("Flow: We miss you", {
        "en": ("We miss you, {{ first_name }}", ("<p>Hi {{ first_name }},</p><p>It has been a while. Here is what is new "
                "since your last visit:</p>" + PRODUCTS_HTML),
               "Hi {{ first_name }}, it has been a while. Come and see what is new."),
        "zh-hans": ("{{ first_name }}，好久不见", ("<p>{{ first_name }}，你好！</p><p>好久不见，很想念你。"
                     "看看你不在的这段时间我们上了哪些新品：</p>" + PRODUCTS_HTML),
                    "{{ first_name }}，好久不见！快来看看我们的新品吧。"),
    }),
}

NO_ORDER_YET = {"match": "all", "rules": [{"field": "order_count", "op": "eq", "value": 0}]}
HIGH_CHURN = {"match": "all", "rules": [{"field": "churn_band", "op": "in", "value": ["high"]}]}
SPRING_FESTIVAL_COUNTRIES = ["CN", "TW", "HK", "SG"]
# The lunar new year moves: its date per year ("date" is the fallback for years not listed).
SPRING_FESTIVAL_DATES = {"2026": "02-17", "2027": "02-06", "2028": "01-26", "2029": "02-13", "2030": "02-03"}


def _send(step_id, template):
    return {"id": step_id, "kind": "send", "template": template}


def _wait(step_id, **duration):
    return {"id": step_id, "kind": "wait", **duration}


def _presets():
    """(name, description, trigger, config, re-entry, goal_order, steps); templates named by key."""
    return [
        ("Welcome series", _("Welcome new customers, then nudge those with no order after 3 days."),
         Trigger.CUSTOMER_CREATED, {}, ReEntry.NEVER, False,
         [_send("s1", "welcome"), _wait("s2", days=3),
          {"id": "s3", "kind": "branch", "condition": NO_ORDER_YET, "yes": [_send("s4", "first_order")], "no": []}]),
        ("Post-purchase", _("Thank the customer a day after each order, ask for a review a week later."),
         Trigger.ORDER_PLACED, {}, ReEntry.ALWAYS, False,
         [_wait("s1", days=1), _send("s2", "thank_you"), _wait("s3", days=7), _send("s4", "review")]),
        ("Birthday greeting", _("Greet customers on their birthday, at 10:00 their time."),
         Trigger.BIRTHDAY, {"days_before": 0}, ReEntry.ALWAYS, False, [_wait("s1", until_hour=10), _send("s2", "birthday")]),
        ("Spring Festival greeting", _("New year wishes to customers in mainland China, Taiwan, Hong Kong and Singapore."),
         Trigger.HOLIDAY, {"date": "02-17", "dates": SPRING_FESTIVAL_DATES, "countries": SPRING_FESTIVAL_COUNTRIES,
                           "days_before": 0}, ReEntry.ALWAYS, False, [_wait("s1", until_hour=9), _send("s2", "spring_festival")]),
        ("Christmas greeting", _("Christmas wishes to customers outside the Spring Festival countries."),
         Trigger.HOLIDAY, {"date": "12-25", "exclude_countries": SPRING_FESTIVAL_COUNTRIES, "days_before": 0},
         ReEntry.ALWAYS, False, [_wait("s1", until_hour=9), _send("s2", "christmas")]),
        ("Mother's Day is coming", _("Gift ideas a week before Mother's Day, for customers who buy for it."),
         Trigger.OCCASION, {"occasion": "mothers_day", "days_before": 7}, ReEntry.ALWAYS, False, [_send("s1", "mothers_day")]),
        ("Replenishment reminder", _("Remind customers to restock three days before they usually run out."),
         Trigger.REPLENISHMENT, {"days_before": 3}, ReEntry.ALWAYS, True, [_send("s1", "replenish")]),
        ("Abandoned cart", _("Two reminders for carts left without an order; an order ends the flow."),
         Trigger.CART_ABANDONED, {"idle_hours": 4}, ReEntry.ALWAYS, True,
         [_wait("s1", hours=1), _send("s2", "cart"), _wait("s3", days=1), _send("s4", "cart_again")]),
        ("Browse abandonment", _("A reminder after a customer looked at products without adding any to the cart."),
         Trigger.BROWSE_ABANDONED, {"idle_hours": 2}, ReEntry.AFTER_EXIT, True, [_send("s1", "browse")]),
        _win_back(),
    ]


def _win_back():
    """On entering the "At risk" segment if the shop has one; else 90 days after each order,
    if the churn risk is then high (a newer order ends the older enrolment: the goal)."""
    at_risk = Segment.objects.filter(name__iexact="At risk").first()
    description = _("Win back customers at risk of leaving.")
    if at_risk:
        return ("Win-back", description, Trigger.SEGMENT_ENTERED, {"segment": at_risk.pk}, ReEntry.AFTER_EXIT, True,
                [_send("s1", "win_back")])
    return ("Win-back", description, Trigger.ORDER_PLACED, {}, ReEntry.ALWAYS, True,
            [_wait("s1", days=90), {"id": "s2", "kind": "branch", "condition": HIGH_CHURN, "yes": [_send("s3", "win_back")],
                                    "no": []}])


def install_presets(language_codes=("en", "zh-hans")) -> list:
    """Create the ready-made flows (as drafts) and their templates; returns the flows."""
    with transaction.atomic():
        templates = {key: _template(name, contents, language_codes) for key, (name, contents) in TEMPLATES.items()}
        return [_flow(preset, templates) for preset in _presets()]


def _template(name, contents, language_codes):
    template, _created = MessageTemplate.objects.get_or_create(name=name, defaults={"default_language": "en"})
    for language in language_codes:
        if language in contents:
            subject, html, text = contents[language]
            TemplateContent.objects.get_or_create(template=template, language=language,
                                                  defaults={"subject": subject, "html": html, "text": text})
    return template


def _flow(preset, templates):
    name, description, trigger, config, re_entry, goal_order, steps = preset
    flow, _created = Flow.objects.get_or_create(name=name, defaults={
        "description": str(description), "trigger": trigger, "trigger_config": config, "re_entry": re_entry,
        "goal_order": goal_order, "steps": _with_template_ids(steps, templates)})
    return flow


def _with_template_ids(steps, templates):
    resolved = []
    for step in steps:
        step = dict(step)
        if step["kind"] == "send":
            step["template"] = templates[step["template"]].pk
        for key in ("yes", "no", "a", "b"):
            if key in step:
                step[key] = _with_template_ids(step[key], templates)
        resolved.append(step)
    return resolved
