"""Random materials for each role in a synthetic scene: room surfaces and each object class.

Every factory takes the scene's random generator and returns a fresh `Material` whose
colours and scales are jittered, so that no two instances share a texture. The families are
chosen to keep the classes apart (bright screens in dark bezels, saturated signs with glyph
rows, white clock dials, framed canvases, plastic bins, wooden or painted furniture).
"""

from __future__ import annotations

import numpy as np

from .textures import Material, make_material, random_color

__all__ = [
    "floor_material",
    "wall_material",
    "ceiling_material",
    "wood_or_paint_material",
    "panel_material",
    "metal_material",
    "screen_material",
    "canvas_material",
    "frame_material",
    "sign_material",
    "clock_face_material",
    "bin_side_material",
    "dark_material",
]


def _shade(rng: np.random.Generator, color: np.ndarray, spread: float) -> np.ndarray:
    """A nearby colour: each channel scaled by 1 +- spread."""
    return np.clip(color * rng.uniform(1.0 - spread, 1.0 + spread, size=3), 0.0, 1.0)


def _pastel(rng: np.random.Generator) -> np.ndarray:
    return random_color(rng, saturation=(0.0, 0.3), value=(0.6, 0.95))


def _wood_colors(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    light = random_color(rng, hue=(0.05, 0.11), saturation=(0.35, 0.7), value=(0.4, 0.85))
    return light, light * rng.uniform(0.55, 0.8)


def _wood(rng: np.random.Generator, plank_width: float) -> Material:
    light, dark = _wood_colors(rng)
    return make_material(
        rng,
        "wood",
        [light, dark],
        angle=float(rng.choice([0.0, np.pi / 2])) + rng.normal(0, 0.02),
        warp=rng.uniform(0.01, 0.05),
        ring_frequency=rng.uniform(15.0, 40.0),
        plank_width=plank_width,
    )


def floor_material(rng: np.random.Generator) -> Material:
    """Tiles (checker or jittered), wooden planks or carpet."""
    kind = rng.integers(3)
    if kind == 0:
        tile = rng.uniform(0.25, 0.6)
        base = random_color(rng, saturation=(0.0, 0.35), value=(0.3, 0.9))
        return make_material(
            rng,
            "tiles",
            [base, _shade(rng, base, 0.35), base * rng.uniform(0.3, 0.7)],
            tile_s=tile,
            tile_t=tile,
            grout=rng.uniform(0.005, 0.02),
            checker=float(rng.random() < 0.5),
        )
    if kind == 1:
        return _wood(rng, plank_width=rng.uniform(0.1, 0.25))
    base = random_color(rng, saturation=(0.1, 0.5), value=(0.2, 0.6))
    return make_material(
        rng,
        "noise",
        [base, _shade(rng, base, 0.4)],
        frequency=rng.uniform(6.0, 20.0),
        contrast=rng.uniform(1.0, 2.5),
    )


def wall_material(rng: np.random.Generator) -> Material:
    """Painted plaster, wallpaper stripes, a soft gradient or mottled paint, in light tones."""
    base = _pastel(rng)
    kind = rng.integers(4)
    if kind == 0:
        return make_material(
            rng, "plain", [base], frequency=rng.uniform(2.0, 8.0), grain=rng.uniform(0.05, 0.2)
        )
    if kind == 1:
        return make_material(
            rng,
            "stripes",
            [base, _shade(rng, base, 0.15)],
            angle=0.0,
            period=rng.uniform(0.05, 0.4),
            duty=rng.uniform(0.2, 0.8),
        )
    if kind == 2:
        return make_material(
            rng,
            "gradient",
            [base, _shade(rng, base, 0.3)],
            angle=rng.uniform(0, 2 * np.pi),
            length=rng.uniform(2.0, 6.0),
            offset=rng.uniform(-0.5, 0.5),
        )
    return make_material(
        rng,
        "noise",
        [base, _shade(rng, base, 0.2)],
        frequency=rng.uniform(1.0, 5.0),
        contrast=rng.uniform(1.0, 2.0),
    )


def ceiling_material(rng: np.random.Generator) -> Material:
    """Suspended-ceiling tiles or plain white paint."""
    white = random_color(rng, saturation=(0.0, 0.08), value=(0.8, 1.0))
    if rng.random() < 0.5:
        tile = rng.uniform(0.5, 0.7)
        return make_material(
            rng,
            "tiles",
            [white, _shade(rng, white, 0.05), white * 0.6],
            tile_s=tile,
            tile_t=tile,
            grout=rng.uniform(0.01, 0.03),
            checker=0.0,
        )
    return make_material(rng, "plain", [white], frequency=3.0, grain=0.05)


def wood_or_paint_material(rng: np.random.Generator) -> Material:
    """Furniture surface: wood grain or painted/laminated board."""
    if rng.random() < 0.5:
        return _wood(rng, plank_width=rng.uniform(0.3, 2.0))
    base = random_color(rng, saturation=(0.0, 0.45), value=(0.3, 0.95))
    return make_material(
        rng, "plain", [base], frequency=rng.uniform(3.0, 10.0), grain=rng.uniform(0.03, 0.15)
    )


def panel_material(
    rng: np.random.Generator, body: Material, width: float, height: float
) -> Material:
    """Cabinet front: door panels (1-2 columns, 1-4 rows) in the body's colour, dark seams."""
    base = body.colors[0]
    columns, rows = int(rng.integers(1, 3)), int(rng.integers(1, 5))
    return make_material(
        rng,
        "tiles",
        [base, _shade(rng, base, 0.1), base * 0.35],
        tile_s=width / columns,
        tile_t=height / rows,
        grout=rng.uniform(0.008, 0.02),
        checker=0.0,
    )


def metal_material(rng: np.random.Generator) -> Material:
    """Brushed grey, chrome or black metal (handles, legs, stands)."""
    base = random_color(rng, saturation=(0.0, 0.1), value=(0.08, 0.75))
    return make_material(rng, "plain", [base], frequency=30.0, grain=0.1)


def dark_material(rng: np.random.Generator) -> Material:
    """Near-black plastic (monitor bezels, the opening of a bin)."""
    base = random_color(rng, saturation=(0.0, 0.2), value=(0.02, 0.15))
    return make_material(rng, "plain", [base], frequency=10.0, grain=0.2)


def screen_material(rng: np.random.Generator, width: float, height: float) -> Material:
    """A lit screen: saturated blocks on a dark or coloured desktop."""
    desktop = random_color(rng, saturation=(0.4, 1.0), value=(0.1, 0.5))
    palette = [
        random_color(rng, saturation=(0.5, 1.0), value=(0.7, 1.0))
        for _ in range(rng.integers(2, 5))
    ]
    return make_material(
        rng,
        "screen",
        [desktop, *palette],
        block=rng.uniform(0.03, 0.12) * width / 0.5,
        fill=rng.uniform(0.3, 0.8),
        height=height,
    )


def canvas_material(rng: np.random.Generator, width: float, height: float) -> Material:
    """A picture: colourful clouds, a gradient, bold stripes or blocks of colour."""
    colors = [random_color(rng, saturation=(0.3, 1.0), value=(0.3, 1.0)) for _ in range(3)]
    kind = rng.integers(4)
    if kind == 0:
        return make_material(
            rng,
            "noise",
            colors[:2],
            frequency=rng.uniform(2.0, 8.0),
            contrast=rng.uniform(1.5, 3.0),
        )
    if kind == 1:
        return make_material(
            rng,
            "gradient",
            colors[:2],
            angle=rng.uniform(0, 2 * np.pi),
            length=max(width, height),
            offset=rng.uniform(-0.2, 0.2),
        )
    if kind == 2:
        return make_material(
            rng,
            "stripes",
            colors[:2],
            angle=rng.uniform(0, np.pi),
            period=rng.uniform(0.05, 0.25),
            duty=rng.uniform(0.3, 0.7),
        )
    return make_material(
        rng,
        "tiles",
        colors,
        tile_s=width / rng.integers(2, 5),
        tile_t=height / rng.integers(2, 5),
        grout=rng.uniform(0.005, 0.02),
        checker=0.0,
    )


def frame_material(rng: np.random.Generator) -> Material:
    """Picture frame: black, white, gilt or wooden."""
    kind = rng.integers(4)
    if kind == 3:
        return _wood(rng, plank_width=1.0)
    value = {0: (0.02, 0.15), 1: (0.85, 1.0), 2: (0.6, 0.85)}[int(kind)]
    saturation = (0.5, 0.8) if kind == 2 else (0.0, 0.1)
    base = random_color(rng, hue=(0.1, 0.15), saturation=saturation, value=value)
    return make_material(rng, "plain", [base], frequency=20.0, grain=0.1)


def sign_material(rng: np.random.Generator, width: float, height: float) -> Material:
    """A saturated sign plate (mostly green, red or blue) with 1-2 rows of pale glyphs."""
    hue = float(rng.choice([0.33, 0.0, 0.6, 0.12])) + rng.normal(0.0, 0.02)
    background = random_color(rng, hue=(hue, hue), saturation=(0.7, 1.0), value=(0.55, 0.95))
    ink = random_color(rng, saturation=(0.0, 0.1), value=(0.9, 1.0))
    lines = int(rng.integers(1, 3))
    margin = rng.uniform(0.1, 0.2) * height
    return make_material(
        rng,
        "text",
        [background, ink],
        width=width,
        height=height,
        margin=margin,
        line_height=(height - 2 * margin) / lines,
        lines=lines,
        ink=rng.uniform(0.5, 0.9),
        border=float(rng.random() < 0.5),
    )


def clock_face_material(rng: np.random.Generator, radius: float) -> Material:
    """A white or cream dial with dark ticks and hands; the ring colour is random."""
    dial = random_color(rng, hue=(0.1, 0.15), saturation=(0.0, 0.15), value=(0.88, 1.0))
    marks = random_color(rng, saturation=(0.0, 0.3), value=(0.0, 0.2))
    ring = random_color(rng, saturation=(0.0, 1.0), value=(0.1, 0.9))
    return make_material(
        rng,
        "clock",
        [dial, marks, ring],
        radius=radius,
        hour=rng.uniform(0, 2 * np.pi),
        minute=rng.uniform(0, 2 * np.pi),
    )


def bin_side_material(rng: np.random.Generator) -> Material:
    """Plastic or metal waste bin: vertical ribs or plain, in a saturated or grey colour."""
    if rng.random() < 0.7:
        base = random_color(rng, saturation=(0.5, 1.0), value=(0.3, 0.9))
    else:
        base = random_color(rng, saturation=(0.0, 0.1), value=(0.2, 0.7))
    if rng.random() < 0.6:
        return make_material(
            rng,
            "stripes",
            [base, base * rng.uniform(0.6, 0.85)],
            angle=0.0,
            period=rng.uniform(0.02, 0.06),
            duty=rng.uniform(0.3, 0.7),
        )
    return make_material(rng, "plain", [base], frequency=8.0, grain=0.1)
