"""CLV pipeline on ~10M transactions / 1M customers: loyalist against lifetimes 0.11.3, one run.

Run: ``.venv/bin/python benchmarks/clv_speed.py [--customers 1000000] [--skip-lifetimes-pareto]``
(``--customers 20000`` for a smoke run). Steps:

1. summary (frequency, recency, T, monetary value; weeks, same-day purchases merged) of the
   synthetic transactions: loyalist loads the arrays into DuckDB and runs ``rfm_summary``;
   lifetimes runs ``summary_data_from_transaction_data`` (``freq="D"``, ``freq_multiplier=7``)
   on a pandas frame. The two summaries are compared.
2. BG/NBD fit on the summary; 3. Pareto/NBD fit; 4. 12-month CLV (Gamma-Gamma fit on the repeat
   customers + discounted CLV of every customer, monthly discount 1 %; the BG/NBD fit it needs is
   done before the clock starts).

Every step of each tool runs in its own subprocess, so ``peak MB`` is that process's
``ru_maxrss`` (interpreter, imports and input data included). lifetimes needs numpy < 2 and an
older pandas, so it lives in its own venv, created on first use at ``benchmarks/.venv-lifetimes``
(see ``LIFETIMES_PINS``) and driven by ``_lifetimes_driver.py``. Synthetic customers follow
BG/NBD (gamma purchase rates, beta drop-out after each purchase) with Gamma-Gamma spend; first
purchases in the first 13 weeks, 78 weeks observed, ~10 transactions a customer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
LIFETIMES_PINS = ["lifetimes==0.11.3", "pandas==2.1.4", "numpy==1.26.4", "scipy==1.13.1",
                  "autograd==1.9.1", "dill==0.4.1"]
START, END_DAY = np.datetime64("2024-01-01", "s"), 545  # observation ends on day 545 (78 weeks)
COLUMNS = ("frequency", "recency", "T", "monetary_value")
STEPS = {"summary": "summary, ~10 tx/customer", "bgnbd": "BG/NBD fit", "pareto": "Pareto/NBD fit",
         "clv": "CLV 12 months (BG/NBD + GG)"}


def generate(customers: int, seed: int = 7) -> dict[str, np.ndarray]:
    """BG/NBD purchases (r=2, alpha=8 weeks; a=1, b=9) with Gamma-Gamma spend (p=6, q=4, v=15)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 1 / 8.0, customers) / 7.0  # purchases a day while alive
    dropout = rng.beta(1.0, 9.0, customers)
    first = rng.integers(0, 91, customers)
    span = (END_DAY + 1 - first).astype(float)  # seconds of the last day included
    # BG/NBD: drop-out only after a repeat purchase, so the k-th one is the last with prob p
    alive_for = rng.geometric(dropout)
    count = rng.poisson(rate * span)
    cust = np.repeat(np.arange(customers), count)
    at = rng.random(cust.size) * span[cust]
    order = np.lexsort((at, cust))
    cust, at = cust[order], at[order]
    rank = np.arange(cust.size) - (np.cumsum(count) - count)[cust]
    keep = rank < alive_for[cust]
    cust = np.concatenate([np.arange(customers), cust[keep]])
    days = np.concatenate([first.astype(float), first[cust[customers:]] + at[keep]])
    again = rng.random(cust.size) < 0.05  # 5 % of the orders have a second order that day
    cust, days = np.concatenate([cust, cust[again]]), np.concatenate([days, days[again]])
    scale = rng.gamma(4.0, 1 / 15.0, customers)
    amount = np.round(rng.gamma(6.0, 1.0, cust.size) / scale[cust], 2)
    ordered_at = START + (days * 86400).astype("timedelta64[s]")
    return {"customer_id": cust.astype(np.int64), "ordered_at": ordered_at, "amount": amount,
            "observation_end": np.array(str(START.astype("datetime64[D]") + END_DAY))}


def lifetimes_python(venv: Path) -> Path:
    """The lifetimes venv's python; the venv is created with ``LIFETIMES_PINS`` if missing."""
    python, marker = venv / "bin" / "python", venv / ".installed"
    if not marker.exists():
        print(f"creating {venv} with {' '.join(LIFETIMES_PINS)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *LIFETIMES_PINS], check=True)
        subprocess.run([str(python), "-c", "import lifetimes"], check=True)
        marker.write_text("\n".join(LIFETIMES_PINS) + "\n")
    return python


def run_step(command: list[str], timeout: float) -> dict[str, Any]:
    """Run one step's subprocess; its last stdout line is JSON. Failures become ``status``."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout (>{timeout:.0f} s)"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": f"failed: {error[:120]}"}
    return json.loads(lines[-1])


# ---- loyalist side: ``clv_speed.py --worker STEP WORKDIR`` runs one step and prints JSON ----

def _summary_arrays(work: Path) -> dict[str, np.ndarray]:
    data = np.load(work / "summary.npz")
    return {c: data[c] for c in COLUMNS}


def _worker_summary(work: Path) -> dict[str, Any]:
    import ibis
    import pyarrow as pa

    from loyalist.clv.summary import rfm_summary

    data = np.load(work / "transactions.npz")
    arrays = {c: data[c] for c in ("customer_id", "ordered_at", "amount")}
    t0 = time.perf_counter()
    con = ibis.duckdb.connect()
    orders = con.create_table("orders", pa.table(arrays))
    out = con.to_pyarrow(rfm_summary(orders, observation_end=str(data["observation_end"]),
                                     unit="W"))
    seconds = time.perf_counter() - t0
    ids = out["customer_id"].to_numpy()
    order = np.argsort(ids)
    np.savez(work / "summary_loyalist.npz", customer_id=ids[order],
             **{c: out[c].to_numpy()[order].astype(float) for c in COLUMNS})
    return {"seconds": seconds, "rows": len(arrays["amount"]), "customers": out.num_rows}


def _worker_fit(work: Path, name: str) -> dict[str, Any]:
    from loyalist.clv import BetaGeo, ParetoNBD

    s = _summary_arrays(work)
    model = {"bgnbd": BetaGeo, "pareto": ParetoNBD}[name]()
    t0 = time.perf_counter()
    model.fit(s["frequency"], s["recency"], s["T"])
    return {"seconds": time.perf_counter() - t0, "params": dict(model.params_)}


def _worker_clv(work: Path) -> dict[str, Any]:
    from loyalist.clv import BetaGeo, GammaGamma
    from loyalist.clv.value import customer_lifetime_value

    s = _summary_arrays(work)
    bg = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
    repeat = s["frequency"] > 0
    t0 = time.perf_counter()
    gg = GammaGamma().fit(s["frequency"][repeat], s["monetary_value"][repeat])
    t1 = time.perf_counter()
    value = customer_lifetime_value(bg, gg, s["frequency"], s["recency"], s["T"],
                                    s["monetary_value"], discount_rate=0.01,
                                    **_twelve_months(customer_lifetime_value))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "params": dict(gg.params_), "gg_seconds": t1 - t0,
            "clv_seconds": seconds - (t1 - t0), "clv_total": float(np.sum(np.asarray(value)))}


def _twelve_months(function: Any) -> dict[str, Any]:
    """12 months with the summary in weeks, in either spelling of the horizon keywords."""
    import inspect

    if "months" in inspect.signature(function).parameters:
        return {"months": 12, "unit": "W"}
    return {"time": 12, "unit": "months", "freq": "W"}  # lifetimes' spelling


def worker(step: str, work: Path) -> None:
    import resource

    try:
        if step == "summary":
            result = _worker_summary(work)
        elif step == "clv":
            result = _worker_clv(work)
        else:
            result = _worker_fit(work, step)
    except ImportError as exc:  # the models are written alongside this benchmark
        result = {"status": f"not available ({exc})"}
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# ---- the run ---------------------------------------------------------------------------

def compare_summaries(work: Path) -> str:
    """Largest differences between the two tools' summaries; picks the input of steps 2-4."""
    have = [work / f"summary_{tool}.npz" for tool in ("loyalist", "lifetimes")]
    present = [p for p in have if p.exists()]
    if not present:
        raise SystemExit("neither tool produced a summary")
    shutil.copy(present[0], work / "summary.npz")
    if len(present) < 2:
        return f"summary check: only {present[0].name}"
    a, b = np.load(have[0]), np.load(have[1])
    if not np.array_equal(a["customer_id"], b["customer_id"]):
        return "summary check: DIFFERENT customers"
    diffs = ", ".join(f"{c} {np.max(np.abs(a[c] - b[c])):.2e}" for c in COLUMNS)
    return f"summary check, max |loyalist - lifetimes|: {diffs}"


def run_all(args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], list[str]]:
    python = str(lifetimes_python(args.lifetimes_venv))
    results: dict[str, Any] = {}
    notes: list[str] = []
    for step in STEPS:
        ours = run_step([sys.executable, __file__, "--worker", step, str(work)], args.timeout)
        if step == "pareto" and args.skip_lifetimes_pareto:
            theirs: dict[str, Any] = {"status": "skipped"}
        else:
            driver = [python, str(HERE / "_lifetimes_driver.py"), step, str(work)]
            theirs = run_step(driver, args.timeout)
        results[step] = (ours, theirs)
        if step == "summary":
            notes.append(compare_summaries(work))
        for tool, r in (("loyalist", ours), ("lifetimes", theirs)):
            extra = {k: (round(r[k], 2) if k.endswith("seconds") else r[k])
                     for k in ("params", "clv_total", "gg_seconds", "clv_seconds") if k in r}
            if extra:
                notes.append(f"{STEPS[step]}, {tool}: {_fmt(extra)}")
    return results, notes


def _fmt(values: dict[str, Any]) -> str:
    flat = {**values.get("params", {}), **{k: v for k, v in values.items() if k != "params"}}
    return ", ".join(f"{k}={v:.6g}" for k, v in flat.items())


def report(results: dict[str, Any], notes: list[str]) -> None:
    def cell(r: dict[str, Any], key: str, fmt: str) -> str:
        if key in r:
            return format(r[key], fmt)
        return str(r.get("status", "-")).split(" (")[0].split(":")[0]  # details below the row

    print(f"{'step':<30}{'loyalist s':>12}{'lifetimes s':>13}{'ratio':>8}"
          f"{'loyalist peak MB':>18}{'lifetimes peak MB':>19}")
    for step, (ours, theirs) in results.items():
        ratio = (f"{theirs['seconds'] / ours['seconds']:.1f}x"
                 if "seconds" in ours and "seconds" in theirs else "-")
        print(f"{STEPS[step]:<30}{cell(ours, 'seconds', '.2f'):>12}"
              f"{cell(theirs, 'seconds', '.2f'):>13}{ratio:>8}"
              f"{cell(ours, 'peak_mb', '.0f'):>18}{cell(theirs, 'peak_mb', '.0f'):>19}")
        for tool, r in (("loyalist", ours), ("lifetimes", theirs)):
            if "seconds" not in r and r.get("status") != "skipped":
                print(f"    {tool}: {r.get('status')}")
    print("ratio = lifetimes s / loyalist s")
    for note in notes:
        print(note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--skip-lifetimes-pareto", action="store_true",
                        help="lifetimes' Pareto/NBD fit takes ~190 s at 1M customers")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per step")
    parser.add_argument("--lifetimes-venv", type=Path, default=HERE / ".venv-lifetimes")
    parser.add_argument("--worker", nargs=2, metavar=("STEP", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]))
        return
    work = Path(tempfile.mkdtemp(prefix="loyalist-clv-bench-"))
    try:
        t0 = time.perf_counter()
        data = generate(args.customers)
        np.savez(work / "transactions.npz", **data)
        print(f"{len(data['amount']):,} transactions of {args.customers:,} customers "
              f"generated in {time.perf_counter() - t0:.1f} s", flush=True)
        del data
        report(*run_all(args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
