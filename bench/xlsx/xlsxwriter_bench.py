"""The XlsxWriter side of bench/xlsx: the same rows, cells, formats, frozen header and
autofilter as Switchboard's writer, generated row by row from the same formulas.

Usage: python xlsxwriter_bench.py OUT.xlsx ROWS constant|default
Prints `write_ms=<ms>` and `peak_kb=<VmHWM>`; `gen_ms=<ms>` is a pass that only generates
the rows, so the cost of generating them inside the write loop can be read off.
"""
import datetime
import sys
import time

import xlsxwriter

INBOXES = ["Web", "Email", "WhatsApp", "Phone"]
BASE = datetime.datetime(2026, 1, 1)
HEAD = ["Day", "Created", "Agent", "Inbox", "Conversations", "Score", "First response",
        "Resolution rate", "Handle time", "Note"]


def row(i):
    return (
        BASE + datetime.timedelta(days=i % 365),
        BASE + datetime.timedelta(minutes=i * 13 % 525_600),
        f"Agent {i % 250}",
        INBOXES[i % 4],
        i % 1000,
        (i % 10007) * 0.25,
        float(i * 7 % 7200),
        (i % 1000) / 1000.0,
        float(i * 13 % 36000),
        f"Conversation {i}",
    )


def peak_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    out, rows, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    t = time.perf_counter()
    for i in range(rows):
        row(i)
    gen_ms = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    wb = xlsxwriter.Workbook(out, {"constant_memory": mode == "constant"})
    ws = wb.add_worksheet("Bench")
    header = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    integer = wb.add_format({"num_format": "#,##0"})
    number = wb.add_format({"num_format": "#,##0.00"})
    duration = wb.add_format({"num_format": "[h]:mm:ss"})
    percent = wb.add_format({"num_format": "0.0%"})
    ws.write_string(0, 0, "Bench", wb.add_format({"bold": True, "font_size": 14}))
    ws.write_string(1, 0, "Times in UTC")
    h = 3
    for c, name in enumerate(HEAD):
        ws.write_string(h, c, name, header)
    for i in range(rows):
        d, created, agent, inbox, conv, score, frt, rate, handle, note = row(i)
        r = h + 1 + i
        ws.write_datetime(r, 0, d, date)
        ws.write_datetime(r, 1, created, stamp)
        ws.write_string(r, 2, agent)
        ws.write_string(r, 3, inbox)
        ws.write_number(r, 4, conv, integer)
        ws.write_number(r, 5, score, number)
        ws.write_number(r, 6, frt / 86400.0, duration)
        ws.write_number(r, 7, rate, percent)
        ws.write_number(r, 8, handle / 86400.0, duration)
        ws.write_string(r, 9, note)
    ws.freeze_panes(h + 1, 0)
    ws.autofilter(h, 0, h + rows, len(HEAD) - 1)
    wb.close()
    write_ms = (time.perf_counter() - t) * 1000
    print(f"gen_ms={gen_ms:.0f}")
    print(f"write_ms={write_ms:.0f}")
    print(f"peak_kb={peak_kb()}")


if __name__ == "__main__":
    main()
