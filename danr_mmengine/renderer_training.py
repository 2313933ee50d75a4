"""Training the DANR neural renderer with MMEngine's Runner.

Registered (in MMEngine's root registries, so configs find them under any default scope,
"mmengine" or "mmdet"):

* DATASETS `RealEstate10KPairs` — the pure-torch pair dataset of danr_renderer.
* MODELS `RendererDataPreprocessor` — stacks the per-sample tensors of mmengine's default
  `pseudo_collate` (and accepts already stacked batches) and moves them to the model's device.
* MODELS `DANRRendererModel` — NovelViewRenderer (the generator) + MultiscaleDiscriminator +
  the eq. 5 losses. `train_step` updates the generator, then the discriminator, from one
  rendering; it needs an `OptimWrapperDict` with keys "generator" and "discriminator", which
  `RendererOptimWrapperConstructor` builds. `val_step` / `test_step` return per-sample PSNR,
  SSIM and perceptual distance (eq. 7).
* OPTIM_WRAPPER_CONSTRUCTORS `RendererOptimWrapperConstructor`.
* METRICS `RendererMetric` — averages those per-sample values.
* HOOKS `ExportRendererHook` — stores the renderer's config in every training checkpoint and
  writes the code-free inference checkpoint (NovelViewRenderer.save_checkpoint) at the end of
  training; `export_renderer` does the same from a saved training checkpoint.

Distributed training: set `model_wrapper_cfg=dict(type="MMSeparateDistributedDataParallel")`
(each trainable child — generator, discriminator — gets its own DDP wrapper, as GAN training
with two optimisers needs). Every parameter of both nets takes part in every step, so
`find_unused_parameters=False` is correct.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseDataPreprocessor, BaseModel, is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import DATASETS, HOOKS, METRICS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS

from danr_renderer.data.realestate10k_dataset import RealEstate10KPairs
from danr_renderer.losses import DiscriminatorLoss, GeneratorLoss, depth_loss
from danr_renderer.metrics import perceptual_distance, psnr, ssim
from danr_renderer.networks import MultiscaleDiscriminator, VGG19Features
from danr_renderer.renderer import NovelViewRenderer, RenderOutput

__all__ = [
    "RendererDataPreprocessor",
    "DANRRendererModel",
    "RendererOptimWrapperConstructor",
    "RendererMetric",
    "ExportRendererHook",
    "export_renderer",
]

DATASETS.register_module(name="RealEstate10KPairs", module=RealEstate10KPairs)

# Keys of the training checkpoint's meta holding the generator's constructor config.
RENDERER_CONFIG_META_KEY = "renderer_config"


def _unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return module.module if is_model_wrapper(module) else module


@MODELS.register_module()
class RendererDataPreprocessor(BaseDataPreprocessor):
    """Batch of pair samples -> dict of stacked tensors on the model's device.

    Input: a dict from `pseudo_collate` (each tensor field a list of per-sample tensors) or from
    `default_collate` (already stacked). Tensor fields come out stacked: src_image, tgt_image
    (B, 3, H, W), K (B, 3, 3), R (B, 3, 3), T (B, 3); other fields (clip names, timestamps)
    pass through unchanged.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        stacked = {}
        for key, value in data.items():
            if isinstance(value, (list, tuple)) and value and all(torch.is_tensor(v) for v in value):
                value = torch.stack(list(value))
            stacked[key] = value
        return self.cast_data(stacked)


@MODELS.register_module()
class DANRRendererModel(BaseModel):
    """The renderer with its discriminator and losses, for MMEngine's Runner.

    Args:
        renderer: NovelViewRenderer constructor arguments; None with `generator_init`: that
            checkpoint's own.
        discriminator: MultiscaleDiscriminator constructor arguments.
        loss: GeneratorLoss constructor arguments (lambdas, gan_mode, content network); the
            discriminator loss uses the same gan_mode.
        perceptual: VGG19Features arguments of the perceptual metric's feature network
            (default: full VGG19 widths, seed 0, no weights file). Values are comparable only
            between runs with the same settings; tools/eval_renderer.py uses the default.
        data_preprocessor: config or module; default RendererDataPreprocessor.
        depth_supervision: beyond the paper, dict(weight=w, scale_invariant=bool): adds
            w * losses.depth_loss(predicted source depth, the batch's `src_depth`) to the
            generator's loss (logged as loss_depth) for batches that carry known depths
            (RealEstate10KPairs(depth_folder=...)); default none (the paper's implicit depth).
        generator_init: a renderer checkpoint (NovelViewRenderer.save_checkpoint, e.g. the
            shipped checkpoints/danr_synthetic_demo.pth) whose weights the generator starts
            from in `init_weights`, to fine-tune it; its config must equal `renderer`'s. The
            discriminator starts fresh. (`load_from` instead restores a whole training
            checkpoint.)
        generator_init_parts: with `generator_init`, take only these children of the renderer
            from it ("encoder", "depth_net", "decoder"), each strictly; the configs may then
            differ elsewhere (e.g. a new depth net beside a trained encoder and decoder).
        depth_init: "imagenet" starts the depth net's trunk from the EfficientNet-Lite0 ImageNet
            weights (renderer depth_net="lite0"; LiteDepthNet.load_imagenet); None leaves it to
            `generator_init` or PyTorch's default init.
        frozen_parts: children of the renderer ("encoder", "depth_net", "decoder") kept as they
            start: no gradients, and in eval mode while training (BatchNorm statistics fixed).
        depth_only: train the depth net alone on the depth term: each step predicts the source
            depth and takes one generator step on `depth_supervision`'s term (logged as loss and
            loss_depth), with no rendering, adversarial terms or discriminator step, so the
            other parts stay as they start. Needs depth_supervision weight > 0 and batches with
            `src_depth`; one process only (the step bypasses a distributed wrapper's forward).
            Validation still renders.
    A batch is the dict of RealEstate10KPairs samples. The renderer renders (B, 3, sH, sW);
    targets must have that size (s = render_scale; the configs use s = 1).
    """

    _GENERATOR_PARTS = ("encoder", "depth_net", "decoder")

    def __init__(
        self,
        renderer: dict | None = None,
        discriminator: dict | None = None,
        loss: dict | None = None,
        perceptual: dict | None = None,
        data_preprocessor: dict | torch.nn.Module | None = None,
        generator_init: str | None = None,
        generator_init_parts: tuple[str, ...] | None = None,
        depth_init: str | None = None,
        depth_supervision: dict | None = None,
        frozen_parts: tuple[str, ...] = (),
        depth_only: bool = False,
        init_cfg: dict | None = None,
    ):
        if data_preprocessor is None:
            data_preprocessor = RendererDataPreprocessor()
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if renderer is None and generator_init is not None:
            renderer = NovelViewRenderer.load_checkpoint(generator_init).to_config()
        self.generator = NovelViewRenderer(**(renderer or {}))
        self.discriminator = MultiscaleDiscriminator(**(discriminator or {}))
        loss = dict(loss or {})
        self.generator_loss = GeneratorLoss(**loss)
        self.discriminator_loss = DiscriminatorLoss(loss.get("gan_mode", "lsgan"))
        self.perceptual_net = VGG19Features(**(perceptual or {}))
        self.generator_init = generator_init
        parts = None if generator_init_parts is None else tuple(generator_init_parts)
        if parts is not None and (generator_init is None or not parts
                                  or not set(parts) <= set(self._GENERATOR_PARTS)):
            raise ValueError(f"DANRRendererModel: generator_init_parts must be a non-empty subset of "
                             f"{self._GENERATOR_PARTS} and needs generator_init, got {generator_init_parts}")
        self.generator_init_parts = parts
        if depth_init not in (None, "imagenet") or (
                depth_init == "imagenet" and self.generator.to_config()["depth_net"] != "lite0"):
            raise ValueError(f"DANRRendererModel: depth_init must be None or 'imagenet' (which needs "
                             f"renderer depth_net='lite0'), got {depth_init!r}")
        if depth_init is not None and generator_init is not None and "depth_net" in (parts or self._GENERATOR_PARTS):
            raise ValueError("DANRRendererModel: depth_init and a generator_init that loads the depth "
                             "net would both set it; leave 'depth_net' out of generator_init_parts")
        self.depth_init = depth_init
        self.depth_supervision = {"weight": 0.0, "scale_invariant": False, **(depth_supervision or {})}
        unknown = set(self.depth_supervision) - {"weight", "scale_invariant"}
        if unknown or self.depth_supervision["weight"] < 0:
            raise ValueError(f"DANRRendererModel: depth_supervision takes weight >= 0 and "
                             f"scale_invariant, got {depth_supervision}")
        self.frozen_parts = tuple(frozen_parts)
        if not set(self.frozen_parts) <= set(self._GENERATOR_PARTS):
            raise ValueError(f"DANRRendererModel: frozen_parts must be a subset of "
                             f"{self._GENERATOR_PARTS}, got {frozen_parts}")
        if depth_only and (self.depth_supervision["weight"] <= 0 or "depth_net" in self.frozen_parts):
            raise ValueError("DANRRendererModel: depth_only trains the depth net on the depth term: "
                             "it needs depth_supervision weight > 0 and 'depth_net' not in frozen_parts")
        self.depth_only = bool(depth_only)
        for part in self.frozen_parts:
            getattr(self.generator, part).requires_grad_(False)

    def init_weights(self) -> None:
        super().init_weights()
        if self.depth_init == "imagenet":
            self.generator.depth_net.load_imagenet()
        if self.generator_init is None:
            return
        pretrained = NovelViewRenderer.load_checkpoint(self.generator_init)
        if self.generator_init_parts is not None:
            for part in self.generator_init_parts:
                try:
                    getattr(self.generator, part).load_state_dict(getattr(pretrained, part).state_dict())
                except RuntimeError as error:
                    raise ValueError(f"DANRRendererModel: the {part} of generator_init "
                                     f"{self.generator_init} does not fit this renderer's: {error}") from error
            return
        if pretrained.to_config() != self.generator.to_config():
            raise ValueError(
                f"DANRRendererModel: generator_init {self.generator_init} was made with renderer "
                f"config {pretrained.to_config()}, but this model's is {self.generator.to_config()}"
            )
        self.generator.load_state_dict(pretrained.state_dict())

    def train(self, mode: bool = True) -> "DANRRendererModel":
        super().train(mode)
        for part in self.frozen_parts:
            getattr(_unwrap(self.generator), part).eval()
        return self

    def render(self, data: dict) -> RenderOutput:
        """The generator's output for a preprocessed batch; its novel views (B, 3, sH, sW) are
        checked against the targets."""
        output = self.generator(data["src_image"], data["K"], data["R"], data["T"])
        if output.image.shape != data["tgt_image"].shape:
            raise ValueError(
                f"DANRRendererModel: rendered {tuple(output.image.shape)} but the targets are "
                f"{tuple(data['tgt_image'].shape)}; targets must be render_scale times the source size"
            )
        return output

    def forward(self, src_image, tgt_image, K, R, T, mode: str = "tensor", **meta):
        """mode "tensor": rendered images (B, 3, sH, sW); "predict": per-sample metric dicts.
        Training goes through `train_step` only (two optimisers)."""
        fake = self.render(dict(src_image=src_image, tgt_image=tgt_image, K=K, R=R, T=T)).image
        if mode == "tensor":
            return fake
        if mode == "predict":
            return self.quality(fake, tgt_image)
        raise ValueError(f"DANRRendererModel: unknown mode {mode!r} (tensor, predict)")

    @torch.no_grad()
    def quality(self, fake: torch.Tensor, real: torch.Tensor) -> list[dict[str, float]]:
        """Per-sample {"psnr", "ssim", "perceptual"} of rendered vs. true images (B, 3, H, W)."""
        fake = fake.clamp(0.0, 1.0)
        values = dict(
            psnr=psnr(fake, real),
            ssim=ssim(fake, real),
            perceptual=perceptual_distance(fake, real, self.perceptual_net),
        )
        return [
            {name: float(per_image[index]) for name, per_image in values.items()}
            for index in range(fake.shape[0])
        ]

    def train_step(self, data: dict, optim_wrapper: OptimWrapperDict) -> dict[str, torch.Tensor]:
        """One generator update, then one discriminator update on the same (detached) render.

        Returns the loss terms for logging: loss (generator total), loss_l1, loss_content,
        loss_gan, loss_feat, loss_d (discriminator total), loss_d_real, loss_d_fake, and
        loss_depth with depth supervision.
        """
        data = self.data_preprocessor(data, True)
        if self.depth_only:
            return self._depth_step(data, optim_wrapper["generator"])
        generator_optim = optim_wrapper["generator"]
        discriminator_optim = optim_wrapper["discriminator"]
        with generator_optim.optim_context(self.generator):
            output = self.render(data)
            fake = output.image
            generator_terms = self.generator_loss(fake, data["tgt_image"], self.discriminator)
            weight = self.depth_supervision["weight"]
            if weight > 0 and "src_depth" in data:
                generator_terms["depth"] = depth_loss(
                    output.depth, data["src_depth"], self.depth_supervision["scale_invariant"])
                generator_terms["total"] = generator_terms["total"] + weight * generator_terms["depth"]
        generator_optim.update_params(generator_terms["total"])
        # The generator's adversarial terms also left gradients on the discriminator.
        discriminator_optim.zero_grad()
        with discriminator_optim.optim_context(self.discriminator):
            discriminator_terms = self.discriminator_loss(
                fake.detach(), data["tgt_image"], self.discriminator
            )
        discriminator_optim.update_params(discriminator_terms["total"])
        log_vars = {"loss": generator_terms["total"]}
        log_vars.update({f"loss_{k}": v for k, v in generator_terms.items() if k != "total"})
        log_vars["loss_d"] = discriminator_terms["total"]
        log_vars.update({f"loss_d_{k}": v for k, v in discriminator_terms.items() if k != "total"})
        return {key: value.detach() for key, value in log_vars.items()}

    def _depth_step(self, data: dict, generator_optim) -> dict[str, torch.Tensor]:
        """The `depth_only` step: one generator update on the weighted depth term alone."""
        if is_model_wrapper(self.generator):
            raise ValueError("DANRRendererModel: depth_only trains in one process; run "
                             "tools/train.py without a distributed launcher")
        if "src_depth" not in data:
            raise ValueError("DANRRendererModel: depth_only needs batches with src_depth "
                             "(RealEstate10KPairs(depth_folder=...))")
        with generator_optim.optim_context(self.generator):
            depth = self.generator.predict_depth(data["src_image"])
            term = depth_loss(depth, data["src_depth"], self.depth_supervision["scale_invariant"])
            total = self.depth_supervision["weight"] * term
        generator_optim.update_params(total)
        return {"loss": total.detach(), "loss_depth": term.detach()}

    def val_step(self, data: dict) -> list[dict[str, float]]:
        data = self.data_preprocessor(data, False)
        with torch.no_grad():
            return self.quality(self.render(data).image, data["tgt_image"])

    def test_step(self, data: dict) -> list[dict[str, float]]:
        return self.val_step(data)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class RendererOptimWrapperConstructor:
    """Builds OptimWrapperDict(generator=..., discriminator=...) from
    optim_wrapper=dict(constructor="RendererOptimWrapperConstructor",
                       generator=dict(type="OptimWrapper", optimizer=...),
                       discriminator=dict(...)).
    Each entry is an ordinary optim-wrapper config for that child module's parameters."""

    _PARTS = ("generator", "discriminator")

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None):
        missing = [part for part in self._PARTS if part not in optim_wrapper_cfg]
        unknown = sorted(set(optim_wrapper_cfg) - set(self._PARTS))
        if missing or unknown:
            raise ValueError(
                f"RendererOptimWrapperConstructor: optim_wrapper needs exactly the keys "
                f"{self._PARTS}; missing {missing}, unknown {unknown}"
            )
        self.optim_wrapper_cfg = optim_wrapper_cfg
        self.paramwise_cfg = paramwise_cfg

    def __call__(self, model: torch.nn.Module) -> OptimWrapperDict:
        model = _unwrap(model)
        wrappers = {
            part: DefaultOptimWrapperConstructor(dict(self.optim_wrapper_cfg[part]), self.paramwise_cfg)(
                getattr(model, part)
            )
            for part in self._PARTS
        }
        return OptimWrapperDict(**wrappers)


@METRICS.register_module()
class RendererMetric(BaseMetric):
    """Mean PSNR (dB), SSIM and perceptual distance over the evaluated pairs."""

    default_prefix = "renderer"

    def process(self, data_batch: Any, data_samples: list[dict[str, float]]) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results: list[dict[str, float]]) -> dict[str, float]:
        if not results:
            raise ValueError("RendererMetric: no samples were evaluated")
        return {key: sum(r[key] for r in results) / len(results) for key in results[0]}


@HOOKS.register_module()
class ExportRendererHook(Hook):
    """Writes work_dir/`filename` (a NovelViewRenderer.save_checkpoint file) after training, and
    records the renderer's config in every training checkpoint so `export_renderer` can convert
    any of them later."""

    priority = "LOW"

    def __init__(self, filename: str = "renderer_final.pth"):
        self.filename = filename

    @staticmethod
    def _generator(runner) -> NovelViewRenderer:
        return _unwrap(_unwrap(runner.model).generator)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault("meta", {})[RENDERER_CONFIG_META_KEY] = self._generator(runner).to_config()

    def after_train(self, runner) -> None:
        if is_main_process():
            path = Path(runner.work_dir) / self.filename
            self._generator(runner).save_checkpoint(path, extra={"iter": int(runner.iter)})
            runner.logger.info(f"ExportRendererHook: wrote the inference checkpoint {path}")


def export_renderer(training_checkpoint: str | Path, out_path: str | Path) -> NovelViewRenderer:
    """Convert an MMEngine training checkpoint of DANRRendererModel (written with
    ExportRendererHook active) into the code-free renderer checkpoint at `out_path`.

    The training checkpoint is unpickled in full (weights_only=False): only use it on files
    from your own runs.
    """
    checkpoint = torch.load(training_checkpoint, map_location="cpu", weights_only=False)
    config = checkpoint.get("meta", {}).get(RENDERER_CONFIG_META_KEY)
    if config is None:
        raise ValueError(
            f"{training_checkpoint}: no '{RENDERER_CONFIG_META_KEY}' in its meta; it was not "
            "written with ExportRendererHook in custom_hooks"
        )
    prefix = "generator."
    state = {k[len(prefix):]: v for k, v in checkpoint["state_dict"].items() if k.startswith(prefix)}
    renderer = NovelViewRenderer.from_config(config)
    renderer.load_state_dict(state)
    renderer.save_checkpoint(out_path, extra={"iter": int(checkpoint.get("meta", {}).get("iter", -1))})
    return renderer
