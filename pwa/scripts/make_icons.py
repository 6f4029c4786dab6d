"""Render the app icons (192, 512, maskable 512) from public/favicon.svg with headless Chromium.

Run once after changing the SVG (the PNGs are committed):
    ../.venv/bin/python scripts/make_icons.py
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent.parent
SVG = (HERE / "public" / "favicon.svg").read_text()
OUT = HERE / "public" / "icons"

# Maskable icons must keep their content inside the central 80% "safe zone".
PAGES = {
    "icon-192.png": (192, f'<div style="width:192px;height:192px">{SVG}</div>'),
    "icon-512.png": (512, f'<div style="width:512px;height:512px">{SVG}</div>'),
    "maskable-512.png": (
        512,
        '<div style="width:512px;height:512px;background:#b71c1c;display:flex;'
        f'align-items:center;justify-content:center"><div style="width:380px;height:380px">{SVG}</div></div>',
    ),
}

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    for name, (size, body) in PAGES.items():
        page = browser.new_page(viewport={"width": size, "height": size})
        page.set_content(
            "<style>html,body{margin:0;background:transparent}svg{width:100%;height:100%;display:block}</style>"
            + body
        )
        page.screenshot(path=str(OUT / name), omit_background=True)
        page.close()
    browser.close()
