"""Hook telling DANRAugmentedDataset which epoch is starting."""
from typing import Iterator

from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from .danr_dataset import DANRAugmentedDataset


def find_augmented_datasets(dataset) -> Iterator[DANRAugmentedDataset]:
    """Yield the DANRAugmentedDataset instances inside ``dataset``, looking through
    wrappers that hold ``.dataset`` (MultiImageMixDataset, RepeatDataset,
    ClassBalancedDataset) or ``.datasets`` (ConcatDataset)."""
    if isinstance(dataset, DANRAugmentedDataset):
        yield dataset
        return
    inner = getattr(dataset, 'dataset', None)
    if inner is not None:
        yield from find_augmented_datasets(inner)
    for inner in getattr(dataset, 'datasets', ()) or ():
        yield from find_augmented_datasets(inner)


@HOOKS.register_module()
class DANRViewEpochHook(Hook):
    """Before each training epoch, call ``set_epoch(runner.epoch)`` on every
    DANRAugmentedDataset of the training dataloader, so that ``views='one'`` draws
    new views each epoch. Add it with ``custom_hooks=[dict(type='DANRViewEpochHook')]``."""

    def before_train_epoch(self, runner) -> None:
        for dataset in find_augmented_datasets(runner.train_dataloader.dataset):
            dataset.set_epoch(runner.epoch)
