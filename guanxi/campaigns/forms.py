"""Forms of the campaign and template editors. The API fills the same forms, so a
campaign or template is checked by one set of rules whichever way it arrives."""

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.campaigns.choices import CampaignStatus
from guanxi.campaigns.models import Campaign, MessageTemplate, TemplateContent
from guanxi.segments.models import Segment

SEND_NOW, SEND_LATER = "now", "later"


class CampaignForm(forms.ModelForm):
    """A new campaign: a DRAFT to send from its page, or SCHEDULED for `send_at`."""

    when = forms.ChoiceField(label=_("When"), choices=[(SEND_NOW, _("Send now (from the campaign's page)")),
                                                       (SEND_LATER, _("Send at a date and time"))],
                             initial=SEND_NOW, widget=forms.RadioSelect)
    send_at = forms.DateTimeField(label=_("Send at"), required=False,
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    test_share = forms.IntegerField(label=_("Test share (%)"), initial=20, required=False,
                                    help_text=_("With template B: the share of customers in the test, half A, half B. "
                                                "The rest gets the winner."))

    class Meta:
        model = Campaign
        fields = ["name", "segment", "template", "template_b", "test_share", "when", "send_at",
                  "in_customer_time_zone", "priority", "relevant_for_hours"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["template_b"].help_text = _("Optional: a second template to test against the first.")
        self.fields["priority"].widget.attrs.update(min=1, max=9)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Campaign.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A campaign with this name exists already."))
        return name

    def clean_priority(self):
        priority = self.cleaned_data["priority"]
        if not 1 <= priority <= 9:
            raise forms.ValidationError(_("Choose a priority from 1 (most important) to 9."))
        return priority

    def clean_relevant_for_hours(self):
        hours = self.cleaned_data["relevant_for_hours"]
        if not 1 <= hours <= 24 * 90:
            raise forms.ValidationError(_("Between 1 hour and 90 days (2160 hours)."))
        return hours

    def clean(self):
        data = super().clean()
        self._check_ab(data)
        self._check_send_at(data)
        return data

    def _check_ab(self, data):
        share = data.get("test_share")
        if share is None:
            data["test_share"] = self.instance.test_share
        elif not 1 <= share <= 90:
            self.add_error("test_share", _("The test share must be between 1 and 90%."))
        if data.get("template_b") is not None and data["template_b"] == data.get("template"):
            self.add_error("template_b", _("Template B must differ from template A."))

    def _check_send_at(self, data):
        if data.get("when") != SEND_LATER:
            data["send_at"] = None
            return
        send_at = data.get("send_at")
        if send_at is None:
            if "send_at" not in self.errors:
                self.add_error("send_at", _("Give the date and time to send at."))
        elif send_at <= timezone.now():
            self.add_error("send_at", _("The send time is in the past."))

    def save(self, commit=True):
        campaign = super().save(commit=False)
        campaign.status = CampaignStatus.SCHEDULED if campaign.send_at else CampaignStatus.DRAFT
        if self.user is not None and getattr(self.user, "pk", None):
            campaign.created_by = self.user
        if commit:
            campaign.save()
        return campaign


class TemplateForm(forms.ModelForm):
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)

    class Meta:
        model = MessageTemplate
        fields = ["name", "channel", "purpose", "default_language"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if MessageTemplate.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A template with this name exists already."))
        return name


class ContentForm(forms.ModelForm):
    """One language's words; left empty, that language is not offered."""

    class Meta:
        model = TemplateContent
        fields = ["subject", "html", "text"]
        widgets = {"html": forms.Textarea(attrs={"rows": 10, "class": "code"}),
                   "text": forms.Textarea(attrs={"rows": 4})}

    def is_empty(self):
        return not any((self.cleaned_data.get(name) or "").strip() for name in self.Meta.fields)


class TemplateEditor:
    """The template form and one content form per language (English, Simplified Chinese),
    validated and saved together."""

    def __init__(self, data=None, template=None):
        self.template = template
        self.form = TemplateForm(data, instance=template)
        existing = {c.language: c for c in template.contents.all()} if template else {}
        self.contents = [(code, label, ContentForm(data, prefix=code, instance=existing.get(code)))
                         for code, label in settings.LANGUAGES]

    def is_valid(self):
        valid = all([self.form.is_valid(), *(form.is_valid() for _code, _label, form in self.contents)])
        if valid and all(form.is_empty() for _code, _label, form in self.contents):
            self.form.add_error(None, _("Write the message in at least one language."))
            return False
        return valid

    @property
    def errors(self):
        """{field: [messages]}, content fields named "<language>.<field>"."""
        errors = {field: list(messages) for field, messages in self.form.errors.items()}
        for code, _label, form in self.contents:
            errors.update({f"{code}.{field}": list(messages) for field, messages in form.errors.items()})
        return errors

    @transaction.atomic
    def save(self):
        template = self.form.save()
        for code, _label, form in self.contents:
            if form.is_empty():
                TemplateContent.objects.filter(template=template, language=code).delete()
                continue
            content = form.save(commit=False)
            content.template, content.language = template, code
            content.save()
        return template


class PreviewForm(forms.Form):
    customer = forms.CharField(label=_("Customer"), max_length=200,
                               help_text=_("Id, e-mail or part of the name"))
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("The customer's language")), *settings.LANGUAGES])
