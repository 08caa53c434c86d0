# Zeek's Broker (CAF inside Python): the same workload traced preloaded or attached. Says
# "ready" on stderr once its endpoint runs, then waits (sleeping, a thread for attach to borrow)
# for a file named "go" in its directory; then publishes ROUNDS messages, holds a moment and
# prints how many it published.
import os
import sys
import time

import broker

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ep = broker.Endpoint()
sub = ep.make_subscriber("/actorscope/span")
sys.stderr.write("ready\n")
sys.stderr.flush()
deadline = time.time() + 60
while not os.path.exists("go") and time.time() < deadline:
    time.sleep(0.01)
for i in range(rounds):
    ep.publish("/actorscope/span", i)
    time.sleep(0.002)
time.sleep(0.3)
print("published=%d" % rounds)
ep.shutdown()
