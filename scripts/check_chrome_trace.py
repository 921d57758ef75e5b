#!/usr/bin/env python3
"""Checks a trace written by examples/chrome_trace.cpp: valid JSON in Chrome's trace-event
format, every begin ('B') matched by an end ('E') on its row, items and tasks present.
Usage: check_chrome_trace.py trace.json"""
import json
import sys


def main(path):
    with open(path) as handle:
        trace = json.load(handle)
    events = trace["traceEvents"]
    depth = {}
    items = tasks_made = tasks_completed = 0
    for event in events:
        for key in ("name", "ph", "ts", "pid", "tid"):
            if key not in event:
                sys.exit(f"{path}: event without '{key}': {event}")
        row = event["tid"]
        if event["ph"] == "B":
            depth[row] = depth.get(row, 0) + 1
            items += event["name"].startswith("item")
        elif event["ph"] == "E":
            depth[row] = depth.get(row, 0) - 1
            if depth[row] < 0:
                sys.exit(f"{path}: an end without a begin on row {row} at ts {event['ts']}")
        elif event["ph"] == "i":
            if "made_at" in event.get("args", {}):
                tasks_made += 1
            elif "task" in event.get("args", {}):
                tasks_completed += 1
    unbalanced = {row: open_count for row, open_count in depth.items() if open_count != 0}
    if unbalanced:
        sys.exit(f"{path}: rows with unfinished slices: {unbalanced}")
    if items == 0 or tasks_made == 0 or tasks_completed == 0:
        sys.exit(f"{path}: expected items and tasks, got {items} items, {tasks_made} made, {tasks_completed} completed")
    print(f"{path}: {len(events)} events on {len(depth)} rows: {items} items run, "
          f"{tasks_made} tasks made, {tasks_completed} completions; begins and ends balance")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
