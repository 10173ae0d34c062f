from __future__ import annotations

import itertools

import ibis
import pytest

from loyalist.segments.maps import SegmentMapError, load_map, parse_map, shipped_maps


@pytest.mark.parametrize("name", shipped_maps())
def test_every_shipped_map_is_a_partition(name):
    """Exhaustive: each of the 5^k score cells lies in exactly one segment."""
    seg_map = load_map(name)
    combos = list(itertools.product(range(1, 6), repeat=len(seg_map.axes)))
    assert len(combos) == 5 ** len(seg_map.axes) == len(seg_map.cells())
    for combo in combos:
        cell = dict(zip(seg_map.axes, combo, strict=True))
        owners = [s.name for s in seg_map.segments if s.contains(cell)]
        assert len(owners) == 1, (cell, owners)


def test_shipped_maps():
    assert shipped_maps() == ["rf-grid", "rfm-grid"]
    assert load_map().names[0] == "Champions" and load_map().names[-1] == "Lost"


def test_assign_agrees_with_the_map_on_every_cell():
    seg_map = load_map("rf-grid")
    cells = seg_map.cells()
    grid = ibis.memtable({"r": [c["r"] for c in cells], "f": [c["f"] for c in cells]})
    out = ibis.duckdb.connect().execute(seg_map.assign(grid))
    for row in out.itertuples():
        expected = seg_map.segment_of({"r": row.r, "f": row.f})
        assert row.segment == expected.name
        assert row.segment_rank == seg_map.rank(expected.name)


def test_broken_map_names_empty_and_doubled_cells():
    data = {"axes": ["r", "f"], "segments": [
        {"name": "Top", "r": [4, 5], "f": [4, 5]},
        {"name": "Recent", "r": [5, 5], "f": [1, 5]},
        {"name": "Rest", "r": [1, 3], "f": [1, 5]},
    ]}
    with pytest.raises(SegmentMapError) as info:
        parse_map(data, "mine.yaml")
    details = info.value.details
    assert details["empty"] == ["(r=4, f=1)", "(r=4, f=2)", "(r=4, f=3)"]
    assert details["doubled"] == ["(r=5, f=4) in Top and Recent", "(r=5, f=5) in Top and Recent"]
    assert "mine.yaml: not a partition" in str(info.value)
    assert "(r=4, f=1)" in str(info.value) and "(r=5, f=5) in Top and Recent" in str(info.value)


def test_the_widely_copied_table_is_rejected():
    """The popular 11-segment table written as R, F and M ranges is not a partition."""
    copied = [
        ("Champions", [4, 5], [4, 5], [4, 5]), ("Loyal", [2, 5], [3, 5], [3, 5]),
        ("Potential loyalist", [3, 5], [1, 3], [1, 3]), ("New", [4, 5], [1, 1], [1, 1]),
        ("Promising", [3, 4], [1, 1], [1, 1]), ("Need attention", [2, 3], [2, 3], [2, 3]),
        ("About to sleep", [2, 3], [1, 2], [1, 2]), ("At risk", [1, 2], [2, 5], [2, 5]),
        ("Can't lose them", [1, 1], [4, 5], [4, 5]), ("Hibernating", [1, 2], [1, 2], [1, 2]),
        ("Lost", [1, 2], [1, 2], [1, 2]),
    ]
    data = {"axes": ["r", "f", "m"], "segments": [
        {"name": n, "r": r, "f": f, "m": m} for n, r, f, m in copied]}
    with pytest.raises(SegmentMapError) as info:
        parse_map(data)
    assert info.value.details["empty"] and info.value.details["doubled"]


def test_user_map_from_yaml_file(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text("name: two\naxes: [r, f]\nsegments:\n"
                    "  - {name: Active, r: [3, 5]}\n  - {name: Lapsed, r: [1, 2]}\n")
    seg_map = load_map(path)
    assert seg_map.names == ["Active", "Lapsed"] and seg_map.name == "two"


@pytest.mark.parametrize(("data", "message"), [
    ({"segments": [{"name": "x", "r": [0, 5]}]}, r"segments\[0\].r must be \[low, high\]"),
    ({"segments": [{"name": "x", "q": [1, 5]}]}, "unknown keys"),
    ({"axes": ["r", "z"], "segments": []}, "axes must be"),
    ({"segments": [{"name": "x"}, {"name": "x"}]}, "names repeat"),
    ([1, 2], "needs a 'segments' list"),
])
def test_malformed_maps(data, message):
    with pytest.raises(SegmentMapError, match=message):
        parse_map(data)


def test_unknown_map_name():
    with pytest.raises(SegmentMapError, match="no segment map 'nope'"):
        load_map("nope")
