"""Guanxi's analytics engine: pure computation over Arrow tables.

Not a Django app and free of Django imports: callers hand in Arrow tables (see
`schema`) or a database connection, and get Arrow tables and plain dicts back.
Every function here is tested without a database.
"""
