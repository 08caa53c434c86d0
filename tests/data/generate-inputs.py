#!/usr/bin/env python3
"""Writes the hand-made inputs of the golden cases: hostile files in malformed/ (each a valid
run but for one defect), synthetic runs in runs/ for shapes the test programs do not produce
(several CAF systems, internal actors, outliers, deep and cyclic trees, crashes), and a case
directory (args only) for each; scripts/update-golden then records the expected outputs.

    tests/data/generate-inputs.py      (run from anywhere; review the diff)
"""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = os.path.join(HERE, "runs")
MALFORMED = os.path.join(HERE, "malformed")
CASES = os.path.join(HERE, "cases")

with open(os.path.join(RUNS, "tree.jsonl")) as f:
    TREE = [json.loads(line) for line in f]
HEADER = TREE[0]


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def write_run(path, lines, raw_tail=""):
    with open(path, "w") as f:
        for line in lines:
            f.write(line if isinstance(line, str) else dumps(line))
            f.write("\n")
        f.write(raw_tail)


def case(name, *args):
    d = os.path.join(CASES, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "args"), "w") as f:
        f.write("\n".join(args) + "\n")


def actor(id, name, runtime="czmq", status="running", parent=None, **extra):
    a = {
        "id": id, "name": name, "runtime": runtime, "status": status,
        "spawned_at_ns": 1000 * id, "spawn_site": None, "parent": parent, "children": [],
        "stopped": None,
        "mailbox": {"kind": "unbounded", "len": 0, "max": 1, "enqueued": 2},
        "outbox": {"len": 0},
        "counters": {"messages_received": 2, "messages_sent": 1, "replies": 0, "handled": 2,
                     "exceptions": 0},
        "handler_ns": {"total": 3000, "max": 2000}, "handling": None, "waiting_on": None,
        "message_types": [{"name": "WORK", "count": 2}], "links": [], "monitors": [],
    }
    if status == "stopped":
        a["stopped"] = {"at_ns": 1000 * id + 500000, "reason": "destroyed"}
    for key, value in extra.items():
        a[key] = value
    return a


def snapshot(seq, actors, uptime_ns=None, final=False, deadlocks=(), **extra):
    s = {
        "type": "snapshot", "seq": seq, "captured_at": "2026-11-24T06:42:08.723Z",
        "captured_at_ns": 1795502528723437079 + seq, "uptime_ns": uptime_ns or 100000000 * (seq + 1),
        "final": final,
        "totals": {"alive": sum(a["status"] != "stopped" for a in actors),
                   "total_spawned": len(actors),
                   "total_stopped": sum(a["status"] == "stopped" for a in actors),
                   "messages_received": min(2**63 - 1, sum(a["counters"]["messages_received"]
                                                             for a in actors))},
        "deadlocks": list(deadlocks), "diagnostics": [], "last_cost": None, "spawn_sites": [],
        "actors": sorted(actors, key=lambda a: a["id"]),
    }
    s.update(extra)
    return s


# ---- a wrong type in every member the commands read ------------------------------------------

def base_snapshot():
    s = copy.deepcopy(TREE[1])
    s["actors"][0]["handling"] = {"type": "WORK", "elapsed_ns": 5000}
    s["deadlocks"] = [{"actors": [1, 2], "names": ["supervisor", "worker"]}]
    return s


def set_path(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


WRONG_TYPES = [
    # (case suffix, path in the snapshot (None: header), wrong value)
    ("seq", ["seq"], "0"),
    ("uptime", ["uptime_ns"], 1.5),
    ("final", ["final"], "yes"),
    ("signal", ["signal"], 11),
    ("totals-alive", ["totals", "alive"], "1"),
    ("totals-spawned", ["totals", "total_spawned"], -4),
    ("totals-stopped", ["totals", "total_stopped"], None),
    ("totals-messages", ["totals", "messages_received"], [7]),
    ("deadlock-actors", ["deadlocks", 0, "actors"], [1, "two"]),
    ("deadlock-names", ["deadlocks", 0, "names"], ["supervisor", 2]),
    ("actors", ["actors"], {"1": {}}),
    ("id", ["actors", 1, "id"], "2"),
    ("name", ["actors", 1, "name"], 42),
    ("runtime", ["actors", 1, "runtime"], True),
    ("runtime-id", ["actors", 1, "runtime_id"], "5"),
    ("runtime-scope", ["actors", 1, "runtime_scope"], -1),
    ("internal", ["actors", 1, "internal"], "true"),
    ("status", ["actors", 1, "status"], "zombie"),
    ("spawned-at", ["actors", 1, "spawned_at_ns"], "0"),
    ("parent", ["actors", 1, "parent"], "1"),
    ("stopped", ["actors", 1, "stopped"], "yes"),
    ("stopped-at", ["actors", 1, "stopped", "at_ns"], "3"),
    ("stopped-reason", ["actors", 1, "stopped", "reason"], 0),
    ("mailbox-max", ["actors", 1, "mailbox", "max"], "900"),
    ("received", ["actors", 1, "counters", "messages_received"], "2"),
    ("sent", ["actors", 1, "counters", "messages_sent"], 2.0),
    ("exceptions", ["actors", 1, "counters", "exceptions"], "7"),
    ("handler-max", ["actors", 1, "handler_ns", "max"], {"ns": 1}),
    ("handling-type", ["actors", 0, "handling", "type"], 1),
    ("handling-elapsed", ["actors", 0, "handling", "elapsed_ns"], "5000"),
    ("message-types", ["actors", 1, "message_types"], {"WORK": 1}),
    ("message-type-name", ["actors", 1, "message_types", 0, "name"], None),
    ("message-type-count", ["actors", 1, "message_types", 0, "count"], "1"),
]


def wrong_types():
    for suffix, path, value in WRONG_TYPES:
        s = base_snapshot()
        set_path(s, path, value)
        name = "type-" + suffix
        write_run(os.path.join(MALFORMED, name + ".jsonl"), [HEADER, TREE[1], s])
        case("check-wrong-" + name, "check", "--no-exceptions", "--max-mailbox", "10",
             "malformed/" + name + ".jsonl")
    h = copy.deepcopy(HEADER)
    h["pid"] = "27604"
    write_run(os.path.join(MALFORMED, "type-header-pid.jsonl"), [h, TREE[1]])
    case("report-wrong-type-header-pid", "report", "malformed/type-header-pid.jsonl")
    h = copy.deepcopy(HEADER)
    h["program"] = ["czmq_tree"]
    write_run(os.path.join(MALFORMED, "type-header-program.jsonl"), [h, TREE[1]])
    case("report-wrong-type-header-program", "report", "malformed/type-header-program.jsonl")


# ---- the older hostile inputs, each now a valid run but for its one defect ---------------------

def hostile():
    s = base_snapshot()
    line = dumps(s)
    write_run(os.path.join(MALFORMED, "wrong-types.jsonl"),
              [HEADER, line.replace('"actors":[{', '"actors":"many","x":[{', 1)])
    write_run(os.path.join(MALFORMED, "actor-wrong-types.jsonl"),
              [HEADER, line.replace('"id":1,', '"id":"one",', 1)])
    write_run(os.path.join(MALFORMED, "duplicate-key.jsonl"),
              [HEADER, line[:-1] + ',"type":"x"}'])
    write_run(os.path.join(MALFORMED, "huge-number.jsonl"),
              [HEADER, line.replace('"seq":0', '"seq":99999999999999999999999999', 1)])
    # bytes that are not UTF-8 in an actor's name
    with open(os.path.join(MALFORMED, "invalid-utf8.jsonl"), "wb") as f:
        f.write((dumps(HEADER) + "\n").encode())
        f.write(line.replace('"name":"supervisor"', '"name":"sup\udcff"', 1)
                .encode("utf-8", "surrogateescape"))
        f.write(b"\n")
    # an unknown member nested 100000 deep: skipped values are bounded too
    write_run(os.path.join(MALFORMED, "deep-nesting.jsonl"),
              [HEADER, line[:-1] + ',"future":' + "[" * 100000 + "]" * 100000 + "}"])
    # a socket stream whose traced process dropped this client
    write_run(os.path.join(MALFORMED, "stream-error.jsonl"),
              [HEADER, TREE[1], {"format": "actorscope", "error": "too many clients (limit 8)"}])
    case("report-stream-error", "report", "malformed/stream-error.jsonl")
    # a line that is not an object
    write_run(os.path.join(MALFORMED, "not-an-object.jsonl"), [HEADER, "[1,2,3]"])
    case("report-malformed-not-an-object", "report", "malformed/not-an-object.jsonl")
    # spawn_site pointing past the snapshot's spawn_sites
    s2 = base_snapshot()
    s2["actors"][1]["spawn_site"] = 9
    write_run(os.path.join(MALFORMED, "spawn-site-range.jsonl"), [HEADER, s2])
    case("report-malformed-spawn-site-range", "report", "malformed/spawn-site-range.jsonl")
    # actors out of id order, and one listed twice
    s3 = base_snapshot()
    s3["actors"][1], s3["actors"][2] = s3["actors"][2], s3["actors"][1]
    write_run(os.path.join(MALFORMED, "unsorted.jsonl"), [HEADER, s3])
    case("report-malformed-unsorted", "report", "malformed/unsorted.jsonl")
    # a required member missing
    s4 = base_snapshot()
    del s4["actors"][2]["counters"]["exceptions"]
    write_run(os.path.join(MALFORMED, "missing-member.jsonl"), [HEADER, s4])
    case("check-missing-member", "check", "--no-exceptions", "malformed/missing-member.jsonl")


# ---- synthetic runs for each fixed defect ----------------------------------------------------

def runs():
    # An actor that lists itself as its child, and two whose parents form a cycle.
    a1 = actor(1, "root", children=[1, 2])
    a2 = actor(2, "child", parent=1)
    a3 = actor(3, "loop_a", parent=4, children=[4])
    a4 = actor(4, "loop_b", parent=3, children=[3])
    a5 = actor(5, "self_parent", parent=5, children=[5])
    write_run(os.path.join(RUNS, "cyclic-tree.jsonl"),
              [HEADER, snapshot(0, [a1, a2, a3, a4, a5], final=True)])
    case("report-cyclic-tree", "report", "--all", "runs/cyclic-tree.jsonl")

    # A chain 100 deep.
    chain = [actor(i, "link", parent=i - 1 if i > 1 else None, children=[i + 1] if i < 100 else [])
             for i in range(1, 101)]
    write_run(os.path.join(RUNS, "deep-tree.jsonl"), [HEADER, snapshot(0, chain, final=True)])
    case("report-deep-tree", "report", "--all", "runs/deep-tree.jsonl")

    # Counters near the top of int64: sums saturate; huge limits do not overflow.
    big = 9223372036854775807
    b1 = actor(1, "big", counters={"messages_received": big, "messages_sent": big, "replies": 0,
                                   "handled": big, "exceptions": big},
               handler_ns={"total": big, "max": big},
               message_types=[{"name": "X", "count": big}])
    b2 = actor(2, "big", counters={"messages_received": big, "messages_sent": 0, "replies": 0,
                                   "handled": 1, "exceptions": big},
               message_types=[{"name": "X", "count": big}])
    write_run(os.path.join(RUNS, "huge-counters.jsonl"), [HEADER, snapshot(0, [b1, b2], final=True)])
    case("report-huge-counters", "report", "--json", "runs/huge-counters.jsonl")
    case("check-huge-limits", "check", "--max-handler-ms", "9223372036854775807",
         "--max-mailbox", "9223372036854775807", "--max-alive", "9223372036854775807",
         "runs/huge-counters.jsonl")

    # A deadlock cycle of 60 actors with long names.
    n = 60
    ring = [actor(i, "a_rather_long_actor_name_for_the_ring_number_%02d" % i,
                  waiting_on={"target": i % n + 1, "kind": "reply", "elapsed_ns": 1000})
            for i in range(1, n + 1)]
    cycle = {"actors": list(range(1, n + 1)), "names": [a["name"] for a in ring]}
    write_run(os.path.join(RUNS, "long-cycle.jsonl"),
              [HEADER, snapshot(0, ring, final=True, deadlocks=[cycle])])
    case("check-long-deadlock-cycle", "check", "--no-deadlock", "runs/long-cycle.jsonl")

    # Only a final snapshot: 9 actors that lived together, all stopped by then.
    nine = [actor(i, "short_lived", status="stopped") for i in range(1, 10)]
    write_run(os.path.join(RUNS, "only-final.jsonl"), [HEADER, snapshot(0, nine, final=True)])
    case("report-only-final", "report", "runs/only-final.jsonl")
    case("check-max-alive-from-instants", "check", "--max-alive", "8", "runs/only-final.jsonl")

    # Several runtimes and CAF systems, runtime-internal actors, long names, an outlier.
    def caf(id, name, scope, rid, parent=None, **extra):
        return actor(id, name, runtime="caf", parent=parent, runtime_id=rid, runtime_scope=scope,
                     **extra)
    mixed = [
        caf(1, "spawn_serv", 1, 1, internal=True, full_name="caf::(anonymous namespace)::spawn_serv"),
        caf(2, "spawn_serv", 2, 1, internal=True),
        caf(3, "caf::(anonymous namespace)::impl", 1, 2),
        caf(4, "pong server", 1, 3, children=[5, 6, 7, 8, 9]),
        caf(5, "worker", 1, 4, parent=4),
        caf(6, "worker", 1, 5, parent=4),
        caf(7, "worker", 1, 6, parent=4),
        caf(8, "worker", 1, 7, parent=4, message_types=[{"name": "WORK", "count": 400}],
            counters={"messages_received": 400, "messages_sent": 0, "replies": 0, "handled": 400,
                      "exceptions": 0}),
        caf(9, "worker", 1, 8, parent=4),
        caf(10, "pong server", 2, 2),
        caf(11, "templated<std::map<std::string, std::vector<int>>, very::long::allocator<x>>",
            2, 3),
        actor(12, "zmq_task"),
    ]
    write_run(os.path.join(RUNS, "systems.jsonl"), [HEADER, snapshot(0, mixed, final=True)])
    case("report-systems", "report", "runs/systems.jsonl")
    case("report-systems-internal", "report", "--internal", "runs/systems.jsonl")
    case("report-systems-json", "report", "--json", "runs/systems.jsonl")
    case("check-quoted-names", "check", "--rules", "rules/names.rules", "runs/systems.jsonl")
    case("check-names-with-spaces-in-flags", "check", "--expect", "pong server=2",
         "--expect", "caf::(anonymous namespace)::impl=1", "--max-mailbox", "0:pong server",
         "--junit", "@TMP@/junit.xml", "runs/systems.jsonl")
    case("check-internal", "check", "--internal", "--expect", "spawn_serv=2", "runs/systems.jsonl")
    with open(os.path.join(HERE, "rules", "names.rules"), "w") as f:
        f.write('# names with spaces go in double quotes\n'
                'expect "pong server" 2\n'
                'expect "caf::(anonymous namespace)::impl" 1   # a comment after a quoted name\n'
                'max-mailbox 0 "pong server"\n'
                'expect "say \\"hi\\" #1" 0\n')
    with open(os.path.join(HERE, "rules", "unclosed.rules"), "w") as f:
        f.write('expect "pong server 2\n')
    case("check-unclosed-quote", "check", "--rules", "rules/unclosed.rules", "runs/systems.jsonl")

    # diff: names longer than the old 44-character column that differ at the end, and
    # handler times that move by microseconds.
    def named(id, name, handler_max, received):
        return actor(id, name, handler_ns={"total": handler_max, "max": handler_max},
                     counters={"messages_received": received, "messages_sent": 0, "replies": 0,
                               "handled": received, "exceptions": 0},
                     message_types=[{"name": "WORK", "count": received}])
    long_a = "caf::stateful_actor<my::app::detail::session_state, caf::event_based_actor>::a"
    long_b = "caf::stateful_actor<my::app::detail::session_state, caf::event_based_actor>::b"
    write_run(os.path.join(RUNS, "diff-a.jsonl"),
              [HEADER, snapshot(0, [named(1, long_a, 50000, 10), named(2, long_b, 2000000, 10)],
                                final=True)])
    write_run(os.path.join(RUNS, "diff-b.jsonl"),
              [HEADER, snapshot(0, [named(1, long_a, 60000, 10), named(2, long_b, 9000000, 30)],
                                final=True)])
    case("diff-long-names-and-floor", "diff", "runs/diff-a.jsonl", "runs/diff-b.jsonl")

    # A handler 5.5 s into a sleep at snapshot 1, finished by the end.
    def sleeper(handling, handler_max, received):
        return actor(1, "sleeper", handling=handling, handler_ns={"total": handler_max,
                                                                   "max": handler_max},
                     counters={"messages_received": received, "messages_sent": 0, "replies": 0,
                               "handled": received, "exceptions": 0},
                     message_types=[{"name": "NAP", "count": 2}] +
                     ([{"name": "SLEEP", "count": 1}] if received == 3 else []))
    quick = actor(2, "quick", handler_ns={"total": 50000, "max": 50000})
    write_run(os.path.join(RUNS, "stuck.jsonl"), [
        HEADER,
        snapshot(0, [sleeper(None, 40000, 2), quick]),
        snapshot(1, [sleeper({"type": "SLEEP", "elapsed_ns": 5500000000}, 40000, 3), quick],
                 uptime_ns=6000000000),
        snapshot(2, [sleeper(None, 5600000000, 3), dict(quick, status="stopped",
                                                          stopped={"at_ns": 7000000000,
                                                                   "reason": "returned"})],
                 uptime_ns=7100000000, final=True)])
    case("report-at-running-handler", "report", "--at", "1", "runs/stuck.jsonl")
    case("report-slowest-named", "report", "runs/stuck.jsonl")
    case("check-running-handler", "check", "--max-handler-ms", "1000", "runs/stuck.jsonl")

    # Crash-ended: no final snapshot; and a final one written as SIGSEGV killed the process.
    live = [actor(1, "dispatcher"), actor(2, "worker", parent=1)]
    write_run(os.path.join(RUNS, "crashed.jsonl"),
              [HEADER, snapshot(0, live), snapshot(1, live, uptime_ns=250000000)])
    case("report-crashed", "report", "runs/crashed.jsonl")
    case("check-crashed-at-exit", "check", "--max-alive-at-exit", "5", "--no-deadlock",
         "runs/crashed.jsonl")
    write_run(os.path.join(RUNS, "signal.jsonl"),
              [HEADER, snapshot(0, live), snapshot(1, live, final=True, signal="SIGSEGV")])
    case("report-signal", "report", "runs/signal.jsonl")
    case("check-signal-at-exit", "check", "--max-alive-at-exit", "0", "runs/signal.jsonl")


def escapes():
    """Names come from the traced program: control characters never reach the terminal."""
    evil = "\x1b[2J\x1b[31mevil\x07"
    h = dict(HEADER, program="/bin/\x1b]0;title\x07prog")
    run = [actor(1, evil, mailbox={"kind": "unbounded", "len": 0, "max": 50, "enqueued": 50}),
           actor(2, "ok", parent=1)]
    write_run(os.path.join(RUNS, "escapes.jsonl"), [h, snapshot(0, run, final=True)])
    case("report-escapes", "report", "runs/escapes.jsonl")
    case("check-escapes", "check", "--max-mailbox", "10", "runs/escapes.jsonl")
    case("diff-escapes", "diff", "runs/escapes.jsonl", "runs/escapes.jsonl")


def peers():
    """Who talks to whom: the same pairs as text and as JSON, by name (two actors of one name
    summed) and per actor; a thread by its name; what a hidden runtime-internal actor sends or
    is sent left out unless --internal; messages past the listed peers counted apart."""
    h = dict(HEADER, version=3)
    run = [
        actor(1, "pinger", peers=[{"to": 2, "count": 301}, {"to_thread": "main", "count": 3},
                                  {"from_thread": "main", "count": 2}]),
        actor(2, "ponger", peers=[{"to": 1, "count": 302}, {"to": 4, "count": 5}],
              peers_other=7),
        actor(3, "ponger", peers=[{"to": 1, "count": 10}]),
        actor(4, "spawn_server", runtime="caf", internal=True, runtime_id=1, runtime_scope=1,
              peers=[{"to": 1, "count": 9}]),
        actor(5, "a \"quoted\" name", peers=[{"from_thread": "io\tpool", "count": 1}]),
    ]
    write_run(os.path.join(RUNS, "peers.jsonl"), [h, snapshot(0, run, final=True)])
    case("report-peers", "report", "--all", "runs/peers.jsonl")
    case("report-peers-json", "report", "--json", "runs/peers.jsonl")
    case("report-peers-json-all", "report", "--json", "--all", "--internal", "runs/peers.jsonl")


def deltas():
    """Format 2: a keyframe, deltas that spawn, change and reap actors, a final keyframe. The
    report at each seq is the whole state rebuilt; a handler seen running at seq 1 and not
    listed again is still running at seq 2, its elapsed time from since_ns."""
    h = dict(HEADER, version=2)
    boss = actor(1, "boss", children=[], handling={"type": "LONG", "elapsed_ns": 50000000,
                                                   "since_ns": 50000000})
    w2 = actor(2, "worker", parent=1)
    w3 = actor(3, "worker", parent=1)
    w2b = actor(2, "worker", parent=1, status="stopped",
                counters={"messages_received": 9, "messages_sent": 0, "replies": 0, "handled": 9,
                          "exceptions": 0}, message_types=[{"name": "WORK", "count": 9}])
    w2b["stopped"] = {"at_ns": 250000000, "reason": "returned"}
    for a in (w2, w3, w2b):
        del a["children"]  # delta lines carry no children
    for key in ("runtime", "spawned_at_ns", "spawn_site", "parent"):
        del w2b[key]  # described before: what cannot have changed is left out
    k0 = snapshot(0, [boss, actor(2, "worker", parent=1)])
    d1 = snapshot(1, [w3], uptime_ns=200000000, type="delta", reaped=[])
    d2 = snapshot(2, [w2b], uptime_ns=300000000, type="delta", reaped=[])
    d3 = snapshot(3, [], uptime_ns=400000000, type="delta", reaped=[2])
    for d in (d1, d2, d3):
        d["totals"] = {"alive": 2, "total_spawned": 3, "total_stopped": 1 if d is not d1 else 0,
                       "messages_received": 13}
    # What did not change since the line before is left out (totals, deadlocks, actors ...).
    d3 = {"type": "delta", "seq": 3, "captured_at_ns": 1795502528723437082,
          "uptime_ns": 400000000, "reaped": [2]}
    last = snapshot(4, [dict(boss, handling=None), w3], uptime_ns=500000000, final=True,
                    ended_by="exit")
    write_run(os.path.join(RUNS, "delta.jsonl"), [h, k0, d1, d2, d3, last])
    case("report-delta-at-2", "report", "--at", "2", "runs/delta.jsonl")
    case("report-delta-at-3-json", "report", "--json", "--at", "3", "runs/delta.jsonl")
    case("report-delta", "report", "runs/delta.jsonl")


if __name__ == "__main__":
    wrong_types()
    hostile()
    runs()
    deltas()
    escapes()
    peers()
