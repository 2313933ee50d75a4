"""Synthetic posed indoor scenes with exact ground truth: the project's embedded data set.

`views` (scenes, camera paths, exact ray-cast views and novel-view oracles) is re-exported here;
`scene`, `raycast`, `textures`, `materials`, `trajectory` hold its parts, `photo` re-dresses a
room in a user's photographs and `dataset_writer` writes a whole COCO + RealEstate10K-format set.
"""

from .views import *  # noqa: F401,F403
from .views import __all__  # noqa: F401
