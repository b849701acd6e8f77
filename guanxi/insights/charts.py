"""Small server-rendered SVG line charts (no JavaScript, no CDN).

The analysis page needs one chart, the backtest's cumulative repeat purchases;
the dashboards issue brings a charting library for the rest.
"""

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 640, 240, 36


@dataclass
class Line:
    label: str
    points: str  # SVG polyline "x,y x,y ..."
    css: str


def line_chart(series: dict, colours=("actual", "model-a", "model-b"), marker=None) -> dict:
    """{label: [y, ...]} (same length) -> polylines scaled into the chart box;
    `marker` is the index of a vertical line (the calibration end)."""
    values = [v for ys in series.values() for v in ys if v is not None]
    if not values:
        return {"lines": [], "width": WIDTH, "height": HEIGHT}
    longest = max(len(ys) for ys in series.values())
    top = max(values) or 1
    x_step = (WIDTH - 2 * PAD) / max(1, longest - 1)
    lines = []
    for (label, ys), css in zip(series.items(), colours):
        points = " ".join(f"{PAD + i * x_step:.1f},{HEIGHT - PAD - (y / top) * (HEIGHT - 2 * PAD):.1f}"
                          for i, y in enumerate(ys) if y is not None)
        lines.append(Line(label, points, css))
    marker_x = round(PAD + marker * x_step, 1) if marker is not None else None
    return {"lines": lines, "width": WIDTH, "height": HEIGHT, "top": top, "periods": longest, "pad": PAD,
            "marker_x": marker_x}
