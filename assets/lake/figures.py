"""Figures as PNG bytes, drawn on matplotlib's Agg backend (files only, never a window), and
inlined into Markdown so the Dagster UI shows them with the metadata."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt

FIGURE_DPI = 90


def png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def inline(image: bytes, alt: str) -> str:
    """Markdown image carried inside the text, so the Dagster UI shows it with the metadata."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(image).decode()})"
