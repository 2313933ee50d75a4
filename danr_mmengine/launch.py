"""Configs and runners for tools/train.py and tools/test.py, MMDetection-style, on MMEngine alone.

The functions take the command-line choices as plain arguments, so the same rules serve the
tools, the study and tests: the config file, then --cfg-options, then the work dir (given, the
config's own, or ./work_dirs/<config name>), then what each command adds.
"""
from __future__ import annotations

import logging
import os.path as osp

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

__all__ = ["LAUNCHERS", "build_runner", "enable_amp", "build_test_cfg", "build_train_cfg"]

LAUNCHERS = ("none", "pytorch", "slurm", "mpi")


def _load(config: str, launcher: str, cfg_options: dict | None, work_dir: str | None) -> Config:
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get("work_dir", None) is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(config))[0])
    return cfg


def enable_amp(cfg: Config) -> None:
    """Switch OptimWrapper to AmpOptimWrapper (dynamic loss scale): the config's optim_wrapper,
    or each wrapper inside it when it holds one per network (e.g. generator/discriminator)."""
    optim_wrapper = cfg.optim_wrapper
    wrappers = ([optim_wrapper] if "type" in optim_wrapper else
                [w for w in optim_wrapper.values() if isinstance(w, dict) and "type" in w])
    if not wrappers:
        raise ValueError("--amp: the config's optim_wrapper names no wrapper type")
    for wrapper in wrappers:
        if wrapper.type == "AmpOptimWrapper":
            print_log("AMP is already enabled in the config.", logger="current", level=logging.WARNING)
        elif wrapper.type == "OptimWrapper":
            wrapper.type = "AmpOptimWrapper"
            wrapper.loss_scale = "dynamic"
        else:
            raise ValueError(f"--amp needs OptimWrapper optimizer wrappers, got {wrapper.type}")


def build_train_cfg(config: str, work_dir: str | None = None, resume: str | None = None,
                 amp: bool = False, auto_scale_lr: bool = False, cfg_options: dict | None = None,
                 launcher: str = "none") -> Config:
    """The training config: `resume` is None, "auto" (the latest checkpoint of the work dir)
    or a checkpoint path."""
    cfg = _load(config, launcher, cfg_options, work_dir)
    if amp:
        enable_amp(cfg)
    if auto_scale_lr:
        if "base_batch_size" not in cfg.get("auto_scale_lr", {}):
            raise ValueError(f"--auto-scale-lr: {config} has no auto_scale_lr.base_batch_size")
        cfg.auto_scale_lr.enable = True
    if resume is not None:
        cfg.resume = True
        cfg.load_from = None if resume == "auto" else resume
    return cfg


def build_test_cfg(config: str, checkpoint: str, work_dir: str | None = None, out: str | None = None,
                show_dir: str | None = None, cfg_options: dict | None = None,
                launcher: str = "none") -> Config:
    """The test config evaluating `checkpoint`; `out` (.pkl) adds a DumpResults evaluator,
    `show_dir` turns on the config's visualization hook."""
    if out is not None and not out.endswith((".pkl", ".pickle")):
        raise ValueError(f"--out must name a .pkl file, got {out}")
    cfg = _load(config, launcher, cfg_options, work_dir)
    cfg.load_from = checkpoint
    if show_dir is not None:
        visualization = cfg.get("default_hooks", {}).get("visualization")
        if visualization is None:
            raise ValueError(f"--show-dir: {config} has no default_hooks.visualization")
        visualization.draw = True
        visualization.test_out_dir = show_dir
    if out is not None:
        dump = ConfigDict(type="DumpResults", out_file_path=out)
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluators) if isinstance(evaluators, (list, tuple))
                              else [evaluators]) + [dump]
    return cfg


def build_runner(cfg: Config) -> Runner:
    """The config's own runner_type when it names one, else MMEngine's Runner."""
    return RUNNERS.build(cfg) if "runner_type" in cfg else Runner.from_cfg(cfg)
