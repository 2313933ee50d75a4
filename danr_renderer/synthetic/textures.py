"""Procedural textures of the synthetic scenes, evaluated on surface coordinates.

A texture is a pure function of a surface point's 2D coordinates (s, t), in metres, in the
frame of the surface it lies on (a room face, an object's box face, a cylinder's side or cap).
It never sees the camera, so a surface point has the same albedo from every view.

Randomness lives in the `Material`: colours, scales and a lattice of uniform random values
that serves both as the value-noise lattice and as a per-cell hash (tile jitter, glyphs).
Noise is value noise (smoothstep-interpolated lattice values) summed over octaves (fBm).
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import torch

__all__ = [
    "Material", "make_material", "photo_material", "random_color", "texture_albedo", "TEXTURE_KINDS",
]

LATTICE_SIZE = 64  # a power of two


@dataclass(frozen=True, eq=False)
class Material:
    """A procedural texture, or a photograph tiled over the surface (kind "photo").

    Attributes:
        kind: one of TEXTURE_KINDS, or "photo".
        colors: (k, 3) float RGB in [0, 1]; what each colour means depends on the kind.
        params: kind-specific scalars (scales in metres, angles in radians).
        lattice: (LATTICE_SIZE + 1, LATTICE_SIZE + 1) float32 uniform [0, 1) values, the
            material's own noise; the last row and column repeat the first (the lattice tiles
            the plane, and one flat index then reaches all four corners of a cell).
    """

    kind: str
    colors: np.ndarray
    params: Mapping[str, float] = field(default_factory=dict)
    lattice: np.ndarray = field(
        default_factory=lambda: np.zeros((LATTICE_SIZE + 1, LATTICE_SIZE + 1), np.float32)
    )
    image: np.ndarray | None = None


def make_material(rng: np.random.Generator, kind: str, colors, **params: float) -> Material:
    """A material of `kind` with its own noise lattice drawn from `rng`."""
    if kind not in TEXTURE_KINDS:
        raise ValueError(f"unknown texture kind {kind!r}; expected one of {sorted(TEXTURE_KINDS)}")
    colors = np.clip(np.asarray(colors, dtype=np.float32).reshape(-1, 3), 0.0, 1.0)
    lattice = np.pad(
        rng.random((LATTICE_SIZE, LATTICE_SIZE)).astype(np.float32), ((0, 1), (0, 1)), mode="wrap"
    )
    params = {name: float(value) for name, value in params.items()}
    return Material(kind=kind, colors=colors, params=params, lattice=lattice)


def photo_material(image: np.ndarray, size: float) -> Material:
    """A material showing `image` ((h, w, 3) RGB in [0, 1], h, w >= 2) over `size` metres of
    surface in s and t, tiled by mirroring so that the tiles meet without seams."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 2:
        raise ValueError(f"photo_material: expected an (h, w, 3) image with h, w >= 2, got {image.shape}")
    if not size > 0:
        raise ValueError(f"photo_material: size must be positive, got {size}")
    return Material(kind="photo", colors=np.zeros((0, 3), np.float32), params={"size": float(size)},
                    image=np.clip(image, 0.0, 1.0))


def random_color(
    rng: np.random.Generator,
    hue: tuple[float, float] = (0.0, 1.0),
    saturation: tuple[float, float] = (0.0, 1.0),
    value: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """(3,) RGB in [0, 1] from HSV ranges (hue in turns; a range may wrap, e.g. (0.9, 1.1))."""
    h = rng.uniform(*hue) % 1.0
    return np.array(colorsys.hsv_to_rgb(h, rng.uniform(*saturation), rng.uniform(*value)))


# ---------------------------------------------------------------------------------------------
# Noise primitives. x, y are (N,) float tensors in lattice units.


def _cell_hash(lattice: torch.Tensor, ix: torch.Tensor, iy: torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) value of integer cell (ix, iy) from a padded (G + 1, G + 1) lattice;
    G is a power of two, so `& (G - 1)` is the (non-negative) modulo."""
    size = lattice.shape[0] - 1
    return lattice.reshape(-1)[(ix & (size - 1)) * (size + 1) + (iy & (size - 1))]


def _value_noise(lattice: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Smooth noise in [0, 1]: smoothstep-interpolated values of the padded lattice, whose
    wrapped last row and column let one flat index reach all four corners of a cell."""
    size = lattice.shape[0] - 1
    flat = lattice.reshape(-1)
    x0, y0 = torch.floor(x), torch.floor(y)
    fx, fy = x - x0, y - y0
    fx, fy = fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy)
    index = (x0.long() & (size - 1)) * (size + 1) + (y0.long() & (size - 1))
    v00, v01, v10, v11 = flat[
        torch.stack([index, index + 1, index + (size + 1), index + (size + 2)])
    ]
    top = v00 + (v10 - v00) * fx
    bottom = v01 + (v11 - v01) * fx
    return top + (bottom - top) * fy


def _fbm(lattice: torch.Tensor, x: torch.Tensor, y: torch.Tensor, octaves: int = 3) -> torch.Tensor:
    """Fractal sum of value noise, normalised to [0, 1]."""
    total = torch.zeros_like(x)
    amplitude, frequency, norm = 1.0, 1.0, 0.0
    for octave in range(octaves):
        offset = 17.3 * octave  # decorrelates the octaves, which share one lattice
        total = total + amplitude * _value_noise(
            lattice, x * frequency + offset, y * frequency - offset
        )
        norm += amplitude
        amplitude *= 0.5
        frequency *= 2.0
    return total / norm


def _fract(x: torch.Tensor) -> torch.Tensor:
    """x - floor(x), in [0, 1) for negative x too (torch.frac truncates towards zero)."""
    return x - torch.floor(x)


def _lerp(colors: torch.Tensor, a: int, b: int, weight: torch.Tensor) -> torch.Tensor:
    """(N, 3) blend of colours a and b by weight (N,) in [0, 1]."""
    return colors[a] + (colors[b] - colors[a]) * weight[:, None]


def _rotate(s: torch.Tensor, t: torch.Tensor, angle: float) -> tuple[torch.Tensor, torch.Tensor]:
    c, n = math.cos(angle), math.sin(angle)
    return s * c + t * n, -s * n + t * c


# ---------------------------------------------------------------------------------------------
# Texture kinds: (padded lattice (G + 1, G + 1), colors (k, 3), params, s (N,), t (N,))
# -> albedo (N, 3).


def _plain(lattice, colors, p, s, t):
    """colors[0] with a faint mottling of relative strength p['grain']."""
    noise = _fbm(lattice, s * p["frequency"], t * p["frequency"], octaves=2)
    return colors[0] * (1.0 + p["grain"] * (noise[:, None] - 0.5))


def _noise(lattice, colors, p, s, t):
    """Cloudy blend of colors[0] and colors[1]."""
    noise = _fbm(lattice, s * p["frequency"], t * p["frequency"], octaves=3)
    return _lerp(colors, 0, 1, torch.clamp((noise - 0.5) * p["contrast"] + 0.5, 0.0, 1.0))


def _stripes(lattice, colors, p, s, t):
    """Stripes of colors[0] (duty fraction) and colors[1], period in metres, at an angle."""
    x, y = _rotate(s, t, p["angle"])
    band = _fract(x / p["period"]) < p["duty"]
    grain = _fbm(lattice, x * 8.0, y * 8.0)
    albedo = torch.where(band[:, None], colors[0], colors[1])
    return albedo * (1.0 + 0.15 * (grain[:, None] - 0.5))


def _tiles(lattice, colors, p, s, t):
    """Tiles of size (tile_s, tile_t) split by grout lines of colors[2].

    Each tile's colour is colors[0] / colors[1] in a checkerboard when p['checker'] > 0,
    else a random blend of the two (per-tile colour jitter).
    """
    x, y = s / p["tile_s"], t / p["tile_t"]
    ix, iy = torch.floor(x).long(), torch.floor(y).long()
    cell = _cell_hash(lattice, ix, iy)
    if p["checker"] > 0:
        weight = ((ix + iy) % 2).to(s.dtype) * 0.85 + 0.15 * cell
    else:
        weight = cell
    albedo = _lerp(colors, 0, 1, weight)
    gx = _fract(x) * p["tile_s"]
    gy = _fract(y) * p["tile_t"]
    grout = (gx < p["grout"]) | (gy < p["grout"])
    return torch.where(grout[:, None], colors[2], albedo)


def _gradient(lattice, colors, p, s, t):
    """Linear ramp from colors[0] to colors[1] over `length` metres along `angle`, plus grain."""
    x, y = _rotate(s, t, p["angle"])
    weight = torch.clamp(x / p["length"] + p["offset"], 0.0, 1.0)
    grain = _fbm(lattice, x * 6.0, y * 6.0)
    return _lerp(colors, 0, 1, weight) * (1.0 + 0.12 * (grain[:, None] - 0.5))


def _wood(lattice, colors, p, s, t):
    """Grain lines along `angle`: rings of colors[1] on colors[0], warped by noise, in planks."""
    x, y = _rotate(s, t, p["angle"])
    warp = _fbm(lattice, x * 1.5, y * 6.0)
    rings = _fract((y + p["warp"] * warp) * p["ring_frequency"])
    weight = rings * rings
    plank = torch.floor(y / p["plank_width"]).long()
    plank_tone = _cell_hash(lattice, plank, plank * 7 + 3)
    albedo = _lerp(colors, 0, 1, weight) * (0.85 + 0.3 * plank_tone[:, None])
    seam = _fract(y / p["plank_width"]) * p["plank_width"] < 0.006
    return torch.where(seam[:, None], colors[1] * 0.6, albedo)


def _text(lattice, colors, p, s, t):
    """A sign: colors[0] background, lines of glyph blocks in colors[1], inside a margin.

    (s, t) run from 0 to (width, height) over the face; the glyph rows are centred vertically.
    """
    margin = p["margin"]
    inside = (s > margin) & (s < p["width"] - margin) & (t > margin) & (t < p["height"] - margin)
    line_height = p["line_height"]
    y = (t - margin) / line_height
    line = torch.floor(y).long()
    in_band = (_fract(y) > 0.2) & (_fract(y) < 0.8)
    glyph = torch.floor((s - margin) / (0.6 * line_height)).long()
    in_glyph = _fract((s - margin) / (0.6 * line_height)) < 0.8
    ink = _cell_hash(lattice, glyph, line) < p["ink"]
    text = inside & in_band & in_glyph & ink & (line < p["lines"])
    border = ~(
        (s > margin * 0.4)
        & (s < p["width"] - margin * 0.4)
        & (t > margin * 0.4)
        & (t < p["height"] - margin * 0.4)
    )
    albedo = torch.where(text[:, None], colors[1], colors[0].expand(s.shape[0], 3))
    return torch.where((border & (p["border"] > 0))[:, None], colors[1], albedo)


def _screen(lattice, colors, p, s, t):
    """A lit display: blocks of the palette colors[1:] on a colors[0] desktop, vertical ramp."""
    x, y = s / p["block"], t / (p["block"] * 0.6)
    ix, iy = torch.floor(x).long(), torch.floor(y).long()
    cell = _cell_hash(lattice, ix, iy)
    palette = colors[1:]
    pick = torch.clamp((cell * palette.shape[0]).long(), max=palette.shape[0] - 1)
    albedo = torch.where(
        (cell < p["fill"])[:, None], palette[pick], colors[0].expand(s.shape[0], 3)
    )
    gap = (_fract(x) < 0.08) | (_fract(y) < 0.1)
    albedo = torch.where(gap[:, None], colors[0].expand(s.shape[0], 3), albedo)
    ramp = 0.8 + 0.2 * torch.clamp(t / p["height"], 0.0, 1.0)
    return albedo * ramp[:, None]


def _clock(lattice, colors, p, s, t):
    """Clock face centred at (0, 0): colors[0] dial, colors[1] ring, ticks and two hands."""
    radius = p["radius"]
    r = torch.sqrt(s * s + t * t)
    angle = torch.atan2(t, s)
    ring = r > 0.9 * radius
    tick_phase = torch.remainder(angle + math.pi / 12.0, math.pi / 6.0) - math.pi / 12.0
    tick = (r > 0.72 * radius) & (r * tick_phase.abs() < 0.025 * radius)
    hands = torch.zeros_like(ring)
    for hand_angle, length, width in ((p["hour"], 0.5, 0.05), (p["minute"], 0.8, 0.03)):
        ux, uy = math.cos(hand_angle), math.sin(hand_angle)
        along = s * ux + t * uy
        across = (-s * uy + t * ux).abs()
        hands = hands | (
            (along > -0.1 * radius) & (along < length * radius) & (across < width * radius)
        )
    mark = ring | tick | hands
    albedo = torch.where(mark[:, None], colors[1], colors[0].expand(s.shape[0], 3))
    return torch.where((ring & ~(r > 0.96 * radius))[:, None], colors[2], albedo)


TEXTURE_KINDS: dict[str, Callable] = {
    "plain": _plain,
    "noise": _noise,
    "stripes": _stripes,
    "tiles": _tiles,
    "gradient": _gradient,
    "wood": _wood,
    "text": _text,
    "screen": _screen,
    "clock": _clock,
}


def _mirrored_unit(x: torch.Tensor) -> torch.Tensor:
    """Triangle wave of period 2 with values in [0, 1]: 0 at even x, 1 at odd x."""
    return 1.0 - torch.abs(1.0 - torch.remainder(x, 2.0))


def _photo(image: torch.Tensor, size: float, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Bilinear samples (N, 3) of image (h, w, 3): s runs along its columns, t along its rows,
    the patch's corner pixel centres at multiples of `size`."""
    h, w = image.shape[:2]
    x = _mirrored_unit(s / size) * (w - 1)
    y = _mirrored_unit(t / size) * (h - 1)
    x0 = torch.clamp(torch.floor(x).long(), 0, w - 2)
    y0 = torch.clamp(torch.floor(y).long(), 0, h - 2)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def texture_albedo(material: Material, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Albedo (N, 3) in [0, 1] of `material` at surface coordinates s, t (N,) in metres."""
    if material.kind == "photo":
        image = torch.from_numpy(material.image).to(device=s.device, dtype=s.dtype)
        return torch.clamp(_photo(image, material.params["size"], s, t), 0.0, 1.0)
    lattice = torch.from_numpy(material.lattice).to(s.device)
    colors = torch.from_numpy(material.colors).to(device=s.device, dtype=s.dtype)
    albedo = TEXTURE_KINDS[material.kind](lattice, colors, material.params, s, t)
    return torch.clamp(albedo, 0.0, 1.0)
