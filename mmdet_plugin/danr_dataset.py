"""Training set of original images plus their DANR-rendered views (paper sections 4.4-4.5)."""
import copy
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

DANR_KEYS = ('source_image_id', 'source_file_name', 'view_index', 'rotvec', 'translation')


@DATASETS.register_module()
class DANRRenderedCocoDataset(CocoDataset):
    """CocoDataset of rendered views that keeps each image's provenance.

    The augmentation tool writes, for every rendered image entry of its
    annotations.json, ``danr: {source_image_id, source_file_name, view_index, rotvec,
    translation}``. CocoDataset drops unknown image keys; this subclass copies that
    dict into ``data_info['danr']`` and rejects entries without it.
    """

    def parse_data_info(self, raw_data_info: dict) -> dict:
        img_info = raw_data_info['raw_img_info']
        provenance = img_info.get('danr')
        if not isinstance(provenance, dict) or any(k not in provenance for k in DANR_KEYS):
            raise ValueError(f'{self.ann_file}: image {img_info["img_id"]} '
                             f'({img_info.get("file_name")}) needs a "danr" entry with keys '
                             f'{DANR_KEYS}, got {provenance!r}')
        data_info = super().parse_data_info(raw_data_info)
        data_info['danr'] = copy.deepcopy(provenance)
        return data_info


def rendered_dataset_type(requested: Union[str, type, None]) -> Union[str, type]:
    """Dataset type for the rendered set: a plain CocoDataset (or none) becomes
    DANRRenderedCocoDataset, which keeps the ``danr`` provenance the split rule needs."""
    if requested in (None, 'CocoDataset', CocoDataset):
        if requested is not None:
            print_log('DANRAugmentedDataset: reading the rendered set with '
                      'DANRRenderedCocoDataset to keep its danr provenance', logger='current')
        return 'DANRRenderedCocoDataset'
    return requested


def build_lazily(cfg: Union[dict, BaseDataset], default_type: str) -> BaseDataset:
    """Build a sub-dataset without loading its annotations yet."""
    if isinstance(cfg, BaseDataset):
        return cfg
    return DATASETS.build(dict(cfg, type=cfg.get('type', default_type), lazy_init=True))


@DATASETS.register_module()
class DANRAugmentedDataset(BaseDataset):
    """Original images of one split plus the rendered views of those images.

    Sample ``i < len(original)`` is original image ``i``; the following samples are
    rendered views from ``rendered`` whose ``danr.source_image_id`` is the ``img_id`` of
    an image the original dataset yields (after its own filter_cfg), so an image and its
    views always sit on the same side of a train/val split (paper section 4.5). Views of
    other images are left out.

    Args:
        original (dict | BaseDataset): the split's originals, e.g. a CocoDataset config.
        rendered (dict | BaseDataset): the augmentation tool's annotations.json as a
            DANRRenderedCocoDataset config (the default type; a 'CocoDataset' type is
            read as DANRRenderedCocoDataset). Its metainfo defaults to the original's;
            the class lists must match.
        views (str): 'all' keeps every view of a source (the paper's four-view setting);
            'one' keeps one slot per source with views, filled by one of its views drawn
            per epoch (the paper's COCO setting). The draw for epoch e and source image
            id s is ``np.random.default_rng([seed, e, s])`` choosing among the source's
            views sorted by view_index, so it is deterministic, the same in every data
            worker, and changes from epoch to epoch.
        seed (int): seed of the 'one' draw.
        view_box_size_weight (float): in [0, 1], the weight of the box-size and offset
            losses of every box of a rendered view (its data info's ``box_size_weight``,
            read by KeypointMixUp and PackDetInputsWithWeights for
            WeightedCenterNetHead). A carried box is only approximately the object's
            box in the view (benchmarks/RESULTS.md, box transfer); 0 lets views teach
            where objects are and not how large. 1 (the default) adds nothing.
        pipeline (list): transforms applied to every sample after its sub-dataset's own
            pipeline (the sub-datasets may have one, e.g. load + per-image augmentation).
        test_mode, lazy_init, max_refetch: as in mmengine's BaseDataset.

    The epoch comes from ``set_epoch(epoch)``, which ``DANRViewEpochHook`` calls before
    each training epoch. It is stored in a shared-memory tensor, so dataloader workers,
    persistent ones included, see the new value. Without the hook every epoch draws
    like epoch 0.
    """

    def __init__(self, original: Union[dict, BaseDataset], rendered: Union[dict, BaseDataset],
                 views: str = 'all', seed: int = 0, view_box_size_weight: float = 1.0,
                 pipeline: Sequence = (),
                 test_mode: bool = False, lazy_init: bool = False,
                 max_refetch: int = 1000) -> None:
        if views not in ('all', 'one'):
            raise ValueError(f"DANRAugmentedDataset: views must be 'all' or 'one', got {views!r}")
        if not 0.0 <= view_box_size_weight <= 1.0:
            raise ValueError('DANRAugmentedDataset: view_box_size_weight must be in [0, 1], '
                             f'got {view_box_size_weight!r}')
        self.views = views
        self.seed = int(seed)
        self.view_box_size_weight = float(view_box_size_weight)
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self.original = build_lazily(original, 'CocoDataset')
        if isinstance(rendered, dict):
            rendered = dict(rendered, type=rendered_dataset_type(rendered.get('type')),
                            metainfo=rendered.get('metainfo', self.original.metainfo))
        self.rendered = build_lazily(rendered, 'DANRRenderedCocoDataset')
        original_classes = tuple(self.original.metainfo.get('classes', ()))
        rendered_classes = tuple(self.rendered.metainfo.get('classes', ()))
        if original_classes != rendered_classes:
            raise ValueError(f'DANRAugmentedDataset: rendered classes {rendered_classes} differ '
                             f'from original classes {original_classes}')
        super().__init__(pipeline=list(pipeline), test_mode=test_mode, lazy_init=True,
                         serialize_data=False, max_refetch=max_refetch)
        self._metainfo = self.original.metainfo
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        """Load both sub-datasets and index the views of the original split."""
        if self._fully_initialized:
            return
        self.original.full_init()
        self.rendered.full_init()
        split_ids = {self.original.get_data_info(i)['img_id'] for i in range(len(self.original))}
        views_by_source: Dict[int, List[tuple]] = defaultdict(list)
        excluded = 0
        for index in range(len(self.rendered)):
            provenance = self.rendered.get_data_info(index).get('danr')
            if provenance is None:
                raise ValueError('DANRAugmentedDataset: the rendered dataset must keep the '
                                 "'danr' provenance (use DANRRenderedCocoDataset)")
            source = provenance['source_image_id']
            if source in split_ids:
                views_by_source[source].append((provenance['view_index'], index))
            else:
                excluded += 1
        self.source_ids = np.array(sorted(views_by_source), dtype=np.int64)
        self.views_of_source = [np.array([i for _, i in sorted(views_by_source[s])])
                                for s in self.source_ids]
        self.all_views = (np.concatenate(self.views_of_source) if self.views_of_source
                          else np.zeros(0, dtype=np.int64))
        self._num_original = len(self.original)
        print_log(f'DANRAugmentedDataset: {self._num_original} originals, '
                  f'{len(self.all_views)} views of {len(self.source_ids)} of them '
                  f'(views={self.views!r}), {excluded} views of images outside the split '
                  'left out', logger='current')
        self._fully_initialized = True

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose draw the 'one' setting uses."""
        self._epoch.fill_(int(epoch))

    @property
    def epoch(self) -> int:
        return int(self._epoch.item())

    def locate(self, idx: int) -> Tuple[BaseDataset, int]:
        """Sub-dataset holding sample ``idx`` and the index inside it."""
        if not 0 <= idx < len(self):
            raise IndexError(f'DANRAugmentedDataset: index {idx} out of range [0, {len(self)})')
        if idx < self._num_original:
            return self.original, idx
        slot = idx - self._num_original
        if self.views == 'all':
            return self.rendered, int(self.all_views[slot])
        rng = np.random.default_rng([self.seed, self.epoch, int(self.source_ids[slot])])
        return self.rendered, int(rng.choice(self.views_of_source[slot]))

    def _sample_info(self, dataset: BaseDataset, index: int, idx: int) -> dict:
        """Data info of ``dataset``'s sample ``index`` as sample ``idx`` of this dataset."""
        info = dict(dataset.get_data_info(index), sample_idx=idx)
        if dataset is self.rendered and self.view_box_size_weight != 1.0:
            info['box_size_weight'] = self.view_box_size_weight
        return info

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Data info of sample ``idx`` (from the original or the rendered dataset),
        with ``sample_idx`` set to ``idx`` and, for a view when view_box_size_weight is
        not 1, ``box_size_weight``."""
        return self._sample_info(*self.locate(idx), idx)

    def prepare_data(self, idx: int):
        """Sample ``idx`` through its sub-dataset's pipeline, then this dataset's."""
        dataset, index = self.locate(idx)
        data = dataset.pipeline(self._sample_info(dataset, index, idx))
        return None if data is None else self.pipeline(data)

    @force_full_init
    def __len__(self) -> int:
        slots = len(self.all_views) if self.views == 'all' else len(self.source_ids)
        return self._num_original + slots
