"""Data: mini-batches over arrays (numpy only), and the dataset loaders in ``tinygrad_np.data.datasets``
(imported on first use: they need the ``cat`` extra)."""

from .batches import BatchIterator, epoch_batches, minibatches, num_batches

__all__ = ["BatchIterator", "epoch_batches", "minibatches", "num_batches"]
