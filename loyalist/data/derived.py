"""Per-customer order days and months, event days and sessions: the shared first steps.

Nearly every order metric starts the same way: identified orders grouped per customer and day or
month, in time order, with the neighbouring period next to each row; the usage metrics start from
each customer's active days or sessions. At 10M orders those sorts are most of a metric's cost, so
they are done once and stored:

- :func:`build_order_days`: one row per customer and order day: ``customer_id``, ``day``,
  ``orders`` (order rows that day: ``order_id`` is the key of ``orders``, so rows are distinct
  orders), ``revenue`` (sum of ``amount``), ``first_at`` / ``last_at`` (the day's first and
  last ``ordered_at``), ``next_day`` (the customer's next order day, empty on the last),
  ``first_day`` (the customer's first order day), ``day_no`` (1 = first order day) and the
  running totals ``orders_to_date`` / ``revenue_to_date`` up to and including the day;
- :func:`build_customer_months`: one row per customer and calendar month with an order: ``p``
  (``year * 12 + month - 1``), ``orders``, ``revenue``, ``prev_p`` / ``next_p``, ``first_p``
  (the cohort month) and ``first_revenue`` (revenue of the first month);
- :func:`build_event_days`: one row per ``customer_id`` and day with an event: ``events`` and
  ``next_day`` (the customer's next day with an event);
- :func:`build_sessions`: sessions rebuilt from events with the 30-minute inactivity rule:
  ``customer_id``, ``session_no`` (1, 2, ... per customer), ``started_at``, ``ended_at`` (its
  last event) and ``events``.

Guest orders (no ``customer_id``) are left out of the order tables.

All are Ibis expressions that run on every engine. A DuckDB workspace also stores them
(:func:`refresh`; :func:`refresh_if_stale` runs before every CLI command that reads the
workspace, when the server starts and after the demo's imports, so an import itself stays
fast), and :func:`order_days`,
:func:`customer_months`, :func:`event_days` and :func:`sessions` hand out the stored table when
the expression given is the workspace's own table and the store is fresh (same number of rows and
of imports of the source table as when it was built); otherwise the expression is built on the
fly, with the same result, only slower.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir

from loyalist.store.workspace import Workspace

MARKER = "_derived"
IDLE_MINUTES = 30  # the session rule of the stored sessions
_KEEP = 32  # source expressions remembered with their stored tables
# by the identity of the source expression's node: equal nodes of two in-memory DuckDB
# backends compare equal, so equality would hand one backend's tables to the other
_STORED: OrderedDict[int, tuple[Any, dict[str, ir.Table]]] = OrderedDict()


def month_of(value: ir.DateValue | ir.TimestampValue) -> ir.IntegerValue:
    """``year * 12 + month - 1``: consecutive calendar months differ by 1."""
    return value.year().cast("int64") * 12 + value.month().cast("int64") - 1


def build_order_days(orders: ir.Table) -> ir.Table:
    """One row per identified customer and order day, with its neighbours (module docstring)."""
    known = orders.filter(orders.customer_id.notnull())
    amount = (known.amount.cast("float64") if "amount" in known.columns
              else ibis.null("float64"))  # metrics that count orders accept a bare table
    k = known.select("customer_id", "ordered_at", day=known.ordered_at.date(), amount=amount)
    d = k.group_by(["customer_id", "day"]).aggregate(
        orders=k.count(), revenue=k.amount.sum(), first_at=k.ordered_at.min(),
        last_at=k.ordered_at.max())
    w = ibis.window(group_by=d.customer_id, order_by=d.day, preceding=None, following=0)
    return d.mutate(next_day=d.day.lead().over(w), first_day=d.day.first().over(w),
                    day_no=(ibis.row_number().over(w) + 1).cast("int64"),
                    orders_to_date=d.orders.sum().over(w).cast("int64"),
                    revenue_to_date=d.revenue.sum().over(w))


def build_customer_periods(order_days: ir.Table, index: ir.IntegerValue) -> ir.Table:
    """One row per customer and period with an order, ``index`` numbering the period of each
    order day: ``p``, ``orders``, ``revenue``, ``prev_p`` / ``next_p``, ``first_p`` (the cohort
    period) and ``first_revenue`` (its revenue).
    """  # noqa: D205
    d = order_days.select("customer_id", "orders", "revenue", p=index)
    g = d.group_by(["customer_id", "p"]).aggregate(orders=d.orders.sum().cast("int64"),
                                                   revenue=d.revenue.sum())
    w = ibis.window(group_by=g.customer_id, order_by=g.p)
    return g.mutate(prev_p=g.p.lag().over(w), next_p=g.p.lead().over(w),
                    first_p=g.p.first().over(w), first_revenue=g.revenue.first().over(w))


def build_customer_months(order_days: ir.Table) -> ir.Table:
    """:func:`build_customer_periods` by calendar month, ``p`` = :func:`month_of` the day."""
    return build_customer_periods(order_days, month_of(order_days.day))


def build_event_days(events: ir.Table) -> ir.Table:
    """One row per customer and day with an event: ``events`` and ``next_day``."""
    e = events.select("customer_id", day=events.occurred_at.date())
    d = e.group_by(["customer_id", "day"]).aggregate(events=e.count())
    return d.mutate(next_day=d.day.lead().over(group_by=d.customer_id, order_by=d.day))


def build_sessions(events: ir.Table, *, idle_minutes: int = IDLE_MINUTES) -> ir.Table:
    """Sessions: a new one starts after ``idle_minutes`` without events (module docstring)."""
    order = [events.occurred_at, events.event_id]
    prev = events.occurred_at.lag().over(group_by=events.customer_id, order_by=order)
    e = events.mutate(new=ibis.ifelse(
        prev.isnull() | (events.occurred_at > prev + ibis.interval(minutes=idle_minutes)), 1, 0))
    running = ibis.window(group_by=e.customer_id, order_by=[e.occurred_at, e.event_id],
                          preceding=None, following=0)
    e = e.mutate(session_no=e.new.sum().over(running))
    return e.group_by(["customer_id", "session_no"]).aggregate(
        started_at=e.occurred_at.min(), ended_at=e.occurred_at.max(), events=e.count())


# stored table -> (source table, how it is built from the source or an earlier stored table)
_BUILDS: dict[str, tuple[str, Callable[[Callable[[str], ir.Table]], ir.Table]]] = {
    "order_days": ("orders", lambda t: build_order_days(t("orders"))),
    "customer_months": ("orders", lambda t: build_customer_months(t("order_days"))),
    "event_days": ("events", lambda t: build_event_days(t("events"))),
    "sessions": ("events", lambda t: build_sessions(t("events"))),
}
SOURCES = ("orders", "events")


def _name(derived: str) -> str:
    return f"_{derived}"


def _stored(source: ir.Table, derived: str) -> ir.Table | None:
    node = source.op()
    entry = _STORED.get(id(node))
    return entry[1].get(derived) if entry is not None and entry[0] is node else None


def order_days(orders: ir.Table) -> ir.Table:
    """:func:`build_order_days` of ``orders``, from the workspace's store when it holds it."""
    stored = _stored(orders, "order_days")
    return stored if stored is not None else build_order_days(orders)


def stored_order_days(orders: ir.Table) -> ir.Table | None:
    """The stored order days of ``orders``, or ``None`` when it has none (no fallback built).

    For metrics whose own one-pass expression over the orders is cheaper than building the
    order days on the fly.
    """
    return _stored(orders, "order_days")


def stored_customer_months(orders: ir.Table) -> ir.Table | None:
    """The stored customer months of ``orders``, or ``None`` (see :func:`stored_order_days`)."""
    return _stored(orders, "customer_months")


def customer_months(orders: ir.Table) -> ir.Table:
    """:func:`build_customer_months` of ``orders``, from the store when it holds it."""
    stored = _stored(orders, "customer_months")
    return stored if stored is not None else build_customer_months(order_days(orders))


def event_days(events: ir.Table) -> ir.Table:
    """:func:`build_event_days` of ``events``, from the store when it holds it."""
    stored = _stored(events, "event_days")
    return stored if stored is not None else build_event_days(events)


def sessions(events: ir.Table, *, idle_minutes: int = IDLE_MINUTES) -> ir.Table:
    """:func:`build_sessions` of ``events``, from the store when it holds it (30-minute rule)."""
    stored = _stored(events, "sessions") if idle_minutes == IDLE_MINUTES else None
    return stored if stored is not None else build_sessions(events, idle_minutes=idle_minutes)


def orders_before(orders: ir.Table, day: dt.date) -> ir.Table:
    """``orders`` placed before ``day``, whose per-customer tables are cut from the stored ones.

    Identical to filtering ``ordered_at < day``; when ``orders`` has stored tables, the order
    days of the result are the stored rows before ``day`` (a next day on or after it is
    empty), and its customer months too when ``day`` is the first of a month, so metrics of an
    earlier date need no new sort.
    """
    cut = orders.filter(orders.ordered_at < ibis.literal(dt.datetime.combine(day, dt.time())))
    days = _stored(orders, "order_days")
    if days is None:
        return cut
    until = ibis.literal(day)
    days = days.filter(days.day < until)
    derived = {"order_days": days.mutate(
        next_day=ibis.ifelse(days.next_day < until, days.next_day, ibis.null("date")))}
    months = _stored(orders, "customer_months")
    if months is not None and day.day == 1:
        m = day.year * 12 + day.month - 1
        months = months.filter(months.p < m)
        derived["customer_months"] = months.mutate(
            next_p=ibis.ifelse(months.next_p < m, months.next_p, ibis.null("int64")))
    _remember(cut, derived)
    return cut


def of_customers(source: ir.Table,
                 keep: Callable[[ir.StringValue], ir.BooleanValue]) -> ir.Table:
    """Rows of ``source`` (``orders`` or ``events``) of the customers ``keep`` selects by id.

    Every stored table of ``source`` is per customer, so it is filtered the same way and stays
    exact: metrics of a sample of customers need no new sort either.
    """
    out = source.filter(keep(source.customer_id))
    node = source.op()
    entry = _STORED.get(id(node))
    if entry is not None and entry[0] is node:
        _remember(out, {name: table.filter(keep(table.customer_id))
                        for name, table in entry[1].items()})
    return out


def _remember(source: ir.Table, derived: dict[str, ir.Table]) -> None:
    node = source.op()
    _STORED[id(node)] = (node, derived)
    _STORED.move_to_end(id(node))
    while len(_STORED) > _KEEP:
        _STORED.popitem(last=False)


def _states(con: duckdb.DuckDBPyConnection, sources: list[str],
            with_imports: bool) -> dict[str, tuple[int, int]]:
    """``(rows, imports)`` of each source table, in one query: what stored tables are built from.

    Table names come from :data:`SOURCES`, never from input.
    """
    parts = []
    for source in sources:
        parts.append(f'(SELECT count(*) FROM "{source}")')
        parts.append(f"(SELECT count(*) FROM _imports WHERE table_name = '{source}')"
                     if with_imports else "0")
    row = con.execute(f"SELECT {', '.join(parts)}").fetchone() or ()
    return {source: (int(row[2 * i]), int(row[2 * i + 1])) for i, source in enumerate(sources)}


def _fresh(con: duckdb.DuckDBPyConnection, present: set[str]) -> dict[str, bool]:
    """Per source table present: whether its stored tables exist and match its counts."""
    sources = [source for source in SOURCES if source in present]
    if not sources:
        return {}
    marker: dict[str, tuple[int, int]] = {}
    if MARKER in present:
        marker = {r[0]: (r[1], r[2]) for r in con.execute(
            f"SELECT source, rows, imports FROM {MARKER}").fetchall()}
    state = _states(con, sources, "_imports" in present)
    return {source: marker.get(source) == state[source]
            and {_name(d) for d in _derived_of(source)} <= present for source in sources}


def _derived_of(source: str) -> list[str]:
    return [d for d, (src, _) in _BUILDS.items() if src == source]


def use_stored(backend: Any, tables: dict[str, ir.Table], present: set[str]) -> None:
    """Let the functions above read the stored tables for ``tables["orders"]`` and ``["events"]``.

    Nothing happens for a source unless the backend (a DuckDB workspace) holds its stored
    tables, fresh (see the module docstring). Two small queries, whatever the table sizes.
    """
    con = getattr(backend, "con", None)
    if MARKER not in present or not isinstance(con, duckdb.DuckDBPyConnection):
        return
    for source, fresh in _fresh(con, present).items():
        if fresh and source in tables:
            _remember(tables[source], {d: backend.table(_name(d)) for d in _derived_of(source)})


def refresh(backend: Any, sources: tuple[str, ...] = SOURCES) -> None:
    """Build and store the derived tables of ``sources`` in a DuckDB workspace.

    ``backend`` is a read-write Ibis DuckDB backend on the workspace. The tables and the marker
    rows are replaced in one transaction; a source table that is missing drops its tables.
    """
    con = backend.con
    present = set(backend.list_tables())

    def table(name: str) -> ir.Table:
        return backend.table(name if name in SOURCES else _name(name))

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (source VARCHAR, rows BIGINT, "
                    "imports BIGINT)")
        for source in sources:
            con.execute(f"DELETE FROM {MARKER} WHERE source = ?", [source])
            for derived, (src, build) in _BUILDS.items():
                if src != source:
                    continue
                if source not in present:
                    con.execute(f"DROP TABLE IF EXISTS {_name(derived)}")
                else:
                    _store(backend, _name(derived), build(table))
            if source in present:
                rows, imports = _states(con, [source], "_imports" in present)[source]
                con.execute(f"INSERT INTO {MARKER} VALUES (?, ?, ?)", [source, rows, imports])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _store(backend: Any, name: str, expr: ir.Table) -> None:
    """Write ``expr`` to table ``name`` with the column types of its Ibis schema.

    A plain ``CREATE TABLE AS`` would keep DuckDB's own result types (a sum of integers is a
    128-bit integer there), which Ibis then reads as decimals.
    """
    from ibis.backends.sql.datatypes import DuckDBType

    columns = ", ".join(f'"{c}" {DuckDBType.to_string(t)}' for c, t in expr.schema().items())
    backend.con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    backend.con.execute(f"INSERT INTO {name} {backend.compile(expr)}")


def refresh_workspace(workspace: Workspace, sources: tuple[str, ...] = SOURCES) -> None:
    """:func:`refresh` on a workspace's DuckDB file (after anything that wrote a source table)."""
    with workspace.connect() as con:
        refresh(ibis.duckdb.from_connection(con), sources)


def stale_sources(workspace: Workspace) -> tuple[str, ...]:
    """The source tables of a workspace whose stored tables are missing or out of date."""
    if not workspace.exists:
        return ()
    with workspace.connect(read_only=True) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return tuple(source for source, fresh in _fresh(con, present).items() if not fresh)


def refresh_if_stale(workspace: Workspace,
                     announce: Callable[[tuple[str, ...]], None] | None = None,
                     ) -> tuple[str, ...]:
    """Rebuild the stored tables of the sources that changed since they were built.

    Returns the sources rebuilt (``announce`` hears them first: it may take a while). Does
    nothing when everything is fresh, and nothing either when another process holds the
    workspace open for writing (readers then compute on the fly).
    """
    stale = stale_sources(workspace)
    if not stale:
        return ()
    if announce is not None:
        announce(stale)
    try:
        refresh_workspace(workspace, stale)
    except duckdb.IOException:  # locked by a writer elsewhere: not now
        return ()
    return stale
