"""Data: datasets and the DataLoader (numpy only), batch transforms, mini-batches over arrays, and the
dataset loaders in ``tinygrad_np.data.datasets`` (imported on first use: they need the ``cat`` extra).

    ds = tnp.data.TensorDataset(x, y)
    loader = tnp.data.DataLoader(ds, batch_size=64, shuffle=True, rng=np.random.default_rng(0),
                                 transform=tnp.data.transforms.RandomHorizontalFlip())
"""

from . import transforms
from .batches import batch_indices, epoch_batches, epoch_order, minibatches, num_batches
from .dataset import Dataset, Subset, TensorDataset, collate, dataset_labels, random_split
from .loader import BatchIterator, DataLoader

__all__ = [
    "BatchIterator",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "batch_indices",
    "collate",
    "dataset_labels",
    "epoch_batches",
    "epoch_order",
    "minibatches",
    "num_batches",
    "random_split",
    "transforms",
]
