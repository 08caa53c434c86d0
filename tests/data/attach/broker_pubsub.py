# Zeek's Broker (CAF inside Python): an endpoint publishing every 10 ms for a while, a program
# to attach to. Says "ready" on stderr once its endpoint runs; prints how many it published.
import sys
import time

import broker

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ep = broker.Endpoint()
sub = ep.make_subscriber("/actorscope/test")
sys.stderr.write("ready\n")
sys.stderr.flush()
for i in range(rounds):
    ep.publish("/actorscope/test", i)
    time.sleep(0.01)
print("published=%d" % rounds)
ep.shutdown()
