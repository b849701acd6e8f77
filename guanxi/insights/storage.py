"""Write an analysis' Arrow results into the scores and affinity tables.

The whole replacement happens in the caller's transaction: readers see the old
scores until the new ones are complete. Values are prepared column-wise in Arrow
(days -> ISO dates, JSON already text) so a million rows need no per-value
adaptation in Python.
"""

import pyarrow as pa
import pyarrow.compute as pc

from guanxi.insights.models import CategoryAffinity, CustomerScore, ProductAffinity
from guanxi.lib.bulk import insert_rows

# CustomerScore field <- column of the pipeline's scores table
SCORE_FIELDS = {
    "customer": "customer_id", "recency_days": "recency_days", "frequency": "frequency",
    "monetary": "monetary", "r_score": "r_score", "f_score": "f_score", "m_score": "m_score",
    "rfm_segment": "rfm_segment", "lifecycle": "lifecycle", "p_alive": "p_alive", "churn_band": "churn_band",
    "expected_orders": "expected_orders", "expected_order_value": "expected_order_value", "clv": "clv",
    "next_order_on": "next_order_day", "revenue": "revenue", "value_tier": "value_tier",
    "value_score": "value_score", "risk_score": "risk_score", "risk_rating": "risk_rating",
    "risk_reasons": "risk_reasons", "next_occasion": "next_occasion", "next_occasion_on": "next_occasion_day",
    "occasions": "occasions", "replenish_on": "replenish_day", "replenishments": "replenishments",
    "recommended_products": "recommended_products",
}
BATCH = 50_000


def _iso_dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # A day number counts days since 1970-01-01, which is exactly date32's encoding.
    return pc.cast(column.cast(pa.int32()).cast(pa.date32()), pa.string())


def _prepared(table: pa.Table, fields: dict) -> list:
    columns = []
    for field, source in fields.items():
        column = table.column(source)
        if source.endswith("_day"):
            column = _iso_dates(column)
        columns.append(column)
    return columns


def replace_scores(run, as_of, scores: pa.Table) -> int:
    CustomerScore.objects.all().delete()
    fields = ["run", "as_of", *SCORE_FIELDS]
    as_of_text = as_of.isoformat()
    for start in range(0, scores.num_rows, BATCH):
        chunk = scores.slice(start, BATCH)
        columns = [c.to_pylist() for c in _prepared(chunk, SCORE_FIELDS)]
        rows = [(run.pk, as_of_text, *values) for values in zip(*columns)]
        insert_rows(CustomerScore, fields, rows, prepared=True)
    return scores.num_rows


def replace_affinities(product_rules: pa.Table, category_rules: pa.Table):
    ProductAffinity.objects.all().delete()
    CategoryAffinity.objects.all().delete()
    # Affinity field <- rule column (crosssell.RULES)
    metrics = {"orders": "count", "support": "support", "confidence": "confidence", "lift": "lift"}
    for model, key, rules in ((ProductAffinity, "product", product_rules), (CategoryAffinity, "category", category_rules)):
        columns = [rules.column(name).to_pylist() for name in ("antecedent", "consequent", *metrics.values())]
        insert_rows(model, [key, "consequent", *metrics], list(zip(*columns)), prepared=True)
