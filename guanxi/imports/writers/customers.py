"""Customer profiles: upserted by this source's id, else matched by e-mail or
phone so a second shop's export updates the same people.

Only non-empty incoming values overwrite the profile: a thinner export from
another shop never blanks what the first one knew.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.choices import AddressKind, ConsentStatus, ContactKind
from guanxi.customers.models import Address, ConsentEvent, ContactPoint, Customer, CustomerExternalId, Tag
from guanxi.imports.matching import CustomerMatcher
from guanxi.imports.writers import Outcome, PkSet
from guanxi.lib.bulk import insert_objects
from guanxi.lib.parsing import normalise_phone

PROFILE_FIELDS = ("first_name", "last_name", "full_name", "gender", "birthday", "occupation", "interests",
                  "locale", "country", "time_zone", "currency")
ADDRESS_FIELDS = ("address1", "address2", "city", "region", "postal_code", "address_country")


class CustomerWriter:
    def __init__(self, run):
        self.run = run
        self.matcher = CustomerMatcher(run.source)
        self.seen = PkSet()  # customers this run already wrote or confirmed

    def write(self, rows):
        out = Outcome()
        rows = self._normalise(rows, out)
        refs = {row: (row.record.get("customer_id"), row.record.get("email"), row.record.get("phone")) for row in rows}
        known = self.matcher.existing(set(refs.values()))
        hashes = dict(Customer.objects.filter(pk__in={v for v in known.values() if v}).values_list("pk", "import_hash"))
        other_accounts = self._other_accounts(refs, known)
        for row in rows:
            customer_id = known[refs[row]]
            if customer_id in other_accounts:
                out.reject(row, *self._shared_contact(row, other_accounts[customer_id]))
                continue
            if customer_id in self.seen:
                out.reject(row, "customer_id", _("the same customer (same id, e-mail or phone) appeared earlier in this file"))
                continue
            if customer_id is None:
                continue
            self.seen.add(customer_id)
            if hashes.get(customer_id) == row.hash:
                out.unchanged += 1
            else:
                self._update(customer_id, row)
                out.updated += 1
        out.created += self._create([r for r in rows if known[refs[r]] is None], out)
        return out

    def _other_accounts(self, refs, known):
        """Customers found by e-mail or phone who already have a different id in
        this shop: {customer pk: their id}. Two ids of one shop are two accounts,
        so they are not merged (a shared family phone must not mix two people)."""
        by_contact = {known[ref] for ref in refs.values() if ref[0] and known[ref] and ref[0] not in self.matcher.by_id}
        if not by_contact:
            return {}
        ids = CustomerExternalId.objects.filter(source=self.run.source, customer_id__in=by_contact)
        return dict(ids.values_list("customer_id", "external_id"))

    def _shared_contact(self, row, other_id):
        record = row.record
        field = "email" if record.get("email") and self.matcher.by_email.get(record["email"]) else "phone"
        return field, _("%(field)s %(value)s already belongs to customer %(other)s of this shop; two customers of one shop cannot share it") % {
            "field": field, "value": record.get(field), "other": other_id}

    def _normalise(self, rows, out):
        """Phones are read in the row's own country, so they are parsed here."""
        kept = []
        for row in rows:
            if row.record.get("phone"):
                try:
                    row.record["phone"] = normalise_phone(row.record["phone"], row.record.get("country") or "")
                except ValueError as exc:
                    out.reject(row, "phone", str(exc))
                    continue
            kept.append(row)
        return kept

    def _create(self, rows, out):
        unique, seen = [], {}
        for row in rows:
            key = _identity_keys(row.record)
            clash = next((k for k in key if k in seen), None)
            if clash:
                out.reject(row, clash[0], _("duplicate %(field)s %(value)s (first on line %(line)d)") % {"field": clash[0], "value": clash[1], "line": seen[clash]})
                continue
            for k in key:
                seen[k] = row.line
            unique.append(row)
        customers = insert_objects([_new_customer(r, self.run.source) for r in unique], returning=True)
        if not self.run.dry_run:  # rolled-back keys are handed out again
            self.seen.update(c.pk for c in customers)
        found = {(r.record.get("customer_id"), r.record.get("email"), r.record.get("phone")): c.pk for r, c in zip(unique, customers)}
        self.matcher.existing(set(found))  # nothing known: every identifier gets linked below
        self.matcher._link_identifiers(list(found), found)
        self._apply_extras([(c.pk, r.record) for r, c in zip(unique, customers)])
        return len(unique)

    def _update(self, customer_id, row):
        record = row.record
        changes = {f: record[f] for f in PROFILE_FIELDS if record.get(f) not in (None, "", [])}
        if record.get("created_at"):
            changes["joined_at"] = record["created_at"]
        Customer.objects.filter(pk=customer_id).update(import_hash=row.hash, updated_at=timezone.now(), **changes)
        ref = (record.get("customer_id"), record.get("email"), record.get("phone"))
        self.matcher.existing({ref})
        self.matcher._link_identifiers([ref], {ref: customer_id})
        self._apply_extras([(customer_id, record)])

    def _apply_extras(self, pairs):
        """Consents, messenger ids, tags and addresses for (customer_id, record) pairs, batch-wise."""
        _set_consents(pairs, self.run.source)
        wechat = [ContactPoint(customer_id=c, kind=ContactKind.WECHAT, value=r["wechat_id"]) for c, r in pairs if r.get("wechat_id")]
        ContactPoint.objects.bulk_create(wechat, ignore_conflicts=True)
        self._add_tags(pairs)
        for customer_id, record in pairs:
            if record.get("address1"):
                _add_address(customer_id, record)

    def _add_tags(self, pairs):
        names = {name[:80] for _c, r in pairs for name in r.get("tags") or []}
        if not names:
            return
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through = Customer.tags.through
        links = [through(customer_id=c, tag_id=tag_ids[n[:80]]) for c, r in pairs for n in r.get("tags") or []]
        insert_objects(links, ignore_conflicts=True)


def _identity_keys(record):
    return [(name, record[name]) for name in ("customer_id", "email", "phone") if record.get(name)]


def _new_customer(row, source):
    record = row.record
    values = {f: record[f] for f in PROFILE_FIELDS if record.get(f) not in (None, "", [])}
    return Customer(source=source, joined_at=record.get("created_at"), import_hash=row.hash, **values)


def _set_consents(pairs, source):
    """Record consent changes from the import in the consent ledger."""
    wanted = {}
    for customer_id, record in pairs:
        for kind, value, given in ((ContactKind.EMAIL, record.get("email"), record.get("email_consent")),
                                   (ContactKind.PHONE, record.get("phone"), record.get("sms_consent"))):
            if value and given is not None:
                wanted[(kind, value)] = (customer_id, ConsentStatus.GRANTED if given else ConsentStatus.DENIED)
    if not wanted:
        return
    points = ContactPoint.objects.filter(value__in={v for _k, v in wanted}, kind__in={k for k, _v in wanted})
    now, changed = timezone.now(), []
    for point in points:
        customer_id, status = wanted.get((point.kind, point.value), (None, None))
        if point.customer_id == customer_id and point.consent != status:
            point.consent, point.consent_updated_at = status, now
            changed.append(point)
    # One UPDATE per status: bulk_update's CASE expression is slow for thousands of rows.
    for status in {p.consent for p in changed}:
        ContactPoint.objects.filter(pk__in=[p.pk for p in changed if p.consent == status]).update(consent=status, consent_updated_at=now)
    insert_objects([ConsentEvent(contact_point=p, status=p.consent, source=source, note="import", recorded_at=now) for p in changed])


def _add_address(customer_id, record):
    values = {"line1": record["address1"], "line2": record.get("address2") or "", "city": record.get("city") or "",
              "region": record.get("region") or "", "postal_code": record.get("postal_code") or "",
              "country": record.get("address_country") or record.get("country") or ""}
    if not Address.objects.filter(customer_id=customer_id, **values).exists():
        is_first = not Address.objects.filter(customer_id=customer_id).exists()
        Address.objects.create(customer_id=customer_id, kind=AddressKind.SHIPPING, is_default=is_first, **values)

