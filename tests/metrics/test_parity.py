"""Every registry metric gives the same answer on DuckDB, PostgreSQL and Spark.

The synthetic shop (tests/support/synthetic.py) is loaded once per engine (and once more into
DuckDB with the per-customer tables an import stores, ``duckdb_stored``); each metric of
``METRICS`` (read at import time, so new metrics are included automatically) is built with the
same options, executed, and compared with DuckDB: integers exactly, floats to 1e-9 relative,
dates as dates, rows sorted by their key (non-float) columns first.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from typing import Any

import numpy as np
import pandas as pd
import pytest

from loyalist.data.views import tables as view_tables
from loyalist.metrics.registry import METRICS
from tests.support.backends import load_backend
from tests.support.synthetic import AS_OF, synthetic_shop

# py4j hands its sockets to the garbage collector, which reports them as unraisable warnings
SPARK_SOCKETS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
ENGINES = [pytest.param("duckdb"), pytest.param("duckdb_stored"),
           pytest.param("postgres", marks=pytest.mark.postgres),
           pytest.param("spark", marks=[pytest.mark.spark, SPARK_SOCKETS])]
BASE: dict[str, Any] = {"as_of": AS_OF, "period": None, "variant": None, "share": None,
                        "by": None}
# options beyond the defaults, for metrics that have them (skipped when not registered)
EXTRA = [("cohort_retention", {"variant": "on_or_after"}), ("community", {"period": "day"}),
         ("referral_share", {"period": "week"}), ("nps", {"by": "acquisition_channel"}),
         ("revenue_concentration", {"share": 0.1}), ("churn", {"variant": "period_end"}),
         ("six_month_churn", {"variant": "cancellation"})]
CASES = [(name, {}) for name in sorted(METRICS)] + [(n, o) for n, o in EXTRA if n in METRICS]
IDS = [name + "".join(f"-{k}={v}" for k, v in o.items()) for name, o in CASES]


@pytest.fixture(scope="module")
def shop():
    return synthetic_shop()


@pytest.fixture(scope="module")
def engines(shop, request):
    """One loaded backend per engine for the whole module, opened on first use."""
    with ExitStack() as stack:
        opened: dict[str, Any] = {}

        def get(engine: str) -> Any:
            if engine not in opened:
                url = request.getfixturevalue("postgres_url") if engine == "postgres" else None
                opened[engine] = stack.enter_context(load_backend(engine, shop, postgres_url=url))
            return opened[engine]

        yield get


def _run(backend: Any, name: str, options: dict[str, Any]) -> pd.DataFrame:
    return backend.execute(METRICS[name].build(view_tables(backend), {**BASE, **options}))


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as dates, integers as Python ints, floats as floats, missing as None/NaN."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.tz_localize(None) if values.dt.tz is not None else values
            if (values.dropna() == values.dropna().dt.normalize()).all():
                values = values.dt.date.astype(object)
        elif pd.api.types.is_float_dtype(values):
            values = values.astype("float64")
        elif pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
            values = values.astype(object)
        values = values.map(lambda v: v.date() if isinstance(v, dt.datetime)
                            and v == dt.datetime(v.year, v.month, v.day) else v)
        out[column] = values
    return pd.DataFrame(out)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    keys = [c for c in frame.columns if c not in floats] + floats
    sort = pd.DataFrame({c: frame[c].map(lambda v: "" if v is None or v != v else
                                         (f"{v:.6g}" if isinstance(v, float) else str(v)))
                         for c in keys})
    return frame.loc[sort.sort_values(keys).index].reset_index(drop=True)


def _assert_same(ref: pd.DataFrame, got: pd.DataFrame, where: str) -> None:
    assert list(got.columns) == list(ref.columns), where
    assert len(got) == len(ref), f"{where}: {len(got)} rows, DuckDB {len(ref)}"
    ref, got = _sorted(_normalise(ref)), _sorted(_normalise(got))
    for column in ref.columns:
        a, b = ref[column], got[column]
        if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
            x, y = a.astype("float64").to_numpy(), b.astype("float64").to_numpy()
            same = np.isclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
            assert same.all(), f"{where}.{column}: {x[~same][:5]} vs {y[~same][:5]}"
        else:
            diff = [(u, v) for u, v in zip(a, b, strict=True) if not _equal(u, v)]
            assert not diff, f"{where}.{column}: {diff[:5]}"


def _equal(u: Any, v: Any) -> bool:
    if u is None or v is None or (isinstance(u, float) and u != u):
        return (u is None or u != u) and (v is None or v != v)
    if isinstance(u, (int, np.integer)) and not isinstance(u, bool):
        return float(v) == float(u) and float(v).is_integer()
    if isinstance(u, dt.date) or isinstance(v, dt.date):  # dates compare as dates only
        return isinstance(u, dt.date) and isinstance(v, dt.date) and u == v
    return bool(u == v)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_same_answer_on_every_engine(name, options, engine, engines):
    ref = _run(engines("duckdb"), name, options)
    got = ref if engine == "duckdb" else _run(engines(engine), name, options)
    if engine == "duckdb":
        assert len(ref.columns) > 0
    _assert_same(ref, got, f"{name} on {engine}")


def test_the_shop_is_not_trivial(engines):
    """Metrics of the suite have something to compare: the shop fills every table."""
    backend = engines("duckdb")
    for name in ("referral_share", "ltv_cac", "renewal_calendar", "community", "nps"):
        if name in METRICS:
            assert len(_run(backend, name, {})) >= 3, name
