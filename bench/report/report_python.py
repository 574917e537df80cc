"""The baselines of report-bench: the same reports as Switchboard's engine, in DuckDB and pandas.

report-bench (bench/report/src/main.rs) runs this in the venv made by setup.sh, passing the
cache file, the instant relative periods are resolved against, the number of timed runs and
the columns its engine read per table. This script:

1. loads those columns of the same SQLite file, all rows, once into DuckDB tables (through
   DuckDB's sqlite extension, from the duckdb-ext-sqlite wheel) and once into pandas frames
   (read through the same extension into Arrow, then `to_pandas()`: pandas 3 default dtypes,
   `str` and `datetime64[us, UTC]`). Times are stored as integer milliseconds; both get them
   as UTC timestamps at load, as the engine does. Each load is timed on its own;
2. runs each report once untimed and then --runs times, timing the query only (the data is
   in memory; the small result is fetched into Python inside the timing, as the engine's
   result frame is built inside its);
3. writes timings and results as JSON (--out), results as [[keys...], [values...]] rows:
   local days as YYYY-MM-DD, a missing name as null.

Semantics match the engine's, spelled out because a benchmark of different answers is
worthless: "last 30 days" is the 30 whole local days in Europe/Berlin before the local day
of --now, as UTC instants [from, to) on created_at; days are cut on Berlin wall-clock time;
first response = (first_response_at - queued_at) in seconds, conversations without one left
out of the median and p90 but counted; quantiles interpolate linearly (numpy's default,
DuckDB's quantile_cont); an agent's name comes from the agents table by (source, id), the id
standing in when the name is missing; groups with a missing key are kept.
"""

import argparse
import datetime as dt
import glob
import json
import os
import platform
import statistics
import sys
import sysconfig
import time
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pyarrow

TZ = "Europe/Berlin"


def sqlite_extension():
    """The sqlite scanner shipped by the duckdb-ext-sqlite wheel, for this DuckDB version."""
    root = sysconfig.get_paths()["purelib"]
    pattern = os.path.join(root, "duckdb_ext", "extensions", f"v{duckdb.__version__}", "*", "sqlite_scanner.duckdb_extension")
    found = glob.glob(pattern)
    if not found:
        sys.exit(f"no sqlite extension for DuckDB {duckdb.__version__} under {root}; run bench/report/setup.sh")
    return found[0]


def period_last_days(now_utc, days):
    """[from, to) in UTC for the `days` whole local days before now's local day."""
    tz = ZoneInfo(TZ)
    today = now_utc.astimezone(tz).date()
    start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def select_list(columns):
    # Canonical time columns end in _at and hold epoch milliseconds.
    return ", ".join(f"epoch_ms({c}) AT TIME ZONE 'UTC' AS {c}" if c.endswith("_at") else c for c in columns)


def timed(run, runs):
    run()  # warm-up, as for the engine
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t)
    return times, result


def key(v):
    if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    if isinstance(v, (dt.datetime, dt.date, pd.Timestamp)):
        return v.strftime("%Y-%m-%d")
    return str(v)


def number(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return float(v)


def rows_of(records, n_keys):
    return [[[key(v) for v in r[:n_keys]], [number(v) for v in r[n_keys:]]] for r in records]


# --- DuckDB ---------------------------------------------------------------------------------

def duckdb_reports(con, lo, hi):
    day = f"date_trunc('day', timezone('{TZ}', created_at))"
    return {
        "first_response_by_agent_channel": (
            2,
            lambda: con.execute(
                """SELECT coalesce(a.name, c.agent_id) AS agent, c.channel, count(*) AS n,
                          quantile_cont(c.frt, 0.5), quantile_cont(c.frt, 0.9)
                   FROM (SELECT source, agent_id, channel,
                                (epoch_ms(first_response_at) - epoch_ms(queued_at)) / 1000.0::DOUBLE AS frt
                         FROM conversations WHERE created_at >= $lo AND created_at < $hi) c
                   LEFT JOIN agents a ON a.source = c.source AND a.id = c.agent_id
                   GROUP BY ALL""",
                {"lo": lo, "hi": hi},
            ).fetchall(),
        ),
        "messages_by_day_sender": (
            2,
            lambda: con.execute(f"SELECT {day} AS day, sender_kind, count(*) FROM messages GROUP BY ALL").fetchall(),
        ),
        "agent_messages_by_agent_day": (
            2,
            lambda: con.execute(
                f"""SELECT coalesce(a.name, m.agent_id) AS agent, {day.replace('created_at', 'm.created_at')} AS day,
                           count(*)
                    FROM messages m LEFT JOIN agents a ON a.source = m.source AND a.id = m.agent_id
                    WHERE m.created_at >= $lo AND m.created_at < $hi AND m.sender_kind = 'agent'
                    GROUP BY ALL""",
                {"lo": lo, "hi": hi},
            ).fetchall(),
        ),
    }


# --- pandas ---------------------------------------------------------------------------------

def local_day(times):
    return times.dt.tz_convert(TZ).dt.tz_localize(None).dt.floor("D")


def pandas_reports(frames, lo, hi):
    conv, msgs, agents = frames["conversations"], frames["messages"], frames["agents"]
    lo, hi = pd.Timestamp(lo), pd.Timestamp(hi)

    def first_response():
        c = conv[(conv["created_at"] >= lo) & (conv["created_at"] < hi)]
        j = c.merge(agents, how="left", left_on=["source", "agent_id"], right_on=["source", "id"])
        df = pd.DataFrame({
            "agent": j["name"].fillna(j["agent_id"]),
            "channel": j["channel"],
            "frt": (j["first_response_at"] - j["queued_at"]).dt.total_seconds(),
        })
        g = df.groupby(["agent", "channel"], dropna=False, sort=False)["frt"]
        out = pd.concat([g.size(), g.median(), g.quantile(0.9)], axis=1)
        return list(out.itertuples(index=True, name=None))

    def by_day_sender():
        out = msgs.groupby([local_day(msgs["created_at"]), msgs["sender_kind"]], dropna=False, sort=False).size()
        return list(out.items())

    def agent_by_day():
        m = msgs[(msgs["created_at"] >= lo) & (msgs["created_at"] < hi) & (msgs["sender_kind"] == "agent")]
        j = m.merge(agents, how="left", left_on=["source", "agent_id"], right_on=["source", "id"])
        out = j.groupby([j["name"].fillna(j["agent_id"]), local_day(j["created_at"])], dropna=False, sort=False).size()
        return list(out.items())

    def flat(items):
        # (index tuple, values...) or (index tuple, value) → flat records.
        rows = []
        for item in items:
            idx, rest = item[0], item[1:]
            rows.append(tuple(idx) + tuple(rest))
        return rows

    return {
        "first_response_by_agent_channel": (2, lambda: flat(first_response())),
        "messages_by_day_sender": (2, lambda: flat(by_day_sender())),
        "agent_messages_by_agent_day": (2, lambda: flat(agent_by_day())),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--now", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--columns", required=True, help='JSON: {"table": ["column", ...]}')
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    columns = json.loads(a.columns)
    now = dt.datetime.fromisoformat(a.now.replace("Z", "+00:00"))
    lo, hi = period_last_days(now, 30)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.load_extension(sqlite_extension())
    con.execute(f"ATTACH '{a.db}' AS src (TYPE sqlite, READ_ONLY)")

    load = {}
    t = time.perf_counter()
    for table, cols in columns.items():
        con.execute(f"CREATE TABLE {table} AS SELECT {select_list(cols)} FROM src.{table}")
    load["duckdb"] = time.perf_counter() - t
    print(f"duckdb: loaded {list(columns)} in {load['duckdb']:.1f} s", flush=True)

    out = {
        "versions": {
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "pandas": pd.__version__,
            "pyarrow": pyarrow.__version__,
        },
        "load_seconds": load,
        "period": [lo.isoformat(), hi.isoformat()],
        "reports": {},
    }

    for name, (n_keys, run) in duckdb_reports(con, lo, hi).items():
        times, result = timed(run, a.runs)
        out["reports"].setdefault(name, {})["duckdb"] = {
            "times_seconds": times,
            "median_seconds": statistics.median(times),
            "rows": rows_of(result, n_keys),
        }
        print(f"duckdb: {name}: median {statistics.median(times) * 1000:.0f} ms, {len(result)} rows", flush=True)

    # pandas gets its own copy from the file, as a pandas user would have it; DuckDB's tables
    # are dropped first so the two do not compete for memory.
    for table in columns:
        con.execute(f"DROP TABLE {table}")
    t = time.perf_counter()
    frames = {}
    for table, cols in columns.items():
        frames[table] = con.execute(f"SELECT {select_list(cols)} FROM src.{table}").arrow().read_all().to_pandas()
    load["pandas"] = time.perf_counter() - t
    print(f"pandas: loaded {list(columns)} in {load['pandas']:.1f} s "
          f"({', '.join(f'{c}:{d}' for c, d in frames['messages'].dtypes.items())})", flush=True)

    for name, (n_keys, run) in pandas_reports(frames, lo, hi).items():
        times, result = timed(run, a.runs)
        out["reports"][name]["pandas"] = {
            "times_seconds": times,
            "median_seconds": statistics.median(times),
            "rows": rows_of(result, n_keys),
        }
        print(f"pandas: {name}: median {statistics.median(times) * 1000:.0f} ms, {len(result)} rows", flush=True)

    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
