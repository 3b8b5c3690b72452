"""An animated GIF revealing one workout's prediction against its measurement, step by step.

Frames are drawn on matplotlib's Agg canvas by blitting (axes drawn once, only the growing lines
on top) and assembled by pillow into an in-memory GIF: no temporary file, no pyplot state, about
20 ms a frame where a full redraw with constrained layout takes 300 ms. The frame count is
capped (each frame reveals a chunk of steps), so the GIF stays small and quick to build however
long the workout is.
"""

from __future__ import annotations

import io

import numpy as np
import polars as pl
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from assets.evaluation.plots import masked_measured

FRAME_MS = 100
LAST_FRAME_MS = 2_000  # hold the complete picture before the loop restarts
GIF_COLOURS = 32  # line plots need few colours; a small palette keeps frames small
FIGURE_SIZE = (6, 4)
FIGURE_DPI = 80


def reveal_ends(n_steps: int, frames: int) -> list[int]:
    """Steps shown in each frame: min(frames, n_steps) strictly increasing counts ending at
    n_steps, evenly spaced (ceiling division keeps them distinct)."""
    count = min(frames, n_steps)
    return [-(-n_steps * (i + 1) // count) for i in range(count)]


def padded_limits(*series: np.ndarray) -> tuple[float, float]:
    """Axis limits fixed from the whole workout, so the axes stay still while lines grow."""
    values = np.concatenate([s[np.isfinite(s)] for s in series])
    if not len(values):
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    margin = max(0.05 * (high - low), 1.0)
    return low - margin, high + margin


def frame_image(canvas: FigureCanvasAgg, background, artists: list[Artist]) -> Image.Image:
    """Blit: the static background drawn once, only the growing artists drawn on top."""
    canvas.restore_region(background)
    for artist in artists:
        canvas.figure.draw_artist(artist)
    rgb = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    return rgb.quantize(colors=GIF_COLOURS)


def reveal_gif(steps: pl.DataFrame, workout: str, title: str, frames: int = 60) -> bytes:
    """GIF of `workout`: measured (gaps left open) and predicted heart rate growing over
    elapsed minutes, speed and altitude growing in a panel beneath; one frame per chunk of
    steps, min(frames, steps in the workout) frames."""
    series = steps.filter(pl.col("workout") == workout).sort("step")
    if series.is_empty():
        raise ValueError(f"workout {workout!r} has no steps")
    minutes = (series["elapsed_s"] / 60).cast(pl.Float64).to_numpy()
    measured = masked_measured(series)
    predicted = series["predicted"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    speed = series["speed"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    altitude = series["altitude"].cast(pl.Float64).fill_null(float("nan")).to_numpy()

    figure = Figure(figsize=FIGURE_SIZE, dpi=FIGURE_DPI, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    hr_ax, speed_ax = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    altitude_ax = speed_ax.twinx()
    span = (float(minutes[0]), max(float(minutes[-1]), float(minutes[0]) + 1e-3))
    hr_ax.set(xlim=span, ylim=padded_limits(measured, predicted), ylabel="bpm", title=title)
    speed_ax.set(ylim=padded_limits(speed), xlabel="elapsed (min)")
    speed_ax.set_ylabel("speed (km/h)", color="tab:orange")
    altitude_ax.set_ylim(padded_limits(altitude))
    altitude_ax.set_ylabel("altitude (m)", color="tab:brown")
    # (line, the values it grows into), measured over predicted so the truth stays readable
    tracks = [
        (hr_ax.plot([], [], "k", linewidth=0.9, zorder=3, label="measured")[0], measured),
        (hr_ax.plot([], [], color="tab:blue", label="predicted")[0], predicted),
        (speed_ax.plot([], [], color="tab:orange")[0], speed),
        (altitude_ax.plot([], [], color="tab:brown")[0], altitude),
    ]
    hr_ax.legend(loc="upper left", fontsize=7)
    cursors = [ax.axvline(span[0], color="grey", linewidth=0.6) for ax in (hr_ax, speed_ax)]

    moving = [line for line, _ in tracks] + cursors
    for artist in moving:
        artist.set_animated(True)  # left out of the background
    canvas.draw()  # axes, ticks, labels and layout, once
    background = canvas.copy_from_bbox(figure.bbox)
    images = []
    for end in reveal_ends(len(series), frames):
        for line, values in tracks:
            line.set_data(minutes[:end], values[:end])
        for cursor in cursors:
            cursor.set_xdata([minutes[end - 1]] * 2)
        images.append(frame_image(canvas, background, moving))

    buffer = io.BytesIO()
    durations = [FRAME_MS] * (len(images) - 1) + [LAST_FRAME_MS]
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
    )
    return buffer.getvalue()
