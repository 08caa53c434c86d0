"""Zeek's Broker (CAF 0.17.6 inside Python, Debian python3-broker): pub/sub between two
endpoints on loopback and a data store with a clone. Usage: /usr/bin/python3 broker_pubsub.py
[MESSAGES [KEYS]]. Prints what it published (MESSAGES events and the probes sent while waiting for
the peering), received and stored, for the tests to compare."""
import broker, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
keys = int(sys.argv[2]) if len(sys.argv) > 2 else 100
pub, sub = broker.Endpoint(), broker.Endpoint()
s = sub.make_subscriber("/test/events")
port = sub.listen("127.0.0.1", 0)
pub.peer("127.0.0.1", port, 1)
# Wait until the subscription has reached the publisher, else early messages are dropped.
deadline = time.time() + 10
probes = 0
while time.time() < deadline:
    pub.publish("/test/probe", 0)
    probes += 1
    time.sleep(0.05)
    if pub.peers():
        break
time.sleep(0.3)
for i in range(n):
    pub.publish("/test/events", i)
got = 0
deadline = time.time() + 20
while got < n and time.time() < deadline:
    got += len(s.get(n - got, 1.0))
master = sub.attach_master("store", broker.Backend.Memory)
clone = pub.attach_clone("store")
for i in range(keys):
    clone.put("k%d" % i, i)
deadline = time.time() + 10
while time.time() < deadline and len(master.keys() or ()) < keys:
    time.sleep(0.05)
print("published %d received %d stored %d probes %d" % (n, got, len(master.keys() or ()), probes))
sys.stdout.flush()
