"""The upload form: a file plus how to read it (kind, preset, column mapping)."""

import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from guanxi.imports.choices import ImportKind, Preset

ALLOWED_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".parquet"}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV, TSV, Excel (.xlsx), JSON Lines or Parquet."))
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    preset = forms.ChoiceField(label=_("Column names"), choices=Preset.choices, initial=Preset.GENERIC)
    source = forms.CharField(label=_("Source"), max_length=50, required=False,
                             help_text=_("The shop or system the file comes from; ids are unique per source."))
    mapping = forms.CharField(label=_("Column mapping"), required=False, widget=forms.Textarea(attrs={
        "rows": 4, "placeholder": "Mobile=phone\nE-mail Address=email"}),
        help_text=_("Optional, one per line: column=field. Overrides the preset."))
    dry_run = forms.BooleanField(label=_("Dry run: check every row, write nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("Upload a .csv, .tsv, .xlsx, .jsonl or .parquet file."))
        return upload

    def clean_mapping(self):
        """Parse `column=field` lines into {column: field}."""
        mapping = {}
        for number, line in enumerate(self.cleaned_data["mapping"].splitlines(), start=1):
            if not line.strip():
                continue
            column, sep, field = line.partition("=")
            if not sep or not column.strip() or not field.strip():
                raise forms.ValidationError(
                    _("Line %(number)s: write column=field, e.g. Mobile=phone.") % {"number": number})
            mapping[column.strip()] = field.strip()
        return mapping

    def save_upload(self):
        """Store the uploaded file under UPLOADS_DIR with a unique name; returns its path."""
        upload = self.cleaned_data["file"]
        folder = Path(settings.UPLOADS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stamp}-{secrets.token_hex(4)}-{get_valid_filename(Path(upload.name).name)}"
        with open(path, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return path
