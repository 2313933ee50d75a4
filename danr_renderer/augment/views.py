"""Target views for the offline augmentation: which (rotvec, translation) poses each image gets.

A view is a pose in the eq. 2 convention, P' = R(rotvec) (P - translation), with P in the
source camera frame (OpenCV axes: x right, y down, z forward; units of the renderer's depth).

View specs (the `--views` option):

* ``paper4``: the paper's four views (§4.4) for every image: translation [0, 0, 0.3],
  rotvecs [-0.1, -0.15, 0], [0.1, -0.15, 0], [-0.1, 0.15, 0], [0.1, 0.15, 0].
* ``random1``: one of those four per image (the paper's COCO setting), drawn from a generator
  seeded by (seed, image id) so the choice does not depend on order, sharding or resuming.
* a JSON file holding either a list of explicit views, every one rendered for every image::

      [{"rotvec": [rx, ry, rz], "translation": [tx, ty, tz]}, ...]

  or a sampling rule, N views per image drawn uniformly per component from the ranges
  (again seeded by (seed, image id)); translation_range defaults to the paper's [0, 0, 0.3]::

      {"sample": N, "rotvec_range": [[lo, hi], [lo, hi], [lo, hi]],
       "translation_range": [[lo, hi], [lo, hi], [lo, hi]]}
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["View", "ViewPlan", "ViewSpecError", "PAPER_VIEWS", "parse_view_plan", "image_rng"]

Vector3 = tuple[float, float, float]

PAPER_TRANSLATION: Vector3 = (0.0, 0.0, 0.3)
PAPER_ROTVECS: tuple[Vector3, ...] = (
    (-0.1, -0.15, 0.0),
    (0.1, -0.15, 0.0),
    (-0.1, 0.15, 0.0),
    (0.1, 0.15, 0.0),
)


class ViewSpecError(ValueError):
    """A --views value or view file that cannot be used (the message names it and why)."""


@dataclass(frozen=True)
class View:
    """One target pose. index: its number among the image's views (in file names: _v<index>)."""

    index: int
    rotvec: Vector3
    translation: Vector3


PAPER_VIEWS: tuple[View, ...] = tuple(
    View(index, rotvec, PAPER_TRANSLATION) for index, rotvec in enumerate(PAPER_ROTVECS)
)


def image_rng(seed: int, image_id: int, stream: int) -> np.random.Generator:
    """A generator owned by one (seed, image id, purpose) triple, independent of run order."""
    mask = (1 << 64) - 1
    return np.random.default_rng([seed & mask, image_id & mask, stream])


_VIEW_STREAM = 1  # the stream number of image_rng used for view choices


@dataclass(frozen=True)
class ViewPlan:
    """Which views each image gets.

    mode: "all" (every view in `views`), "one_of" (one of `views` per image, keeping its
    index) or "sample" (`sample_count` views drawn from the ranges, indices 0..N-1).
    """

    mode: str
    views: tuple[View, ...] = ()
    sample_count: int = 0
    rotvec_range: tuple[tuple[float, float], ...] = ()
    translation_range: tuple[tuple[float, float], ...] = ()

    def views_for(self, image_id: int, seed: int) -> list[View]:
        """The views of one source image; a pure function of (plan, image_id, seed)."""
        if self.mode == "all":
            return list(self.views)
        rng = image_rng(seed, image_id, _VIEW_STREAM)
        if self.mode == "one_of":
            return [self.views[int(rng.integers(len(self.views)))]]
        rot_lo, rot_hi = np.array(self.rotvec_range).T
        trans_lo, trans_hi = np.array(self.translation_range).T
        views = []
        for index in range(self.sample_count):
            rotvec = rng.uniform(rot_lo, rot_hi)
            translation = rng.uniform(trans_lo, trans_hi)
            views.append(View(index, tuple(map(float, rotvec)), tuple(map(float, translation))))
        return views

    def max_views(self) -> int:
        return {"all": len(self.views), "one_of": 1, "sample": self.sample_count}[self.mode]

    def describe(self) -> dict:
        """Plain-data description (stored in the run manifest and the output's info)."""
        if self.mode == "sample":
            return {
                "mode": "sample",
                "sample": self.sample_count,
                "rotvec_range": [list(r) for r in self.rotvec_range],
                "translation_range": [list(r) for r in self.translation_range],
            }
        return {
            "mode": self.mode,
            "views": [{"rotvec": list(v.rotvec), "translation": list(v.translation)}
                      for v in self.views],
        }


def _vector(value, what: str, where: str) -> Vector3:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 3
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value)
        or not all(math.isfinite(x) for x in value)
    ):
        raise ViewSpecError(f"{where}: {what} must be 3 finite numbers, got {value!r}")
    return tuple(float(x) for x in value)


def _ranges(value, what: str, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ViewSpecError(f"{where}: {what} must be 3 [lo, hi] pairs, got {value!r}")
    pairs = []
    for axis, pair in enumerate(value):
        if (
            not isinstance(pair, (list, tuple))
            or len(pair) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in pair)
            or not all(math.isfinite(x) for x in pair)
            or pair[0] > pair[1]
        ):
            raise ViewSpecError(
                f"{where}: {what}[{axis}] must be [lo, hi] with finite lo <= hi, got {pair!r}"
            )
        pairs.append((float(pair[0]), float(pair[1])))
    return tuple(pairs)


def _plan_from_document(document, where: str) -> ViewPlan:
    if isinstance(document, list):
        if not document:
            raise ViewSpecError(f"{where}: the view list is empty")
        views = []
        for index, entry in enumerate(document):
            if not isinstance(entry, dict) or set(entry) != {"rotvec", "translation"}:
                raise ViewSpecError(
                    f"{where}: view {index} must be an object with exactly 'rotvec' and "
                    f"'translation', got {entry!r}"
                )
            views.append(
                View(
                    index,
                    _vector(entry["rotvec"], f"view {index} rotvec", where),
                    _vector(entry["translation"], f"view {index} translation", where),
                )
            )
        return ViewPlan("all", tuple(views))
    if isinstance(document, dict) and "sample" in document:
        unknown = set(document) - {"sample", "rotvec_range", "translation_range"}
        if unknown:
            raise ViewSpecError(f"{where}: unknown keys {sorted(unknown)}")
        count = document["sample"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ViewSpecError(f"{where}: 'sample' must be an integer >= 1, got {count!r}")
        if "rotvec_range" not in document:
            raise ViewSpecError(f"{where}: a sampling rule needs 'rotvec_range'")
        translation_range = document.get(
            "translation_range", [[t, t] for t in PAPER_TRANSLATION]
        )
        return ViewPlan(
            "sample",
            sample_count=count,
            rotvec_range=_ranges(document["rotvec_range"], "rotvec_range", where),
            translation_range=_ranges(translation_range, "translation_range", where),
        )
    raise ViewSpecError(
        f"{where}: expected a list of {{'rotvec', 'translation'}} views or an object with "
        "'sample' and 'rotvec_range'"
    )


def parse_view_plan(spec: str) -> ViewPlan:
    """'paper4', 'random1' or the path of a JSON view file (schema in the module docstring)."""
    if spec == "paper4":
        return ViewPlan("all", PAPER_VIEWS)
    if spec == "random1":
        return ViewPlan("one_of", PAPER_VIEWS)
    path = Path(spec)
    if not path.is_file():
        raise ViewSpecError(
            f"--views {spec!r}: not 'paper4', 'random1' or an existing JSON view file"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ViewSpecError(f"{path}: malformed JSON ({error})") from None
    return _plan_from_document(document, str(path))
