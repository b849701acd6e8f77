"""A deterministic, vectorised synthetic online shop for tests, demos and benchmarks.

Not a Django app: pure NumPy/Arrow, no database. `generate_shop()` writes the
generic import files (customers, products, orders, returns, events) plus the
hidden truth (truth.json, truth_customers) the analytics can be checked against.
See docs/generator.md.
"""

from guanxi.synthetic.shop import generate_shop

__all__ = ["generate_shop"]
