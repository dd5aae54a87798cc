"""Parameter groups, as PyTorch's: the parameters split into groups, each with its own hyper-parameters.

A group is a :class:`ParamGroup`, a mapping like PyTorch's group dicts (``"params"`` and every setting),
except that a setting is checked when it is set, ``opt.param_groups[1]["weight_decay"] = -1`` raising
as ``opt.weight_decay = -1`` does. Each optimiser names its settings with :class:`GroupSetting`
descriptors, one line each holding the setting's check; ``opt.<setting>`` reads the value every group
shares and sets it in every group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, Generic, Protocol, TypeVar, overload

from ..validation import check_finite_float, fail

__all__ = ["GroupSetting", "ParamGroup", "fraction", "nonnegative"]

T = TypeVar("T")
Check = Callable[[str, str, Any], Any]  # (who, what, value) -> the value checked and converted


def nonnegative(who: str, what: str, value: Any) -> float:
    """A finite number >= 0 (lr, weight_decay, eps)."""
    return check_finite_float(who, what, value, minimum=0.0)


def fraction(who: str, what: str, value: Any) -> float:
    """A finite number in [0, 1] (momentum, dampening)."""
    return check_finite_float(who, what, value, minimum=0.0, maximum=1.0)


class GroupOwner(Protocol):
    """What groups need of their optimiser (optim/optimizer.py's Optimizer)."""

    @property
    def param_groups(self) -> list[ParamGroup]: ...
    def set_setting(self, groups: list[ParamGroup], key: str, value: Any, what: str) -> None: ...


class GroupSetting(Generic[T]):
    """``opt.<name>``, a hyper-parameter of every parameter group, checked by ``check`` whenever set.

    Reading gives the value the groups share (an error names the groups' values when they differ:
    read ``opt.param_groups[i][name]`` then); setting checks the value and sets it in every group.
    """

    def __init__(self, check: Check) -> None:
        self.check = check
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, opt: None, owner: type) -> GroupSetting[T]: ...
    @overload
    def __get__(self, opt: GroupOwner, owner: type) -> T: ...
    def __get__(self, opt: GroupOwner | None, owner: type) -> Any:
        if opt is None:
            return self
        values = [g[self.name] for g in opt.param_groups]
        if any(v != values[0] for v in values):
            raise fail(
                type(opt).__name__,
                self.name,
                "be the same in every parameter group to be read as one value",
                f"{values} in its {len(values)} groups",
                f"read opt.param_groups[i][{self.name!r}]",
            )
        return values[0]

    def __set__(self, opt: GroupOwner, value: Any) -> None:
        opt.set_setting(opt.param_groups, self.name, value, self.name)


class ParamGroup(MutableMapping[str, Any]):
    """One parameter group: ``"params"`` (a tuple of Parameters) and every hyper-parameter of its
    optimiser. Setting a hyper-parameter checks it (the optimiser's rules); ``"params"`` stays as built
    (``opt.add_param_group`` adds parameters); no key can be removed."""

    def __init__(self, opt: GroupOwner, index: int, settings: Mapping[str, Any]) -> None:
        self._opt, self._index = opt, index
        self._data: dict[str, Any] = dict(settings)

    @property
    def label(self) -> str:
        """How errors name this group: ``param_groups[i]``."""
        return f"param_groups[{self._index}]"

    def name_of(self, key: str) -> str:
        """How errors name this group's setting ``key``: ``param_groups[i]['key']``."""
        return f"{self.label}[{key!r}]"

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "params":
            raise fail(type(self._opt).__name__, f"{self.label}['params']", "stay as built",
                       "an assignment", "add parameters with opt.add_param_group({'params': ...})",
                       TypeError)  # fmt: skip
        self._opt.set_setting([self], key, value, self.name_of(key))

    def store(self, key: str, value: Any) -> None:
        """Set ``key`` without a check: for the optimiser, once it has checked ``value``."""
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        raise fail(type(self._opt).__name__, self.label, "keep every key", f"del [{key!r}]", error=KeyError)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k!r}: {v!r}" for k, v in self._data.items() if k != "params")
        return f"{{'params': <{len(self._data['params'])} parameters>, {settings}}}"
