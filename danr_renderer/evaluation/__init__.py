"""Scoring renderers: `synthetic` (held-out synthetic pairs against their exact oracle, the
protocol of tools/eval_renderer.py, re-exported here) and `measures` (box matching and
scale-free depth accuracy shared by every protocol)."""
from .synthetic import *  # noqa: F401,F403
from .synthetic import __all__  # noqa: F401
