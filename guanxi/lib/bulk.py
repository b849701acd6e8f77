"""Fast multi-row INSERT and UPDATE for the import hot path.

Django's bulk_create builds a model instance and compiles SQL per object;
for millions of order lines that dominates the import. Here rows are plain
tuples, values are adapted per column only where the backend needs it
(datetimes, decimals, JSON) and one executemany sends them. Works the same on
SQLite and PostgreSQL (both accept ON CONFLICT DO NOTHING).
"""

from django.db import connection, models
from django.utils import timezone

_ADAPTED = (models.DateTimeField, models.DateField, models.DecimalField, models.JSONField)


def insert_rows(model, fields, rows, ignore_conflicts=False, prepared=False):
    """INSERT `rows` (tuples of Python values in `fields` order) into `model`'s table.

    `prepared` rows already hold what the database stores (ISO date text, JSON
    text, floats), which skips the per-value adaptation on large writes.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in columns), ", ".join(["%s"] * len(columns)))
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if not prepared:
        rows = _adapt(columns, rows)
    if connection.vendor == "postgresql":
        _postgres_insert(meta.db_table, columns, rows, ignore_conflicts)
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _postgres_insert(table, columns, rows, ignore_conflicts):
    """COPY when nothing can conflict; otherwise multi-row VALUES statements.

    executemany costs PostgreSQL one round trip per row; these cost one per batch.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in columns)
    with connection.cursor() as cursor:
        if not ignore_conflicts:
            # The raw psycopg cursor bypasses Django's error translation: wrap it
            # so a unique violation is an IntegrityError here as everywhere.
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            cursor.execute(f"INSERT INTO {quote(table)} ({names}) VALUES " + ", ".join([one] * len(chunk)) + " ON CONFLICT DO NOTHING",
                           [v for row in chunk for v in row])


def _adapt(columns, rows):
    """Rows with each value in the form the backend stores (as the ORM would write it)."""
    adapters = [_adapter(f) for f in columns]
    if not any(adapters):
        return rows
    return [tuple(a(v) if a and v is not None else v for a, v in zip(adapters, row)) for row in rows]


def _adapter(field):
    ops = connection.ops
    if isinstance(field, models.ForeignKey) or not isinstance(field, _ADAPTED):
        return None
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return lambda value: field.get_db_prep_save(value, connection)


def insert_objects(objects, returning=False, ignore_conflicts=False):
    """INSERT unsaved model instances of one model, faster than bulk_create.

    Values are read straight from the instances (defaults were applied when they
    were built; empty auto_now/auto_now_add fields get the current time). With
    `returning`, primary keys come back in insertion order (multi-row
    VALUES ... RETURNING, as bulk_create does) and are set on the instances.
    """
    if not objects:
        return objects
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    rows = [tuple(_value(obj, f, now) for f in fields) for obj in objects]
    if not returning:
        insert_rows(model, [f.name for f in fields], rows, ignore_conflicts)
        return objects
    ids = _insert_returning(model, fields, rows)
    for obj, pk in zip(objects, ids):
        obj.pk = pk
        obj._state.adding = False
    return objects


def _value(obj, field, now):
    value = getattr(obj, field.attname)
    if value is None and (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)):
        value = now
    return value


def _insert_returning(model, fields, rows):
    quote = connection.ops.quote_name
    rows = _adapt(fields, rows)
    head = "INSERT INTO {} ({}) VALUES ".format(quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields))
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    largest = max(1, min(512, connection.ops.bulk_batch_size(fields, rows)))
    ids, start = [], 0
    with connection.cursor() as cursor:
        for size in _chunk_sizes(len(rows), largest):
            chunk = rows[start : start + size]
            start += size
            cursor.execute(head + ", ".join([one] * size) + " RETURNING " + quote(model._meta.pk.column),
                           [v for row in chunk for v in row])
            ids.extend(r[0] for r in cursor.fetchall())
    return ids


def update_rows(model, fields, rows):
    """UPDATE rows given as (pk, value, ...) tuples with one executemany.

    Django's bulk_update builds one CASE expression per field over every row,
    which takes seconds for a few thousand rows; this is a prepared UPDATE.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table), ", ".join(f"{quote(f.column)} = %s" for f in columns), quote(meta.pk.column))
    params = [(*values, row[0]) for row, values in zip(rows, _adapt(columns, [row[1:] for row in rows]))]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _chunk_sizes(total, largest):
    """Split `total` rows into chunks of a few fixed sizes (largest, then powers of two).

    The database driver caches one compiled statement per SQL text; arbitrary
    remainders would fill that cache with large one-off statements (memory that
    grows with the length of an import).
    """
    sizes = []
    while total >= largest:
        sizes.append(largest)
        total -= largest
    power = 1 << max(0, largest.bit_length() - 1)
    while total:
        while power > total:
            power >>= 1
        sizes.append(power)
        total -= power
    return sizes
