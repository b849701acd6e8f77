"""generate_shop(): simulate a whole shop, chunk of customers by chunk.

Customers are independent, so they are simulated in fixed-size chunks, each with
its own random stream spawned from the seed: memory stays bounded, and the same
seed and customer count always give byte-identical files.
"""

import numpy as np
from tqdm import tqdm

from guanxi.synthetic import aftersales, baskets, customers, events, orders, purchases, tables
from guanxi.synthetic.catalogue import build_catalogue
from guanxi.synthetic.params import CUSTOMERS_PER_CHUNK, ShopParameters, Window
from guanxi.synthetic.truth import Tally, build_truth
from guanxi.synthetic.writer import ShopWriter


def generate_shop(out_dir, customers, seed, fmt="csv", start=None, end=None, progress=True, params=None):
    """Write customers, products, orders, returns, events, truth_customers and
    truth.json into `out_dir`; return a summary (counts, files and their sizes).

    `start`/`end` are dates (or ISO strings); the window runs from start 00:00 UTC
    to the end of `end`. Defaults: end 2026-10-31, start three years earlier.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    window = Window.parse(start, end)
    params = params or ShopParameters()
    catalogue = build_catalogue()
    chunks = [(first, min(CUSTOMERS_PER_CHUNK, customers - first))
              for first in range(0, customers, CUSTOMERS_PER_CHUNK)]
    streams = np.random.SeedSequence(seed).spawn(len(chunks))
    tally = Tally()
    with ShopWriter(out_dir, fmt) as writer, tqdm(total=customers, unit=" customers", disable=not progress) as bar:
        writer.write("products", tables.PRODUCT_COLUMNS, tables.product_columns(catalogue))
        for (first, size), stream in zip(chunks, streams):
            context = (window, catalogue, params, customers)
            _simulate_chunk(np.random.default_rng(stream), first, size, context, writer, tally)
            bar.update(size)
    truth = build_truth(params, window, catalogue, tally, seed, fmt)
    writer.write_json("truth", truth)
    return {"out_dir": str(writer.out_dir), "format": fmt, "seed": seed, "start": truth["start"],
            "end": truth["end"], "customers": tally.customers, "products": len(catalogue),
            "orders": tally.orders, "order_lines": tally.order_lines, "returns": tally.returns,
            "events": tally.events, "files": writer.sizes()}


def _simulate_chunk(rng, first, size, context, writer, tally):
    """Simulate customers first..first+size-1 and append their rows to the files."""
    window, catalogue, params, customers_total = context
    people = customers.draw_people(rng, size, catalogue, params)
    buyers = purchases.draw_buyers(rng, size, window, params)
    placed = orders.simulate_orders(rng, buyers, people, window, params)
    lines = baskets.fill_baskets(rng, placed, people, catalogue, params)
    order_epoch = window.start_epoch + np.floor(placed.day * 86400).astype(np.int64)
    end_epoch = window.start_epoch + window.days * 86400
    returned = aftersales.draw_returns(rng, placed, lines, order_epoch, catalogue, end_epoch)
    clicks, abandoned = events.draw_events(rng, placed, lines, order_epoch, buyers, people, catalogue, window, params)
    first_epoch, last_process_epoch = _first_and_last(placed, order_epoch, size)
    profile = customers.customer_columns(rng, people, first, customers_total, first_epoch, window, catalogue, params)
    customer_id, email = profile["customer_id"], profile["email"]
    order_rows, totals = tables.order_columns(placed, lines, order_epoch, tally.orders, customer_id, email, catalogue)
    writer.write("customers", customers.CUSTOMER_COLUMNS, profile)
    writer.write("orders", tables.ORDER_COLUMNS, order_rows)
    writer.write("returns", tables.RETURN_COLUMNS,
                 tables.return_columns(returned, lines, tally.orders, tally.returns, catalogue))
    writer.write("events", tables.EVENT_COLUMNS,
                 tables.event_columns(clicks, tally.events, tally.sessions, customer_id, catalogue))
    writer.write("truth_customers", tables.TRUTH_CUSTOMER_COLUMNS, tables.truth_customer_columns(
        buyers, people, customer_id, last_process_epoch, catalogue, params.gamma_gamma.p))
    _count(tally, size, placed, totals, lines, returned, clicks, abandoned, buyers, people)


def _first_and_last(placed, order_epoch, size):
    """Per customer: first order time (any order) and last BG/NBD purchase time."""
    starts = np.searchsorted(placed.customer, np.arange(size))
    first = np.minimum.reduceat(order_epoch, starts)
    process = np.isin(placed.kind, [purchases.ORDER_FIRST, purchases.ORDER_REPEAT])
    last = np.full(size, np.iinfo(np.int64).min)
    np.maximum.at(last, placed.customer[process], order_epoch[process])
    return first, last


def _count(tally, size, placed, totals, lines, returned, clicks, abandoned, buyers, people):
    tally.add_orders(placed, totals)
    tally.add_customers(buyers, people)
    tally.customers += size
    tally.orders += len(placed)
    tally.order_lines += len(lines)
    tally.returns += len(returned.line)
    tally.events += len(clicks)
    tally.sessions += int(clicks.session.max(initial=-1)) + 1
    tally.abandoned_carts += abandoned
