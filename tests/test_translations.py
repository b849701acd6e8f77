"""The Simplified Chinese catalogue is complete, compiled, and used by the pages.

When this fails after someone adds a string: run
    DJANGO_SETTINGS_MODULE=guanxi.settings python -m django makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench
translate the new entries in guanxi/locale/zh_Hans/LC_MESSAGES/django.po, then
    python -m django compilemessages -l zh_Hans --ignore=.venv
"""

from pathlib import Path

import polib
import pytest
from django.urls import reverse

LC_MESSAGES = Path(__file__).resolve().parents[1] / "guanxi" / "locale" / "zh_Hans" / "LC_MESSAGES"
PO, MO = LC_MESSAGES / "django.po", LC_MESSAGES / "django.mo"


def catalogue(entries):
    return {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in entries if not e.obsolete}


def test_every_message_is_translated():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []


def test_no_translation_is_fuzzy():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    polib.pofile(str(PO)).save_as_mofile(str(fresh))
    assert MO.exists(), "run compilemessages"
    assert catalogue(polib.mofile(str(MO))) == catalogue(polib.mofile(str(fresh)))


@pytest.mark.django_db
def test_a_page_asked_for_in_chinese_is_in_chinese(admin_client):
    html = admin_client.get(reverse("customers:list"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "<h1>客户</h1>" in html and "消费总额" in html and 'lang="zh-hans"' in html


@pytest.mark.django_db
def test_a_page_asked_for_in_english_stays_english(admin_client):
    html = admin_client.get(reverse("customers:list"), headers={"Accept-Language": "en"}).content.decode()
    assert "<h1>Customers</h1>" in html


@pytest.mark.django_db
def test_choosing_chinese_in_the_menu_switches_the_interface(admin_client):
    admin_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/customers/"})
    assert "<h1>客户</h1>" in admin_client.get(reverse("customers:list")).content.decode()


def _source_strings():
    """Literal strings marked for translation in Python files and templates."""
    import re

    root = Path(__file__).resolve().parents[1] / "guanxi"
    python = re.compile(r"""\b(?:_|gettext|gettext_lazy)\(\s*(["'])((?:(?!\1).)+)\1\s*[,)%]""")
    template = re.compile(r"""\{%\s*translate\s+(["'])((?:(?!\1).)+)\1""")
    found = set()
    for path in root.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            found |= {(path.name, m.group(2)) for m in python.finditer(path.read_text(encoding="utf-8"))}
    for path in root.rglob("*.html"):
        # makemessages writes a template's "%" as "%%" (templates have no placeholders of that kind).
        found |= {(path.name, m.group(2).replace("%", "%%")) for m in template.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_every_marked_string_in_the_sources_is_in_the_catalogue():
    msgids = {e.msgid for e in polib.pofile(str(PO)) if not e.obsolete}
    missing = sorted((name, text) for name, text in _source_strings() if text.replace("\\'", "'").replace('\\"', '"') not in msgids)
    assert not missing, f"run makemessages and translate: {missing[:10]}"
