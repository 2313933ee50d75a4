"""Builds the compiled splatting kernel; everything else about the package is in pyproject.toml.

``pip install --no-build-isolation --no-deps -e .`` (what ``make venv`` runs) compiles
``danr_renderer/splatting/csrc/splat_cpu.cpp`` into ``danr_renderer.splatting._C`` with the
installed torch's ``CppExtension`` and OpenMP, the way mmcv builds its ops. The kernel is
optional: without torch at build time, or when compiling fails (no C++ compiler), the package
still installs, with a warning, and ``splat_points`` uses its pure-torch backend. Set
DANR_REQUIRE_EXTENSION=1 to make a failed build an error instead. Where the building CPU has
AVX2 and FMA the kernel is compiled for them (it is built on the machine that runs it);
DANR_PORTABLE_KERNEL=1 builds for baseline x86-64 instead.
"""
import os
import sys

from setuptools import setup

SOURCES = ["danr_renderer/splatting/csrc/splat_cpu.cpp"]
REQUIRE = os.environ.get("DANR_REQUIRE_EXTENSION", "0") == "1"


def _cpu_flags() -> list[str]:
    """-mavx2 -mfma where this CPU has them (Linux /proc/cpuinfo) and no opt-out is set."""
    if os.environ.get("DANR_PORTABLE_KERNEL", "0") == "1":
        return []
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                          if line.startswith("flags")), [])
    except OSError:
        return []
    return ["-mavx2", "-mfma"] if {"avx2", "fma"} <= set(flags) else []


def _warn(message: str) -> None:
    print(f"WARNING (danr setup.py): {message}; splat_points(backend='native') will fall back "
          "to the pure-torch backend", file=sys.stderr)


def _extension_setup() -> dict:
    try:
        from torch.utils.cpp_extension import BuildExtension, CppExtension
    except ImportError as error:
        if REQUIRE:
            raise
        _warn(f"torch is not importable at build time ({error}): the splatting kernel is not "
              "built (install torch first and use --no-build-isolation)")
        return {}

    class OptionalBuildExtension(BuildExtension):
        """BuildExtension that leaves the kernel out, with a warning, when compiling fails."""

        def run(self):
            try:
                super().run()
            except Exception as error:  # compiler missing or failing
                if REQUIRE:
                    raise
                _warn(f"building the splatting kernel failed ({error})")
                self.extensions = []  # nothing to copy or install

    extension = CppExtension(
        "danr_renderer.splatting._C",
        SOURCES,
        extra_compile_args=["-O3", "-fno-math-errno", "-fopenmp", *_cpu_flags()],
        extra_link_args=["-fopenmp"],
    )
    return {"ext_modules": [extension], "cmdclass": {"build_ext": OptionalBuildExtension}}


setup(**_extension_setup())
