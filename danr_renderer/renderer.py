"""The DANR neural renderer: one image + its intrinsics + a target pose -> the novel view.

Pipeline (paper §3.1-3.2, Fig. 2), for a source image (B, 3, H, W) in [0, 1]:

    features = encoder(image')                  (B, C, H, W), image' = 2 image - 1
    depth    = depth_net(image')                (B, 1, H, W) in (min_depth, max_depth)
    points   = unproject(depth, K)              eq. 1, source camera frame, (B, H*W, 3)
    points'  = transform_points(points, R, T)   eq. 2, P' = R (P - T)
    uvz      = project(points', K_s)            eq. 3 with K_s = scale_intrinsics(K, s, s)
    palette  = splat_points(uvz, features, (sH, sW), radius = splat_radius * s, K points/pixel)
    novel    = decoder(palette.image)           (B, 3, sH, sW) in [0, 1]

`render_scale` s is PointSS (appendix C): the points are splatted on a palette s times larger
than the source image and the decoder renders at that size. The splat radius is given in
source-image pixels and multiplied by s on the palette: neighbouring points land s palette
pixels apart, so scaling the radius keeps the same overlap between splats (no holes opening
at s = 2) and the same number of candidates per pixel, so points_per_pixel needs no change.
The paper's setting is r = 4, K = 128.
"""
from __future__ import annotations

import inspect
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .atomic_io import atomic_write_bytes
from .checks import as_tensor, check_shape, check_unit_image
from .geometry import project, rotvec_to_matrix, scale_intrinsics, transform_points, unproject
from .networks import FeatureEncoder, HourglassDepthNet, ImageDecoder, LiteDepthNet
from .splatting import BACKENDS, FALLOFFS, splat_points

__all__ = ["RenderOutput", "NovelViewRenderer", "COMPOSITES", "DEPTH_NETS"]

COMPOSITES = ("decoder", "over")
DEPTH_NETS = ("hourglass", "lite0")


@dataclass
class RenderOutput:
    """What the renderer returns.

    image: (B, 3, sH, sW) the novel view, RGB in [0, 1].
    depth: (B, 1, H, W) predicted z-depth of the source image (for `render_views`: (1, 1, H, W),
        shared by all views).
    alpha: (B, 1, sH, sW) splat coverage of the target palette in [0, 1]; 0 = no point reached.
    points: (B, H*W, 3) every source pixel's (u, v, z) in the target palette's pixel frame
        (row-major source order), the positions that carry box keypoints to the new view.
    """

    image: torch.Tensor
    depth: torch.Tensor
    alpha: torch.Tensor
    points: torch.Tensor


_WHERE = "NovelViewRenderer"


def _cameras(batch: int, K, R, T) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """K, R, T as (batch, 3, 3), (batch, 3, 3), (batch, 3) tensors. Numpy arrays are accepted,
    and an unbatched K (3, 3), R (3, 3) or T (3,) is shared by the whole batch."""
    cameras = []
    for name, value, single in (("K", K, (3, 3)), ("R", R, (3, 3)), ("T", T, (3,))):
        value = as_tensor(_WHERE, name, value)
        if value.dim() == len(single):
            value = value.expand(batch, *single)
        check_shape(_WHERE, name, value, (batch, *single))
        cameras.append(value)
    return tuple(cameras)


def _centred_image(image) -> torch.Tensor:
    """The checked image (B, 3, H, W) in [0, 1] mapped to [-1, 1], the networks' input range."""
    image = as_tensor(_WHERE, "image", image, (None, 3, None, None))
    check_unit_image(_WHERE, "image", image)
    return image * 2.0 - 1.0


class NovelViewRenderer(nn.Module):
    """Differentiable novel-view renderer (encoder + hourglass depth + splatter + decoder).

    Args:
        feature_channels: C, channels per point (paper: 64).
        encoder_widths, decoder_widths: block widths per level of `FeatureEncoder` / `ImageDecoder`.
        depth_net: "hourglass" (paper): `HourglassDepthNet`, learnt from scratch; "lite0"
            (beyond the paper): `LiteDepthNet`, an EfficientNet-Lite0 trunk whose ImageNet
            weights `LiteDepthNet.load_imagenet` loads (a training's `depth_init`), the depth
            net for real photographs.
        depth_base_channels, depth_levels, depth_max_channels: `HourglassDepthNet` size
            (paper: level 4, at most 256 channels); unused by "lite0".
        min_depth, max_depth: bounds of the predicted depth, in the units of the poses' T.
        splat_radius: splat radius in source-image pixels (palette radius = splat_radius * s).
        points_per_pixel: K nearest points composited per palette pixel.
        falloff: "linear" (paper) or "quadratic"; splat_backend: "auto", "native", "pytorch3d".
        render_scale: s, integer >= 1; the novel view is (sH, sW) (PointSS).
        splat_rgb: also carry each point's own colour (3 extra channels, the source image in
            [-1, 1]) through the splatter to the decoder. Not in the paper; it lets a small
            decoder trained briefly (CPU) copy visible colours instead of re-learning them from
            features, and leaves it to inpaint holes. Off by default (paper setting).
        composite: "decoder" (paper): the decoder renders every pixel. "over" (needs splat_rgb):
            the splatted source colours are composited over the decoder's image,
            image = P + (1 - alpha) * decoded with P the alpha-premultiplied splatted colour, so
            the decoder only paints where points do not fully cover a pixel (holes,
            disocclusions, the border the camera motion reveals). Sharp where the geometry is
            right after little training; gradients still reach the depth net through P and alpha.
    """

    def __init__(
        self,
        feature_channels: int = 64,
        encoder_widths: tuple[int, ...] = (32, 64),
        decoder_widths: tuple[int, ...] = (64, 128, 128),
        depth_base_channels: int = 32,
        depth_levels: int = 4,
        depth_max_channels: int = 256,
        min_depth: float = 1.0,
        max_depth: float = 10.0,
        splat_radius: float = 4.0,
        points_per_pixel: int = 128,
        falloff: str = "linear",
        splat_backend: str = "auto",
        render_scale: int = 1,
        splat_rgb: bool = False,
        composite: str = "decoder",
        depth_net: str = "hourglass",
    ):
        super().__init__()
        if int(render_scale) != render_scale or render_scale < 1:
            raise ValueError(f"NovelViewRenderer: render_scale must be an integer >= 1, got {render_scale}")
        if splat_radius <= 0 or points_per_pixel < 1:
            raise ValueError(
                f"NovelViewRenderer: need splat_radius > 0 and points_per_pixel >= 1, "
                f"got {splat_radius} and {points_per_pixel}"
            )
        if composite not in COMPOSITES or (composite == "over" and not splat_rgb):
            raise ValueError(f"NovelViewRenderer: composite must be one of {COMPOSITES} "
                             f"('over' needs splat_rgb=True), got {composite!r}")
        if depth_net not in DEPTH_NETS:
            raise ValueError(f"NovelViewRenderer: depth_net must be one of {DEPTH_NETS}, got {depth_net!r}")
        if falloff not in FALLOFFS or splat_backend not in BACKENDS:
            raise ValueError(
                f"NovelViewRenderer: falloff must be one of {FALLOFFS} and splat_backend one of "
                f"{BACKENDS}, got {falloff!r} and {splat_backend!r}"
            )
        self._config = {
            "feature_channels": int(feature_channels),
            "encoder_widths": [int(w) for w in encoder_widths],
            "decoder_widths": [int(w) for w in decoder_widths],
            "depth_base_channels": int(depth_base_channels),
            "depth_levels": int(depth_levels),
            "depth_max_channels": int(depth_max_channels),
            "min_depth": float(min_depth),
            "max_depth": float(max_depth),
            "splat_radius": float(splat_radius),
            "points_per_pixel": int(points_per_pixel),
            "falloff": str(falloff),
            "splat_backend": str(splat_backend),
            "render_scale": int(render_scale),
            "splat_rgb": bool(splat_rgb),
            "composite": str(composite),
            "depth_net": str(depth_net),
        }
        self.encoder = FeatureEncoder(3, feature_channels, encoder_widths)
        if depth_net == "lite0":
            self.depth_net = LiteDepthNet(min_depth=min_depth, max_depth=max_depth)
        else:
            self.depth_net = HourglassDepthNet(3, depth_base_channels, depth_levels, depth_max_channels,
                                               min_depth, max_depth)
        self.decoder = ImageDecoder(feature_channels + (3 if splat_rgb else 0), 3, decoder_widths)

    # ---------------------------------------------------------------- configuration and files
    def to_config(self) -> dict[str, Any]:
        """Constructor arguments as plain data (ints, floats, strings, lists)."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in self._config.items()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "NovelViewRenderer":
        """Inverse of `to_config`; missing keys take their defaults."""
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
        unknown = set(config) - accepted
        if unknown:
            raise ValueError(f"NovelViewRenderer.from_config: unknown keys {sorted(unknown)}")
        return cls(**config)

    def save_checkpoint(self, path: str | Path, extra: dict[str, Any] | None = None) -> None:
        """Write {"config", "state_dict"[, "extra"]} — plain data and tensors only, loadable with
        torch.load(weights_only=True). `extra` must be plain data too. The write is atomic."""
        path = Path(path)
        payload: dict[str, Any] = {
            "config": self.to_config(),
            "state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()},
        }
        if extra is not None:
            payload["extra"] = extra
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load_checkpoint(cls, path: str | Path, map_location: str | torch.device = "cpu") -> "NovelViewRenderer":
        """Build a renderer from a file written by `save_checkpoint` (safe: weights_only)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"NovelViewRenderer: checkpoint {path} does not exist")
        payload = torch.load(path, map_location=map_location, weights_only=True)
        if not isinstance(payload, dict) or "config" not in payload or "state_dict" not in payload:
            raise ValueError(f"NovelViewRenderer: {path} is not a renderer checkpoint "
                             "(expected a dict with 'config' and 'state_dict')")
        renderer = cls.from_config(payload["config"])
        try:
            renderer.load_state_dict(payload["state_dict"])
        except RuntimeError as error:
            raise ValueError(f"NovelViewRenderer: weights in {path} do not fit its config: {error}") from error
        return renderer.to(map_location)

    # ---------------------------------------------------------------- rendering
    @property
    def render_scale(self) -> int:
        return self._config["render_scale"]

    def encode(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image (B, 3, H, W) in [0, 1] -> point features (B, C', H, W), depth (B, 1, H, W).

        C' = C, or C + 3 with `splat_rgb` (the centred image appended)."""
        centred = _centred_image(image)
        features = self.encoder(centred)
        if self._config["splat_rgb"]:
            features = torch.cat([features, centred], dim=1)
        return features, self.depth_net(centred)

    def predict_depth(self, image: torch.Tensor) -> torch.Tensor:
        """image (B, 3, H, W) in [0, 1] -> predicted z-depth (B, 1, H, W), the depth `encode`
        gives, without running the encoder."""
        return self.depth_net(_centred_image(image))

    def render_from(self, features: torch.Tensor, depth: torch.Tensor, K: torch.Tensor,
                    R: torch.Tensor, T: torch.Tensor) -> RenderOutput:
        """Splat and decode precomputed source features (B, C, H, W) and depth (B, 1, H, W)
        for target poses R (B, 3, 3), T (B, 3); K (B, 3, 3) in source pixels (an unbatched
        K, R or T is shared by the batch)."""
        batch, _, height, width = features.shape
        K, R, T = (t.to(features) for t in _cameras(batch, K, R, T))
        scale = self.render_scale
        source_points = unproject(depth, K)
        target_points = project(transform_points(source_points, R, T), scale_intrinsics(K, scale, scale))
        splat = splat_points(
            target_points,
            features.flatten(2).transpose(1, 2),  # (B, H*W, C), same row-major order as unproject
            (scale * height, scale * width),
            radius=self._config["splat_radius"] * scale,
            points_per_pixel=self._config["points_per_pixel"],
            falloff=self._config["falloff"],
            backend=self._config["splat_backend"],
        )
        image = self.decoder(splat.image)
        if self._config["composite"] == "over":
            # The last 3 palette channels are sum_k w_k (2 f_k - 1) with sum_k w_k = alpha, so the
            # premultiplied colour sum_k w_k f_k in [0, alpha] is (channels + alpha) / 2.
            premultiplied = (splat.image[:, -3:] + splat.alpha) / 2
            image = premultiplied + (1.0 - splat.alpha) * image
        return RenderOutput(image, depth, splat.alpha, target_points)

    def forward(self, image: torch.Tensor, K: torch.Tensor, R: torch.Tensor,
                T: torch.Tensor) -> RenderOutput:
        """image (B, 3, H, W) float in [0, 1]; K (B, 3, 3) its pixel intrinsics; R (B, 3, 3),
        T (B, 3) the target pose in the eq. 2 convention (numpy arrays are accepted, and an
        unbatched K, R or T is shared by the batch). See `RenderOutput` for the result."""
        image = as_tensor(_WHERE, "image", image, (None, 3, None, None))
        _cameras(image.shape[0], K, R, T)  # bad cameras fail before any network runs
        features, depth = self.encode(image)  # checks the image's dtype and range
        return self.render_from(features, depth, K, R, T)

    def render_views(self, image: torch.Tensor, K: torch.Tensor, rotvecs: torch.Tensor,
                     translations: torch.Tensor, views_per_batch: int | None = None) -> RenderOutput:
        """Render V views of ONE image; the encoder and depth net run once.

        Args:
            image: (1, 3, H, W) or (3, H, W) float in [0, 1].
            K: (3, 3) or (1, 3, 3) its pixel intrinsics.
            rotvecs, translations: (V, 3) target poses (axis-angle r, translation T; eq. 2).
            views_per_batch: decode at most this many views per splat + decoder call (bounds
                memory); default all V at once. The result does not depend on it.
        Returns:
            RenderOutput with image/alpha/points of batch V and the shared depth (1, 1, H, W).
        """
        image = as_tensor(_WHERE, "image", image)
        if image.dim() == 3:
            image = image.unsqueeze(0)
        check_shape(_WHERE, "image", image, (1, 3, None, None))
        rotvecs = as_tensor(_WHERE, "rotvecs", rotvecs, (None, 3))
        translations = as_tensor(_WHERE, "translations", translations, (rotvecs.shape[0], 3))
        K = as_tensor(_WHERE, "K", K)
        if K.dim() == 2:
            K = K.unsqueeze(0)
        check_shape(_WHERE, "K", K, (1, 3, 3))
        views = rotvecs.shape[0]
        chunk = views if views_per_batch is None else int(views_per_batch)
        if views < 1 or chunk < 1:
            raise ValueError(f"{_WHERE}: need at least one view and views_per_batch >= 1, got "
                             f"{views} views and views_per_batch={views_per_batch}")
        features, depth = self.encode(image)
        rotations = rotvec_to_matrix(rotvecs.to(features))
        translations = translations.to(features)
        outputs = []
        for start in range(0, views, chunk):
            count = min(chunk, views - start)
            outputs.append(self.render_from(
                features.expand(count, -1, -1, -1), depth.expand(count, -1, -1, -1),
                K.expand(count, -1, -1), rotations[start:start + count],
                translations[start:start + count]))
        return RenderOutput(torch.cat([o.image for o in outputs]), depth,
                            torch.cat([o.alpha for o in outputs]), torch.cat([o.points for o in outputs]))
