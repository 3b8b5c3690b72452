"""Self-contained HTML: tables and images inline (base64), so a report is one file that opens
anywhere, offline, and can be attached to an email without its figures going missing."""

from __future__ import annotations

import base64
import html

import polars as pl

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f2f2f2; } td.text { text-align: left; }
img { max-width: 100%; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; }
"""


def cell(value: object) -> str:
    if isinstance(value, float):
        return f"<td>{value:.3f}</td>"
    if isinstance(value, int | bool) or value is None:
        return f"<td>{'' if value is None else value}</td>"
    return f'<td class="text">{html.escape(str(value))}</td>'


def table(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "<p><em>(no rows)</em></p>"
    head = "".join(f"<th>{html.escape(name)}</th>" for name in frame.columns)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in frame.iter_rows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def image(data: bytes, alt: str, mime: str = "image/png") -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{encoded}">'


def page(title: str, body: list[str]) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        + "\n".join(body)
        + "</body></html>"
    )
