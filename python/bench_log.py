"""100,000 run.log calls against an in-process bridge: seconds in the calls, and messages sent.

    /usr/bin/python3 python/bench_log.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))

import runctx  # noqa: E402
from runctx.bridge import Bridge  # noqa: E402
from fakebridge import TOKEN, FakeBridge  # noqa: E402


def main(n=100000):
    fake = FakeBridge()
    run = runctx.Run(Bridge(fake.url, TOKEN))
    start = time.perf_counter()
    for i in range(n):
        run.log("loss", i * 0.001)
    calls = time.perf_counter() - start
    run.flush()
    total = time.perf_counter() - start
    fake.close()
    print("%d run.log calls: %.3f s in the calls (%.0f calls/s), %.3f s with the last flush; %d ops in %d messages"
          % (n, calls, n / calls, total, len(fake.ops), fake.batches))


if __name__ == "__main__":
    main()
