"""The same canonical tables on DuckDB, a throw-away PostgreSQL and Spark ``local[2]``.

``load_backend(name, tables)`` returns an Ibis backend holding the given Arrow tables; the
parity tests run one expression on each and compare. One SparkSession serves the whole test
session (it takes 5-10 s to start).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis
import pyarrow as pa

from loyalist.data.derived import refresh

ENGINES = ("duckdb", "postgres", "spark")
_SPARK: Any = None


def spark_session() -> Any:
    """The test session's SparkSession (local[2], UTC, no UI, 2 shuffle partitions)."""
    global _SPARK
    if _SPARK is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        _SPARK = (SparkSession.builder.master("local[2]").appName("loyalist-tests")
                  .config("spark.ui.enabled", "false")
                  .config("spark.sql.shuffle.partitions", "2")
                  .config("spark.sql.session.timeZone", "UTC")
                  .config("spark.driver.bindAddress", "127.0.0.1")
                  .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="spark-wh-"))
                  .getOrCreate())
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


@contextmanager
def load_backend(name: str, tables: dict[str, pa.Table], *,
                 postgres_url: str | None = None) -> Iterator[Any]:
    """An Ibis backend of engine ``name`` holding ``tables`` (replaced if present).

    ``"duckdb_stored"`` is DuckDB with the per-customer tables stored as an import stores them
    (:mod:`loyalist.data.derived`). The backend is disconnected afterwards (the shared
    SparkSession stays up).
    """
    if name in ("duckdb", "duckdb_stored"):
        backend = ibis.duckdb.connect()
    elif name == "postgres":
        if postgres_url is None:
            raise ValueError("postgres needs the postgres_url fixture")
        url = postgres_url.replace("postgresql+psycopg://", "postgres://")
        backend = ibis.connect(url)
    elif name == "spark":
        backend = ibis.pyspark.connect(spark_session())
    else:
        raise ValueError(f"unknown engine {name!r}")
    try:
        for table_name, data in tables.items():
            if name == "spark":  # temporary views: nothing written to a warehouse
                spark_session().createDataFrame(data.to_pandas()).createOrReplaceTempView(
                    table_name)
            else:
                backend.create_table(table_name, data, overwrite=True)
        if name == "duckdb_stored":  # what `loyalist import` adds to a workspace
            refresh(backend)
        yield backend
    finally:
        if name != "spark":
            backend.disconnect()
