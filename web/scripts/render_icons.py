"""Render the PWA's PNG icons from the hand-written SVGs (``npm run icons`` in web/).

Chromium draws each SVG at the size a launcher asks for and the PNG is what it shows; the
PNGs are committed so a build needs no browser, and this script makes them again whenever
an SVG changes. Needs Debian's Chromium and Playwright for Python (Yui's dev tools).
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PUBLIC = Path(__file__).resolve().parents[1] / "public"
CHROMIUM = "/usr/bin/chromium"
# (source SVG, output PNG, size in pixels)
ICONS = [
    ("icon.svg", "icon-192.png", 192),
    ("icon.svg", "icon-512.png", 512),
    ("icon-maskable.svg", "icon-maskable-512.png", 512),
    ("icon.svg", "apple-touch-icon-180.png", 180),
]


def main() -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for source, target, size in ICONS:
                svg = (PUBLIC / source).read_bytes()
                data = base64.b64encode(svg).decode()
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(
                    "<html><body style='margin:0;background:transparent'>"
                    f"<img src='data:image/svg+xml;base64,{data}' width='{size}' height='{size}'"
                    " style='display:block'></body></html>"
                )
                page.wait_for_function("document.images[0].complete")
                out = PUBLIC / target
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), omit_background=True)
                page.close()
                print(f"{out.relative_to(PUBLIC.parent)}: {size}x{size}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
