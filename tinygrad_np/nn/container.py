"""LayerList: layers kept in a list, children named by position ("0", "1", ...). The base of
``Sequential`` (which chains them) and ``ModuleList`` (which only holds them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar, overload

from .layer import Layer

C = TypeVar("C", bound="LayerList")


class LayerList(Layer):
    """The container part: ``append``, ``extend``, ``len``, iteration, indexing (a slice is a new
    container of the same kind, sharing the layer objects, as in PyTorch)."""

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        super().__init__()
        self.layers: list[Layer] = []
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"{self._name()}: item {i} must be a Layer, got a {type(layer).__name__}")
            self.layers.append(layer)

    def _from_layers(self: C, layers: list[Layer]) -> C:
        """A new container of this kind holding ``layers`` (for slices)."""
        return type(self)(layers)

    def _layers_changed(self) -> None:
        """Called after append: subclasses drop what they cached about the layer list."""

    def append(self: C, layer: Layer) -> C:
        if not isinstance(layer, Layer):
            raise TypeError(f"{self._name()}.append: layer must be a Layer, got a {type(layer).__name__}")
        self.layers.append(layer)
        self._layers_changed()
        return self

    def extend(self: C, layers: Iterable[Layer]) -> C:
        for layer in layers:
            self.append(layer)
        return self

    def named_children(self) -> Iterator[tuple[str, Layer]]:
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @overload
    def __getitem__(self, i: int) -> Layer: ...
    @overload
    def __getitem__(self: C, i: slice) -> C: ...
    def __getitem__(self: C, i: int | slice) -> Layer | C:
        return self._from_layers(self.layers[i]) if isinstance(i, slice) else self.layers[i]
