#!/usr/bin/env python3
"""The plain-Python baseline of the sync benchmark (`bench/sync`, binary `sync-bench`).

Syncs a Cognigy Live Agent OData v1.1 feed (the simulator's, in the benchmark) into SQLite
with nothing but the standard library (`urllib`, `json`, `sqlite3`), doing what the Rust
connector (`crates/sources/src/cognigy_odata`) does to its raw tables:

- the same collections in the same order (Inbox, Label, User, Conversation, Message,
  ReportingEvent), the same requests: `$top=10000&$skip=0&$orderby=updated_at asc,id asc`
  and, after the first page, the keyset filter
  `(updated_at gt '<last>' or (updated_at eq '<last>' and id gt <last id>))`, the key in
  `apikey=`; a page shorter than `$top` ends a collection;
- the same schema as `crates/cache/src/raw.rs`: one table `raw_cognigy_odata_<collection>`
  per collection, `(source TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (source, id))`,
  a column per field (lower case), added with `ALTER TABLE` the first time a field is seen
  and typed after the page's first non-null value (bool/int INTEGER, float REAL, text and
  JSON TEXT), an index on `(source, conversation_id)` for messages and reporting events, the
  user fields that are credentials left out;
- upsert by `(source, id)` (`ON CONFLICT DO UPDATE`), one transaction per page that also
  writes the collection's checkpoint row; WAL mode with `synchronous=NORMAL` like the cache.

It does not normalise values (the simulator already sends the connector's formats) and
derives no canonical rows: it is the floor a straightforward script would reach.

Prints one JSON line: {"records", "seconds", "pages", "collections", "peak_rss_kib"}.

    python3 bench/sync/sync_python.py --url http://127.0.0.1:PORT/v1.1/odata/ --apikey KEY --db out.sqlite
"""

import argparse
import json
import resource
import sqlite3
import sys
import time
import urllib.parse
import urllib.request

COLLECTIONS = [
    ("Inbox", "raw_cognigy_odata_inbox"),
    ("Label", "raw_cognigy_odata_label"),
    ("User", "raw_cognigy_odata_user"),
    ("Conversation", "raw_cognigy_odata_conversation"),
    ("Message", "raw_cognigy_odata_message"),
    ("ReportingEvent", "raw_cognigy_odata_reporting_event"),
]
INDEX_COLUMNS = {"Message": ["conversation_id"], "ReportingEvent": ["conversation_id"]}
# Kept out of the cache by the connector (records.rs, USER_SECRET_FIELDS).
USER_SECRET_FIELDS = {
    "encrypted_password",
    "reset_password_token",
    "confirmation_token",
    "tokens",
    "pubsub_token",
    "current_sign_in_ip",
    "last_sign_in_ip",
}
SOURCE = "bench"


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def enc(text):
    # The connector's encoding: everything but letters, digits and -_.~:, is escaped.
    return urllib.parse.quote(text, safe="-_.~:,")


def sql_type(v):
    if v is None:
        return None
    if isinstance(v, (bool, int)):
        return "INTEGER"
    if isinstance(v, float):
        return "REAL"
    return "TEXT"


def to_sql(v):
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    if isinstance(v, bool):
        return int(v)
    return v


def page_url(base, name, top, after, apikey):
    url = f"{base}{name}?$top={top}&$skip=0&$orderby={enc('updated_at asc,id asc')}"
    if after is not None:
        at, id_ = after
        url += "&$filter=" + enc(f"(updated_at gt '{at}' or (updated_at eq '{at}' and id gt {id_}))")
    return url + "&apikey=" + enc(apikey)


def fetch(url):
    with urllib.request.urlopen(url, timeout=300) as r:
        return json.loads(r.read())


def ensure_columns(db, table, columns, records, index_columns):
    """Creates the table on first sight and adds a column for every new field of the page."""
    if not columns:
        have = [r[0].lower() for r in db.execute("SELECT name FROM pragma_table_info(?)", (table,))]
        if not have:
            db.execute(f"CREATE TABLE {ident(table)} (source TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (source, id))")
            have = ["source", "id"]
        columns.extend(have)
    known = set(columns)
    added = False
    for rec in records:
        for k, v in rec.items():
            if k in known:
                continue
            ty = next((t for t in (sql_type(r.get(k)) for r in records) if t), None) or ""
            db.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(k)} {ty}")
            known.add(k)
            columns.append(k)
            added = True
    if added or index_columns:
        for col in index_columns:
            if col in known:
                db.execute(f"CREATE INDEX IF NOT EXISTS {ident(table + '_' + col)} ON {ident(table)} (source, {ident(col)})")


def upsert_sql(table, columns):
    updates = [f"{ident(c)} = excluded.{ident(c)}" for c in columns if c not in ("source", "id")]
    return (
        f"INSERT INTO {ident(table)} ({', '.join(ident(c) for c in columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT (source, id) DO "
        + (f"UPDATE SET {', '.join(updates)}" if updates else "NOTHING")
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="the OData root, ending in /odata/")
    ap.add_argument("--apikey", required=True)
    ap.add_argument("--db", required=True, help="the SQLite file to write (created)")
    ap.add_argument("--top", type=int, default=10000)
    args = ap.parse_args()
    base = args.url if args.url.endswith("/") else args.url + "/"

    started = time.perf_counter()
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS sync_checkpoints (source TEXT NOT NULL, collection TEXT NOT NULL, cursor TEXT,"
        " updated_at_ms INTEGER NOT NULL, records INTEGER NOT NULL, PRIMARY KEY (source, collection))"
    )
    checkpoint_sql = (
        "INSERT INTO sync_checkpoints (source, collection, cursor, updated_at_ms, records) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (source, collection) DO UPDATE SET cursor = excluded.cursor,"
        " updated_at_ms = excluded.updated_at_ms, records = excluded.records"
    )
    total, pages, per_collection = 0, 0, {}
    for name, table in COLLECTIONS:
        columns, cursor, stored, after = [], None, 0, None
        while True:
            values = fetch(page_url(base, name, args.top, after, args.apikey))["value"]
            pages += 1
            records = []
            for v in values:
                rec = {k.lower(): x for k, x in v.items() if not (name == "User" and k in USER_SECRET_FIELDS)}
                records.append(rec)
                at = rec.get("updated_at")
                if isinstance(at, str) and (cursor is None or at > cursor):
                    cursor = at
            stored += len(records)
            db.execute("BEGIN")
            if records:
                ensure_columns(db, table, columns, records, INDEX_COLUMNS.get(name, []))
                rest = columns[1:]
                db.executemany(
                    upsert_sql(table, columns),
                    [(SOURCE, *[to_sql(r.get(c)) for c in rest]) for r in records],
                )
            db.execute(checkpoint_sql, (SOURCE, name, cursor, int(time.time() * 1000), stored))
            db.execute("COMMIT")
            if len(values) < args.top:
                break
            last = values[-1]
            after = (last["updated_at"], last["id"])
        per_collection[name] = stored
        total += stored
    db.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"records": total, "seconds": seconds, "pages": pages, "collections": per_collection, "peak_rss_kib": peak_rss_kib()}))


def peak_rss_kib():
    # VmHWM belongs to this process's memory map; ru_maxrss would carry over the RSS of the
    # (large) parent that started the interpreter, since Linux keeps it across fork + exec.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    sys.exit(main())
