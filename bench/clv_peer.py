"""Benchmark: our BG/NBD + Gamma-Gamma fits against lifetimes' on a generated shop.

    .venv/bin/python bench/clv_peer.py [--customers 1000000] [--seed 11]

Generates a shop (Parquet, all customers, gift buyers included: this measures
speed and agreement, not recovery of the truth), summarises it per customer-day
in days up to the last simulated day, fits both implementations on the same
arrays and prints time, parameters and log-likelihoods side by side. lifetimes
is a test/benchmark-only dependency and is imported here only.
"""

import argparse
import json
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np

from guanxi.analytics import bgnbd, gammagamma
from guanxi.analytics.engine import DuckDBEngine
from guanxi.analytics.features import customer_summary
from guanxi.analytics.samples import shop_from_generator
from guanxi.analytics.schema import day_number
from guanxi.synthetic import generate_shop

PARAMS = ("r", "alpha", "a", "b", "p", "q", "v")


def _timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def _ours(frequency, recency, T, spend_count, monetary):
    purchases = bgnbd.fit_bgnbd(frequency, recency, T)
    spend = gammagamma.fit_gamma_gamma(spend_count, monetary)
    return {**purchases.params, **spend.params}


def _lifetimes(frequency, recency, T, spend_count, monetary):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    usable = (spend_count > 0) & (monetary > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases = BetaGeoFitter().fit(frequency, recency, T)
        spend = GammaGammaFitter().fit(spend_count[usable], monetary[usable])
    return {**purchases.params_.to_dict(), **spend.params_.to_dict()}


def compare_with_lifetimes(frequency, recency, T, spend_count, monetary) -> dict:
    """Fit both implementations on the same summary; return seconds, the speed
    ratio (lifetimes / ours), both parameter sets, the largest relative parameter
    difference, and each side's log-likelihoods (evaluated with our likelihood, so
    a higher value means that side got closer to the optimum)."""
    columns = [np.asarray(column, dtype=float) for column in (frequency, recency, T, spend_count, monetary)]
    ours, our_seconds = _timed(_ours, *columns)
    theirs, their_seconds = _timed(_lifetimes, *columns)
    difference = max(abs(ours[name] - theirs[name]) / abs(theirs[name]) for name in PARAMS)
    return {
        "customers": len(columns[0]),
        "ours_seconds": our_seconds,
        "lifetimes_seconds": their_seconds,
        "speedup": their_seconds / our_seconds,
        "ours": ours,
        "lifetimes": theirs,
        "max_relative_difference": difference,
        "log_likelihood": {side: _log_likelihoods(params, columns) for side, params in
                           (("ours", ours), ("lifetimes", theirs))},
    }


def _log_likelihoods(params, columns):
    frequency, recency, T, spend_count, monetary = columns
    return {
        "bgnbd": bgnbd.log_likelihood(params, frequency, recency, T),
        "gamma_gamma": gammagamma.log_likelihood(params, spend_count, monetary),
    }


def shop_summary(customers, seed):
    """(frequency, recency, T, spend_count, monetary) of a generated shop, in days."""
    with tempfile.TemporaryDirectory() as directory:
        generate_shop(directory, customers, seed, fmt="parquet", progress=False)
        truth = json.loads((Path(directory) / "truth.json").read_text())
        shop = shop_from_generator(directory)
    end_day = day_number(date.fromisoformat(truth["end"]))
    summary = customer_summary(DuckDBEngine(), shop.orders, end_day, "days")
    return [summary.column(name).to_numpy() for name in ("frequency", "recency", "T", "spend_count", "monetary")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    result = compare_with_lifetimes(*shop_summary(args.customers, args.seed))
    print(f"{result['customers']:,} customers (days as the unit)")
    print(f"{'':16}{'guanxi':>18}{'lifetimes':>18}")
    print(f"{'seconds':16}{result['ours_seconds']:18.3f}{result['lifetimes_seconds']:18.3f}")
    for name in PARAMS:
        print(f"{name:16}{result['ours'][name]:18.6f}{result['lifetimes'][name]:18.6f}")
    for model in ("bgnbd", "gamma_gamma"):
        mine, theirs = (result["log_likelihood"][side][model] for side in ("ours", "lifetimes"))
        print(f"{'LL ' + model:16}{mine:18.4f}{theirs:18.4f}")
    print(f"speed-up {result['speedup']:.1f}x, largest relative parameter difference "
          f"{result['max_relative_difference']:.2e}")


if __name__ == "__main__":
    main()
