#!/usr/bin/env python3
"""Writes a version 5 run (FORMAT.md "Defaults") the way a version 4 tracer wrote it: every
member an actor object left out at its default put back, in the writer's order, and the
header's version 4. it_format_versions reads both forms of the same real runs.

    tests/data/v4-of-v5.py runs/defaults-NAME-v5.jsonl > runs/defaults-NAME-v4.jsonl
"""
import json
import sys

# A version 4 actor object's members in the order its writer put them.
ORDER = ["id", "name", "full_name", "internal", "runtime", "attached_late", "status",
         "spawned_at_ns", "spawn_site", "parent", "children", "stopped", "mailbox", "outbox",
         "counters", "handler_ns", "handler_histogram", "mailbox_wait_histogram", "stuck",
         "handling", "waiting_on", "message_types", "peers", "peers_other", "runtime_id",
         "runtime_scope", "refs", "links", "monitors", "sockets"]


def actor_v4(a, keyframe):
    a = dict(a)
    a.setdefault("status", "stopped" if isinstance(a.get("stopped"), dict) else "running")
    if "runtime" in a:  # the origin members: a delta leaves them all out
        a.setdefault("spawn_site", None)
        a.setdefault("parent", None)
        if "runtime_scope" in a:
            a.setdefault("runtime_id", a["id"])
    if keyframe:
        a.setdefault("children", [])
    a.setdefault("stopped", None)
    mailbox = a.get("mailbox", {})
    a["mailbox"] = {"kind": mailbox.get("kind", "unbounded"), "len": mailbox.get("len", 0),
                    "max": mailbox.get("max", 0), "enqueued": mailbox.get("enqueued", 0)}
    a.setdefault("outbox", {"len": 0})
    counters = a.get("counters", {})
    a["counters"] = {k: counters.get(k, 0) for k in
                     ["messages_received", "messages_sent", "replies", "handled", "exceptions"]}
    handler = a.get("handler_ns", {})
    total = handler.get("total", 0)
    a["handler_ns"] = {"total": total, "max": handler.get("max", total)}
    a.setdefault("handling", None)
    a.setdefault("waiting_on", None)
    a.setdefault("message_types", [])
    a.setdefault("links", [])
    a.setdefault("monitors", [])
    unknown = [k for k in a if k not in ORDER]
    assert not unknown, unknown
    return {k: a[k] for k in ORDER if k in a}


def ended_v4(e):
    e = dict(e)
    e.setdefault("message_types", [])
    return e


def line_v4(line):
    if line.get("type") == "header":
        line["version"] = 4
    keyframe = line.get("type") == "snapshot"
    if "actors" in line:
        line["actors"] = [actor_v4(a, keyframe) for a in line["actors"]]
    if "ended" in line:
        line["ended"] = [ended_v4(e) for e in line["ended"]]
    return line


for text in open(sys.argv[1]):
    print(json.dumps(line_v4(json.loads(text)), separators=(",", ":"), ensure_ascii=False))
