"""A write as the core decides it and storage carries it out: a `WritePlan` (what to set, keep, remove) under a
`Condition` on the stored item. Plain data with one meaning, `holds`, shared by everything that stores a plan:
the DynamoDB adapter renders it as one conditional write, the tests' in-memory table evaluates it.

A plan is made only when it changes the stored state (`WritePlan.condition`): a write that would leave every
attribute of `sets`, `keeps` and `removes` as it is, is refused. `stamps` (identity, audit fields) are written along
with a change and are never the reason for one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class Condition:
    """A predicate on a stored item (None when there is none), in DynamoDB's meaning: a comparison with an absent
    attribute is false."""


@dataclass(frozen=True)
class ItemExists(Condition):
    pass


@dataclass(frozen=True)
class Exists(Condition):
    name: str


@dataclass(frozen=True)
class Equals(Condition):
    name: str
    value: Any


@dataclass(frozen=True)
class In(Condition):
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class AtMost(Condition):
    name: str
    value: Any


@dataclass(frozen=True)
class Differs(Condition):
    """Absent, or another value."""

    name: str
    value: Any


@dataclass(frozen=True)
class Not(Condition):
    inner: Condition


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AllOf(Condition):
    parts: tuple[Condition, ...]


def missing(name: str) -> Condition:
    return Not(Exists(name))


def _same(stored: Any, value: Any) -> bool:
    if isinstance(stored, bool) or isinstance(value, bool):  # DynamoDB's BOOL is not a number
        return type(stored) is type(value) and stored == value
    return stored == value


def holds(condition: Condition | None, item: Mapping[str, Any] | None) -> bool:
    """Whether `condition` holds for the stored `item` (None: no item)."""
    stored = item or {}
    match condition:
        case None:
            return True
        case ItemExists():
            return bool(stored)
        case Exists(name):
            return name in stored
        case Equals(name, value):
            return name in stored and _same(stored[name], value)
        case In(name, values):
            return name in stored and any(_same(stored[name], v) for v in values)
        case AtMost(name, value):
            return name in stored and stored[name] <= value
        case Differs(name, value):
            return name not in stored or not _same(stored[name], value)
        case Not(inner):
            return not holds(inner, item)
        case AnyOf(parts):
            return any(holds(p, item) for p in parts)
        case AllOf(parts):
            return all(holds(p, item) for p in parts)
    raise TypeError(f"not a condition: {condition!r}")


def names(condition: Condition | None) -> Iterator[str]:
    """Every attribute `condition` reads."""
    match condition:
        case Exists(name) | Equals(name, _) | In(name, _) | AtMost(name, _) | Differs(name, _):
            yield name
        case Not(inner):
            yield from names(inner)
        case AnyOf(parts) | AllOf(parts):
            for part in parts:
                yield from names(part)


def rename(condition: Condition, renamed: Mapping[str, str]) -> Condition:
    """The same condition over other attribute names (a stored layout's)."""
    match condition:
        case Exists(name):
            return Exists(renamed.get(name, name))
        case Equals(name, value):
            return Equals(renamed.get(name, name), value)
        case In(name, values):
            return In(renamed.get(name, name), values)
        case AtMost(name, value):
            return AtMost(renamed.get(name, name), value)
        case Differs(name, value):
            return Differs(renamed.get(name, name), value)
        case Not(inner):
            return Not(rename(inner, renamed))
        case AnyOf(parts):
            return AnyOf(tuple(rename(p, renamed) for p in parts))
        case AllOf(parts):
            return AllOf(tuple(rename(p, renamed) for p in parts))
    return condition


@dataclass(frozen=True)
class WritePlan:
    """One write: under `when`, set `sets`, set `keeps` where absent, remove `removes`, and write `stamps` along;
    `replace` writes the whole item (`sets` and `stamps`) instead. `look_first`: the store may read the item
    (eventually consistent) and skip a write the read shows refused, when a rewrite costs more than that read."""

    when: Condition | None = None
    sets: Mapping[str, Any] = field(default_factory=dict)
    keeps: Mapping[str, Any] = field(default_factory=dict)
    removes: tuple[str, ...] = ()
    stamps: Mapping[str, Any] = field(default_factory=dict)
    replace: bool = False
    look_first: bool = False

    @property
    def changes(self) -> Condition:
        """The write changes the stored state: one of its set, kept or removed attributes would change."""
        return AnyOf(
            (
                *(Differs(name, value) for name, value in self.sets.items()),
                *(missing(name) for name in self.keeps),
                *(Exists(name) for name in self.removes),
            )
        )

    @property
    def condition(self) -> Condition:
        """What the stored item must satisfy for the write to be made: its rule, and a change."""
        return self.changes if self.when is None else AllOf((self.when, self.changes))
