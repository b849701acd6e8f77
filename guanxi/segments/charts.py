"""The segment page's size-over-time chart: a small server-drawn SVG (no JavaScript)."""

WIDTH, HEIGHT, PAD = 560, 200, 30


def size_chart(refreshes) -> dict:
    """Points (x, y, label) for each refresh's size, oldest first, scaled into the box."""
    sizes = [r.size for r in refreshes]
    if not sizes:
        return {"points": []}
    top = max(sizes) or 1
    step = (WIDTH - 2 * PAD) / max(1, len(sizes) - 1)
    points = []
    for index, refresh in enumerate(refreshes):
        x = PAD + index * step if len(sizes) > 1 else WIDTH / 2
        y = HEIGHT - PAD - refresh.size / top * (HEIGHT - 2 * PAD)
        points.append({"x": round(x, 1), "y": round(y, 1), "size": refresh.size, "at": refresh.at})
    return {"points": points, "polyline": " ".join(f"{p['x']},{p['y']}" for p in points), "top": top,
            "width": WIDTH, "height": HEIGHT, "first": refreshes[0].at, "last": refreshes[-1].at}
