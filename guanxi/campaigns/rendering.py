"""Turn an outbox row into the words a customer receives.

`render_message(message, address)`, called by the outbox worker:
1. pick the template's content in the customer's language (the model falls back
   to the template's default language);
2. render subject, HTML and text as Django templates with the customer's
   context, in that language so dates and numbers read right; HTML is
   autoescaped, the subject and text are not (they are not HTML);
3. rewrite every http(s) link of the HTML to a signed click redirect (with UTM
   parameters on the destination) and add the open pixel;
4. marketing only: add the unsubscribe and preference links to both bodies and,
   for e-mail, the RFC 8058 one-click unsubscribe headers.
Any template problem raises `RenderFailed` naming the template and language.
"""

import functools
import html as html_lib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.utils import translation
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanxi.campaigns import tracking
from guanxi.campaigns.channels.base import Outgoing
from guanxi.campaigns.choices import Channel, Purpose
from guanxi.campaigns.exceptions import RenderFailed
from guanxi.campaigns.policy import CONTACT_KIND
from guanxi.commerce.models import Product
from guanxi.insights.models import CustomerScore

MAX_RECOMMENDED = 3
# An <a>/<area> href with an absolute http(s) URL; <link href> (stylesheets) is left alone.
LINK = re.compile(r"""(<(?:a|area)\b[^>]*?\bhref\s*=\s*)(["'])(https?://[^"']+)\2""", re.IGNORECASE)
BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def render_message(message, address) -> Outgoing:
    """The message as it leaves: personalised, tracked, with its unsubscribe links."""
    template, customer = message.template, message.customer
    if template is None:
        raise RenderFailed(_("Message %(key)s has no template.") % {"key": message.key})
    content = _content(template, customer.locale)
    context = {**personal_context(customer, content.language), **(message.context or {})}
    marketing = message.purpose == Purpose.MARKETING
    if marketing:
        context["unsubscribe_url"] = tracking.unsubscribe_url(message)
        context["preferences_url"] = tracking.preferences_url(customer)
    with translation.override(_activatable(content.language)):
        subject, html, text = render_content(template, content, context)
        html = track_links(html, message)
        if marketing:
            html, text = add_footer(html, text, context["unsubscribe_url"], context["preferences_url"])
        if html:  # SMS and WeChat have no HTML, so no pixel either
            html = add_before_body_end(html, open_pixel(message))
    headers = unsubscribe_headers(context["unsubscribe_url"]) if marketing and message.channel == Channel.EMAIL else {}
    return Outgoing(key=message.key, channel=message.channel, to=address, subject=subject, html=html, text=text,
                    headers=headers, language=content.language)


def open_pixel(message) -> str:
    return format_html('<img src="{}" width="1" height="1" alt="" style="border:0;width:1px;height:1px">',
                       tracking.open_url(message))


def preview(template, customer, language=None) -> Outgoing:
    """The template as `customer` would read it, for the editor: no tracking, dead footer links."""
    content = _content(template, language or customer.locale)
    context = {**personal_context(customer, content.language), "unsubscribe_url": "#", "preferences_url": "#"}
    with translation.override(_activatable(content.language)):
        subject, html, text = render_content(template, content, context)
        if template.purpose == Purpose.MARKETING:
            html, text = add_footer(html, text, "#", "#")
    kind = CONTACT_KIND.get(template.channel)
    to = next((p.value for p in customer.contact_points.all() if p.kind == kind), "") if kind else ""
    return Outgoing(key="preview", channel=template.channel, to=to, subject=subject, html=html, text=text,
                    language=content.language)


def _content(template, language):
    content = template.content_for(language)
    if content is None:
        raise RenderFailed(_("Template “%(template)s” has no content in any language (wanted %(language)s).")
                           % {"template": template.name, "language": language or template.default_language})
    return content


def _activatable(language):
    """A language Django can activate: "zh" → "zh-hans"; unknown codes pass through."""
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return language


def render_content(template, content, context):
    """(subject, html, text) of one TemplateContent; RenderFailed names template and language."""
    try:
        subject = compiled(_plain(content.subject)).render(context).strip()
        html = compiled(content.html).render(context) if content.html else ""
        text = compiled(_plain(content.text)).render(context) if content.text else ""
    except (TemplateSyntaxError, TemplateDoesNotExist) as error:
        raise RenderFailed(_("Template “%(template)s” (%(language)s) cannot be rendered: %(error)s")
                           % {"template": template.name, "language": content.language, "error": error}) from error
    return subject, html, text


@functools.lru_cache(maxsize=512)
def compiled(source):
    """A template compiled once per worker, not once per message (keyed by its text, so edits apply)."""
    return engines["django"].from_string(source)


def _plain(source):
    # Subjects, SMS and text bodies are not HTML: "&" must stay "&", not "&amp;".
    return "{% autoescape off %}" + source + "{% endautoescape %}"


def personal_context(customer, language) -> dict:
    """The variables every template may use; `message.context` adds to and overrides them."""
    with translation.override(_activatable(language)):
        # The word used after "Dear"/"Hi" when the first name is unknown, in the content's language.
        greeting = pgettext("greeting when the first name is unknown", "customer")
    return {
        "customer": {"name": customer.full_name or f"{customer.first_name} {customer.last_name}".strip(),
                     "first_name": customer.first_name,
                     "display_name": customer.display_name},
        "first_name": customer.first_name or greeting,
        "points": "", "tier": "", "coupon_code": "",
        # Called by the template only when it uses the variable: most templates do
        # not, and the worker should not pay two queries per message for nothing.
        "recommended_products": functools.cache(lambda: recommended_products(customer)),
    }


def recommended_products(customer, limit=MAX_RECOMMENDED) -> list:
    """[{name, url, price}] of the insights recommendations, best first (as on the customer page)."""
    # The same list the customer page shows (insights' nightly CustomerScore), read without the whole row.
    stored = CustomerScore.objects.filter(customer=customer).values_list("recommended_products", flat=True).first()
    ids = [i for i in (stored or []) if isinstance(i, int)][:limit]
    products = Product.objects.only("pk", "sku", "name", "price", "currency").in_bulk(ids) if ids else {}
    # No product pages in the CRM: a shop address pattern ("https://shop/p/{sku}") makes the links.
    pattern = settings.GUANXI_MESSAGING.get("product_url", "")
    return [{"name": p.name, "url": pattern.format(sku=p.sku) if pattern else "", "price": p.price,
             "currency": p.currency} for p in (products[i] for i in ids if i in products)]


def track_links(html, message) -> str:
    """Every http(s) link goes through the signed click redirect, with UTM on the destination."""
    own = settings.GUANXI_MESSAGING["public_url"] + "/m/"
    campaign = utm_campaign(message)

    def rewrite(match):
        url = html_lib.unescape(match.group(3))
        if url.startswith(own):  # our own unsubscribe/preference links stay as they are
            return match.group(0)
        tracked = tracking.click_url(message, with_utm(url, message.channel, campaign))
        return f"{match.group(1)}{match.group(2)}{html_lib.escape(tracked)}{match.group(2)}"

    return LINK.sub(rewrite, html)


def utm_campaign(message) -> str:
    if message.campaign_id and message.campaign.name:
        return slugify(message.campaign.name, allow_unicode=True) or message.campaign.origin
    return message.key.rsplit(":c:", 1)[0]  # the origin: "flow:3:step:2:c:45" → "flow:3:step:2"


def with_utm(url, channel, campaign) -> str:
    """`url` with utm_source/medium/campaign added; values the link already has are kept."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _value in query}
    for name, value in (("utm_source", "guanxi"), ("utm_medium", channel), ("utm_campaign", campaign)):
        if name not in present:
            query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def add_before_body_end(html, snippet) -> str:
    """Insert before the last </body>, or at the end of a fragment without one."""
    ends = list(BODY_END.finditer(html))
    if not ends:
        return html + snippet
    at = ends[-1].start()
    return html[:at] + snippet + html[at:]


def add_footer(html, text, unsubscribe, preferences):
    """The unsubscribe and preference links every marketing message carries (translated)."""
    if html:
        html = add_before_body_end(html, format_html(
            '<p style="font-size:12px;color:#666">{} <a href="{}">{}</a> · <a href="{}">{}</a></p>',
            _("You receive this because you agreed to hear from us."), unsubscribe, _("Unsubscribe"),
            preferences, _("Manage your preferences")))
    if text:
        text = (f"{text.rstrip()}\n\n--\n{_('Unsubscribe')}: {unsubscribe}\n"
                f"{_('Manage your preferences')}: {preferences}\n")
    return html, text


def unsubscribe_headers(url) -> dict:
    """RFC 2369 List-Unsubscribe with RFC 8058 one-click: mail apps POST to the URL."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
