"""Segment maps: which named segment each cell of RFM scores belongs to.

A map names its axes (two or three of ``r``, ``f``, ``m``, ``fm``, each scored 1-5) and lists
segments, best first, each with an inclusive range per axis. A map is valid only when it is a
partition: every cell of the score grid belongs to exactly one segment. Loading a map that
leaves a cell empty or claims one twice fails with the cells named.

Shipped maps (``loyalist/segments/map_files/*.yaml``): ``rf-grid`` (default; recency x
frequency) and ``rfm-grid`` (recency x the rounded-up mean of frequency and monetary).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import yaml

from loyalist.errors import InputError, yaml_problem

AXES = ("r", "f", "m", "fm")
SCORES = range(1, 6)


class SegmentMapError(InputError):
    """A segment map is malformed or not a partition of the score grid."""


@dataclass(frozen=True)
class Segment:
    """A named segment: an inclusive score range per axis, and a suggested action."""

    name: str
    ranges: dict[str, tuple[int, int]]
    action: str = ""

    def contains(self, cell: dict[str, int]) -> bool:
        """Whether the score ``cell`` falls in this segment."""
        return all(lo <= cell[axis] <= hi for axis, (lo, hi) in self.ranges.items())


@dataclass(frozen=True)
class SegmentMap:
    """A validated partition of the score grid into named segments, best first."""

    name: str
    axes: tuple[str, ...]
    segments: tuple[Segment, ...]

    @property
    def names(self) -> list[str]:
        """Segment names, best first."""
        return [s.name for s in self.segments]

    def rank(self, name: str) -> int:
        """Position of segment ``name`` (0 = best)."""
        return self.names.index(name)

    def cells(self) -> list[dict[str, int]]:
        """Every cell of the grid, as ``{axis: score}``."""
        return [dict(zip(self.axes, combo, strict=True))
                for combo in itertools.product(SCORES, repeat=len(self.axes))]

    def segment_of(self, cell: dict[str, int]) -> Segment:
        """The one segment holding ``cell``."""
        return next(s for s in self.segments if s.contains(cell))

    def assign(self, scores: ir.Table) -> ir.Table:
        """Add ``segment`` and ``segment_rank`` (0 = best) to a table with the map's axes."""
        name: Any = ibis.null("string")
        rank: Any = ibis.null("int64")
        for i, seg in reversed(list(enumerate(self.segments))):
            cond = ibis.literal(True)
            for axis, (lo, hi) in seg.ranges.items():
                cond = cond & scores[axis].between(lo, hi)
            name = ibis.ifelse(cond, seg.name, name)
            rank = ibis.ifelse(cond, i, rank)
        return scores.mutate(segment=name, segment_rank=rank.cast("int64"))


def parse_map(data: Any, source: str = "<map>") -> SegmentMap:
    """Build and validate a map from parsed YAML (see the module docstring for the format)."""
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise SegmentMapError(f"{source}: a segment map needs a 'segments' list", file=source)
    axes = tuple(data.get("axes") or ("r", "f"))
    bad_axes = [a for a in axes if a not in AXES]
    if bad_axes or len(set(axes)) != len(axes) or not 2 <= len(axes) <= 3:
        raise SegmentMapError(f"{source}: axes must be 2 or 3 of {', '.join(AXES)}, got "
                              f"{list(axes)}", file=source, key="axes")
    segments = tuple(_parse_segment(item, i, axes, source)
                     for i, item in enumerate(data["segments"]))
    names = [s.name for s in segments]
    if len(set(names)) != len(names):
        raise SegmentMapError(f"{source}: segment names repeat", file=source, key="segments")
    seg_map = SegmentMap(str(data.get("name") or Path(source).stem), axes, segments)
    _check_partition(seg_map, source)
    return seg_map


def _parse_segment(item: Any, i: int, axes: tuple[str, ...], source: str) -> Segment:
    where = f"segments[{i}]"
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise SegmentMapError(f"{source}: {where} needs a name", file=source, key=where)
    ranges: dict[str, tuple[int, int]] = {}
    for axis in axes:
        value = item.get(axis, [1, 5])
        ok = (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int)
              for v in value) and 1 <= value[0] <= value[1] <= 5)
        if not ok:
            raise SegmentMapError(f"{source}: {where}.{axis} must be [low, high] within 1-5, "
                                  f"got {value!r}", file=source, key=f"{where}.{axis}")
        ranges[axis] = (value[0], value[1])
    extra = set(item) - {"name", "action", *axes}
    if extra:
        raise SegmentMapError(f"{source}: {where} has unknown keys {sorted(extra)}",
                              file=source, key=where)
    return Segment(item["name"], ranges, str(item.get("action", "")))


def _check_partition(seg_map: SegmentMap, source: str) -> None:
    empty, doubled = [], []
    for cell in seg_map.cells():
        owners = [s.name for s in seg_map.segments if s.contains(cell)]
        label = "(" + ", ".join(f"{a}={v}" for a, v in cell.items()) + ")"
        if not owners:
            empty.append(label)
        elif len(owners) > 1:
            doubled.append(f"{label} in {' and '.join(owners)}")
    if empty or doubled:
        parts = []
        if empty:
            parts.append(f"{len(empty)} cell(s) in no segment: {', '.join(empty)}")
        if doubled:
            parts.append(f"{len(doubled)} cell(s) in several: {'; '.join(doubled)}")
        raise SegmentMapError(f"{source}: not a partition of the score grid; " + "; ".join(parts),
                              file=source, empty=empty, doubled=doubled)


def load_map(name_or_path: str | Path = "rf-grid") -> SegmentMap:
    """Load a shipped map by name (``rf-grid``, ``rfm-grid``) or a user map from a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        shipped = resources.files("loyalist.segments").joinpath("map_files", f"{name_or_path}.yaml")
        if not shipped.is_file():
            raise SegmentMapError(f"no segment map {str(name_or_path)!r} (shipped: "
                                  f"{', '.join(shipped_maps())}; or give a .yaml file)")
        text, source = shipped.read_text(encoding="utf-8"), f"{name_or_path}.yaml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SegmentMapError(f"{source}: not valid YAML: {yaml_problem(exc)}",
                              file=source) from exc
    return parse_map(data, source)


def shipped_maps() -> list[str]:
    """Names of the maps that ship with loyalist."""
    folder = resources.files("loyalist.segments").joinpath("map_files")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))
