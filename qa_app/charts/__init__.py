"""Charts (matplotlib, SVG), one module per capability; loaded only by the pages that draw them."""
