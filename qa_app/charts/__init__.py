"""Charts (matplotlib, SVG), one module per capability; loaded only by the pages that draw them."""

import base64


def svg_data_url(svg: bytes | str) -> str:
    """An SVG as a data: URL for an <img> (the app's CSP allows data: images; never parsed as
    the page's HTML)."""
    raw = svg.encode("utf-8") if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(raw).decode("ascii")
