"""The rows of each output file, built from a simulated chunk.

Column lists here are the generic import schemas (docs/import.md): keep them in
step with guanxi/imports/schemas.py.
"""

import numpy as np

from guanxi.synthetic import formatting as fmt
from guanxi.synthetic.aftersales import Returns
from guanxi.synthetic.catalogue import CURRENCY
from guanxi.synthetic.events import EVENT_TYPES
from guanxi.synthetic.geography import CHANNELS
from guanxi.synthetic.orders import STATUSES
from guanxi.synthetic.seasons import OCCASIONS

PRODUCT_COLUMNS = ("sku", "name", "category", "price", "currency")
ORDER_COLUMNS = ("order_id", "customer_id", "customer_email", "ordered_at", "currency", "total", "status",
                 "channel", "sku", "product_name", "quantity", "unit_price")
RETURN_COLUMNS = ("return_id", "order_id", "sku", "quantity", "amount", "currency", "returned_at", "reason",
                  "status")
EVENT_COLUMNS = ("event_id", "event_type", "customer_id", "occurred_at", "sku", "session_id")
TRUTH_CUSTOMER_COLUMNS = ("customer_id", "purchase_rate_per_day", "dropout_probability", "spend_nu",
                          "expected_order_value", "repeat_purchases", "active_at_end", "left_at", "gift_buyer",
                          "gift_occasions", "favourite_categories")

ID_WIDTHS = {"order": 9, "return": 8, "event": 11, "session": 10}


def product_columns(catalogue):
    return {"sku": fmt.text(catalogue.sku), "name": fmt.text(catalogue.name),
            "category": fmt.text(np.array(catalogue.categories)[catalogue.category]),
            "price": fmt.money(catalogue.price_cents), "currency": fmt.text(np.full(len(catalogue), CURRENCY))}


def order_ids(numbers):
    return fmt.codes("O", numbers + 1, ID_WIDTHS["order"])


def order_columns(orders, lines, order_epoch, order_number_offset, customer_id, email, catalogue):
    """One row per order line; order-level values are formatted once per order."""
    value = lines.quantity * catalogue.price_cents[lines.product]
    total = np.bincount(lines.order, weights=value, minlength=len(orders)).astype(np.int64)
    per_order = {
        "order_id": order_ids(order_number_offset + np.arange(len(orders))),
        "customer_id": customer_id.take(orders.customer), "customer_email": email.take(orders.customer),
        "ordered_at": fmt.timestamps(order_epoch), "currency": fmt.text(np.full(len(orders), CURRENCY)),
        "total": fmt.money(total), "status": fmt.text(STATUSES[orders.status]),
        "channel": fmt.text(np.array(CHANNELS)[orders.channel]),
    }
    line_order = lines.order
    columns = {name: values.take(line_order) for name, values in per_order.items()}
    columns.update({
        "sku": fmt.text(catalogue.sku).take(lines.product),
        "product_name": fmt.text(catalogue.name).take(lines.product),
        "quantity": fmt.integers(lines.quantity), "unit_price": fmt.money(catalogue.price_cents[lines.product]),
    })
    return columns, total


def return_columns(returns: Returns, lines, order_number_offset, return_number_offset, catalogue):
    n = len(returns.line)
    return {
        "return_id": fmt.codes("R", return_number_offset + np.arange(n) + 1, ID_WIDTHS["return"]),
        "order_id": order_ids(order_number_offset + lines.order[returns.line]),
        "sku": fmt.text(catalogue.sku[lines.product[returns.line]]), "quantity": fmt.integers(returns.quantity),
        "amount": fmt.money(returns.amount_cents), "currency": fmt.text(np.full(n, CURRENCY)),
        "returned_at": fmt.timestamps(returns.epoch), "reason": fmt.text(returns.reason),
        "status": fmt.text(returns.status),
    }


def event_columns(events, event_number_offset, session_number_offset, customer_id, catalogue):
    n = len(events)
    sku = np.where(events.product >= 0, catalogue.sku[np.maximum(events.product, 0)], "")
    return {
        "event_id": fmt.codes("E", event_number_offset + np.arange(n) + 1, ID_WIDTHS["event"]),
        "event_type": fmt.text(EVENT_TYPES[events.kind]), "customer_id": customer_id.take(events.customer),
        "occurred_at": fmt.timestamps(events.epoch), "sku": fmt.text(sku),
        "session_id": fmt.codes("S", session_number_offset + events.session + 1, ID_WIDTHS["session"]),
    }


def truth_customer_columns(buyers, people, customer_id, last_purchase_epoch, catalogue, gamma_p):
    """Per-customer hidden truth, to score P(alive), CLV and occasion detection.

    `left_at` is the time of the purchase after which the customer dropped out
    (blank while still active): the BG/NBD "death" is right after it.
    """
    left = buyers.left
    occasions = np.full(len(buyers.birth), "", dtype=object)
    for number, name in enumerate(OCCASIONS):
        has = people.gift_occasions[:, number]
        occasions[has] = np.where(occasions[has] == "", name, occasions[has] + ";" + name)
    names = np.array(catalogue.categories)
    first, second = names[people.favourites[:, 0]], names[people.favourites[:, 1]]
    favourites = np.where(first == second, first, np.strings.add(np.strings.add(first, ";"), second))
    return {
        "customer_id": customer_id, "purchase_rate_per_day": fmt.decimals(buyers.purchase_rate, 8),
        "dropout_probability": fmt.decimals(buyers.dropout), "spend_nu": fmt.decimals(buyers.nu, 8),
        "expected_order_value": fmt.decimals(gamma_p / buyers.nu, 2),
        "repeat_purchases": fmt.integers(buyers.repeats), "active_at_end": fmt.yes_no(~left),
        "left_at": fmt.blank_where(fmt.timestamps(last_purchase_epoch), ~left),
        "gift_buyer": fmt.yes_no(people.gift_buyer), "gift_occasions": fmt.text(occasions.astype(str)),
        "favourite_categories": fmt.text(favourites),
    }
