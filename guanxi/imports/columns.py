"""Which column of the input feeds which field: generic names, a preset, and
the user's own `column=field` mapping, checked before any row is read."""

from django.utils.translation import gettext as _

from guanxi.imports.exceptions import ImportRejected
from guanxi.imports.schemas import PRESETS


def resolve_columns(schema, header, preset="generic", mapping=None):
    """Return ({field: column}, [ignored columns]) or raise ImportRejected.

    `header` is None for inputs without a header (JSON Lines, API batches): then
    every field is read from the key of the same name.
    """
    mapping = {k.strip().lower(): v.strip() for k, v in (mapping or {}).items()}
    if header is None:
        columns = {name: name for name in schema.names}
        columns.update(_user_mapping(schema, mapping, None))
        return columns, []
    columns = {name: name for name in schema.names if name in header}
    if preset not in (None, "", "generic"):
        if preset not in PRESETS:
            raise ImportRejected(_("unknown preset %(preset)s; choose one of: generic, %(presets)s") % {"preset": preset, "presets": ", ".join(PRESETS)})
        for name, candidates in PRESETS[preset].get(schema.kind, {}).items():
            found = next((c for c in candidates if c in header), None)
            if found:
                columns[name] = found
    columns.update(_user_mapping(schema, mapping, header))
    _check_required(schema, columns, header)
    used = set(columns.values())
    return columns, [h for h in header if h and h not in used]


def _user_mapping(schema, mapping, header):
    columns = {}
    for column, name in mapping.items():
        if name not in schema.names:
            raise ImportRejected(_("--map %(column)s=%(field)s: %(kind)s have no field %(field)s; fields are: %(fields)s") % {
                "column": column, "field": name, "kind": schema.kind, "fields": ", ".join(schema.names)})
        if header is not None and column not in header:
            raise ImportRejected(_("--map %(column)s=%(field)s: the file has no column %(column)s") % {"column": column, "field": name})
        columns[name] = column
    return columns


def _check_required(schema, columns, header):
    missing = [f.name for f in schema.fields if f.required and f.name not in columns]
    if schema.one_of and not any(n in columns for n in schema.one_of):
        missing.append(_(" or ").join(schema.one_of))
    if missing:
        raise ImportRejected(_("missing required column(s): %(missing)s; the file's columns are: %(header)s") % {
            "missing": ", ".join(missing), "header": ", ".join(h for h in header if h) or "-"})
