#!/usr/bin/python3
"""Opens a Trace Event JSON file in a real trace viewer, Chrome DevTools' Performance panel, as
Debian's chromium ships it (devtools://devtools/bundled/trace_app.html: the page that opens a
trace from a URL), in headless chromium, and prints what the viewer's own model made of it:

  {"threads": [{"pid": P, "tid": T, "name": "#1 ping",
                "slices": {"CATEGORY/NAME": COUNT, ...}}, ...],
   "flows": [[{"tid": T, "name": N, "ts": US}, ...], ...]}

"threads" are the tracks DevTools built (its Renderer model: each thread's entries), "flows" the
arrows it will draw (its Flows model: the events each flow joins, in order). Nothing is read from
the file itself here: what is printed is the viewer's.

Usage: devtools_trace.py TRACE.json [TIMEOUT_S]

No package beyond python3 and chromium: the DevTools protocol runs over a pipe
(--remote-debugging-pipe, NUL-separated JSON on fds 3 and 4), the trace is served to the page
from 127.0.0.1 (the only place trace_app fetches from besides its own origin).
"""
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

CHROMIUM = "/usr/bin/chromium"

# Runs in the DevTools page: waits for the Performance panel to hold the parsed trace, then
# reads its model.
READ_MODEL = r"""
(async () => {
  const TL = await import('devtools://devtools/bundled/panels/timeline/timeline.js');
  let parsed = null;
  for (let i = 0; i < DEADLINE_TENTHS && !parsed; i++) {
    try { parsed = TL.TimelinePanel.TimelinePanel.instance().getParsedTraceForLayoutTests(); }
    catch (e) { /* the panel is not made yet */ }
    if (!parsed) await new Promise(r => setTimeout(r, 100));
  }
  if (!parsed) return JSON.stringify({error: 'the Performance panel loaded no trace'});
  const data = parsed.data || parsed;
  const threads = [];
  for (const [pid, proc] of data.Renderer.processes) {
    for (const [tid, thread] of proc.threads) {
      const slices = {};
      for (const e of thread.entries || []) {
        const key = e.cat + '/' + e.name;
        slices[key] = (slices[key] || 0) + 1;
      }
      threads.push({pid, tid, name: thread.name || '', slices});
    }
  }
  const flows = data.Flows.flows.map(f => f.map(e => ({tid: e.tid, name: e.name, ts: e.ts})));
  return JSON.stringify({threads, flows});
})()
"""


def serve(body):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Browser:
    def __init__(self, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def fds():
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
            preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buf = b""
        self.next_id = 0

    def call(self, method, params=None, session=None, deadline=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError("%s: %s" % (method, reply["error"]))
                    return reply["result"]
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk

    def close(self):
        self.proc.kill()
        self.proc.wait()


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: devtools_trace.py TRACE.json [TIMEOUT_S]")
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 90
    with open(sys.argv[1], "rb") as f:
        body = f.read()
    server = serve(body)
    profile = tempfile.mkdtemp(prefix="devtools-trace-")
    browser = Browser(profile)
    # Everything below is bounded by the timeout even if chromium hangs.
    timer = threading.Timer(timeout, browser.close)
    timer.start()
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        browser.call("Page.enable", {}, session)
        # trace_app's Content-Security-Policy lets it fetch from its own origin only; the trace
        # comes from 127.0.0.1, which its loader accepts once the policy is out of the way.
        browser.call("Page.setBypassCSP", {"enabled": True}, session)
        url = "http://127.0.0.1:%d/trace.json" % server.server_address[1]
        browser.call("Page.navigate",
                     {"url": "devtools://devtools/bundled/trace_app.html?traceURL=" + url},
                     session)
        started = time.monotonic()
        tenths = int(max(timeout - 5, 1) * 10)
        result = browser.call("Runtime.evaluate",
                              {"expression": READ_MODEL.replace("DEADLINE_TENTHS", str(tenths)),
                               "awaitPromise": True, "returnByValue": True}, session)
        if "exceptionDetails" in result:
            sys.exit("devtools_trace: %s" % result["exceptionDetails"].get("exception", {})
                     .get("description", result["exceptionDetails"].get("text")))
        model = json.loads(result["result"]["value"])
        if "error" in model:
            sys.exit("devtools_trace: %s after %.0f s" % (model["error"],
                                                         time.monotonic() - started))
        json.dump(model, sys.stdout)
        sys.stdout.write("\n")
    except RuntimeError as e:
        sys.exit("devtools_trace: %s" % e)
    finally:
        timer.cancel()
        browser.close()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
