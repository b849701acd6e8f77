"""Finding the customer a row speaks of, across shops and identifiers.

Order: the shop's own id for this source, then the e-mail, then the phone.
Customers nobody knows yet are created once per batch, even when several rows
name them. A customer found by e-mail or phone gets this source's id recorded,
so the next import finds them directly.
"""

from django.utils import timezone

from guanxi.customers.choices import ContactKind
from guanxi.customers.models import ContactPoint, CustomerExternalId
from guanxi.lib import parsing
from guanxi.lib.bulk import insert_objects


def find_customer_id(source, record):
    """The customer a customer record landed on: this source's id, then e-mail, then phone."""
    if record.get("customer_id") not in (None, ""):
        found = CustomerExternalId.objects.filter(source=source, external_id=str(record["customer_id"]).strip())
        if pk := found.values_list("customer_id", flat=True).first():
            return pk
    for kind, value in _contacts(record):
        if pk := ContactPoint.objects.filter(kind=kind, value=value).values_list("customer_id", flat=True).first():
            return pk
    return None


def _contacts(record):
    if record.get("email"):
        try:
            yield ContactKind.EMAIL, parsing.normalise_email(record["email"])
        except ValueError:
            pass
    if record.get("phone"):
        phone = str(record["phone"])
        try:
            phone = parsing.normalise_phone(phone, record.get("country") or "")
        except ValueError:
            pass
        yield ContactKind.PHONE, phone


def ref_of(record):
    """(customer_id, email, phone) as named by an order/event/customer record."""
    email = record.get("customer_email") or record.get("email")
    phone = record.get("customer_phone") or record.get("phone")
    return (record.get("customer_id"), email, phone)


class CustomerMatcher:
    def __init__(self, source):
        self.source = source

    def existing(self, refs):
        """Look up every ref at once: {ref: customer_id or None}."""
        ids = {r[0] for r in refs if r[0]}
        emails = {r[1] for r in refs if r[1]}
        phones = {r[2] for r in refs if r[2]}
        by_id = dict(CustomerExternalId.objects.filter(source=self.source, external_id__in=ids).values_list("external_id", "customer_id")) if ids else {}
        by_email = self._contacts(ContactKind.EMAIL, emails)
        by_phone = self._contacts(ContactKind.PHONE, phones)
        self.by_id, self.by_email, self.by_phone = by_id, by_email, by_phone
        return {ref: self._find(ref) for ref in refs}

    def _contacts(self, kind, values):
        if not values:
            return {}
        return dict(ContactPoint.objects.filter(kind=kind, value__in=values).values_list("value", "customer_id"))

    def _find(self, ref):
        ext, email, phone = ref
        return (ext and self.by_id.get(ext)) or (email and self.by_email.get(email)) or (phone and self.by_phone.get(phone)) or None

    def resolve(self, refs, new_customer):
        """Return {ref: customer_id}, creating customers for unknown refs.

        `new_customer(ref)` builds an unsaved Customer for a ref nobody knows.
        Two refs that share an id, e-mail or phone map to the same new customer.
        """
        found = self.existing(refs)
        pending, index = {}, {}  # placeholder key -> (Customer, [refs]); identifier -> key
        for ref in refs:
            if found[ref] is None:
                key = next((index[(n, v)] for n, v in enumerate(ref) if v and (n, v) in index), ref)
                for n, v in enumerate(ref):
                    if v:
                        index.setdefault((n, v), key)
                pending.setdefault(key, (new_customer(ref), []))[1].append(ref)
        created = insert_objects([c for c, _refs in pending.values()], returning=True)
        for (customer, members), saved in zip(pending.values(), created):
            for ref in members:
                found[ref] = saved.pk
        self._link_identifiers(refs, found)
        return found

    def _link_identifiers(self, refs, found):
        """Record this source's id, e-mail and phone for customers missing them."""
        now = timezone.now()
        ext_rows, contact_rows, seen = [], [], set()
        for ref in refs:
            ext, email, phone = ref
            customer_id = found[ref]
            if ext and ext not in self.by_id and ("x", ext) not in seen:
                seen.add(("x", ext))
                ext_rows.append(CustomerExternalId(customer_id=customer_id, source=self.source, external_id=ext))
            for kind, value, known in ((ContactKind.EMAIL, email, self.by_email), (ContactKind.PHONE, phone, self.by_phone)):
                if value and value not in known and (kind, value) not in seen:
                    seen.add((kind, value))
                    contact_rows.append(ContactPoint(customer_id=customer_id, kind=kind, value=value, created_at=now))
        insert_objects(ext_rows)
        insert_objects(contact_rows)
