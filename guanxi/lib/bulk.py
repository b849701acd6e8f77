"""Fast multi-row INSERT for the import hot path.

Django's bulk_create builds a model instance and compiles SQL per object;
for millions of order lines that dominates the import. Here rows are plain
tuples, values are adapted per column only where the backend needs it
(datetimes, decimals, JSON) and one executemany sends them. Works the same on
SQLite and PostgreSQL (both accept ON CONFLICT DO NOTHING).
"""

from django.db import connection, models

_ADAPTED = (models.DateTimeField, models.DateField, models.DecimalField, models.JSONField)


def insert_rows(model, fields, rows, ignore_conflicts=False):
    """INSERT `rows` (tuples of Python values in `fields` order) into `model`'s table."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in columns), ", ".join(["%s"] * len(columns)))
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    adapters = [_adapter(f) for f in columns]
    if any(adapters):
        rows = [tuple(a(v) if a and v is not None else v for a, v in zip(adapters, row)) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _adapter(field):
    ops = connection.ops
    if isinstance(field, models.ForeignKey) or not isinstance(field, _ADAPTED):
        return None
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return lambda value: field.get_db_prep_save(value, connection)
