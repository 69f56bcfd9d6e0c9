#!/usr/bin/env python3
"""Loopback listeners for bench/check-scale.sh: the real servers of the
health-check benchmark.

Listens on ADDRS x PORTS TCP sockets (addresses 127.<A>.<b>.<c>, consecutive
ports from PORT0), answers each connection (HTTP mode: a fixed 200 response
with BODY, then close; TCP mode: close at once) and records, per destination
address and port, when connections arrive. On SIGTERM or SIGINT it prints:

    servers_seen N          destinations that were checked at least once
    checks N                connections accepted
    interval_p50_ms X       spread of the intervals between two checks of one
    interval_p99_ms X       destination (a checker at delay_loop 1 s should
    interval_max_ms X       show ~1000 ms)

Usage: check-listener.py MODE(tcp|http) NADDR NPORT PORT0 BODYFILE READYFILE
"""
import asyncio
import signal
import sys
import time


def addr(i):
    # 127.1.0.1, 127.1.0.2, ... (skipping .0 and .255)
    n = i + 1
    return "127.%d.%d.%d" % (1 + n // 65024, (n // 254) % 256, 1 + n % 254)


async def main():
    mode, naddr, nport, port0, bodyfile, ready = sys.argv[1:7]
    naddr, nport, port0 = int(naddr), int(nport), int(port0)
    body = open(bodyfile, "rb").read()
    response = (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    seen = {}

    async def on_conn(reader, writer):
        sock = writer.get_extra_info("sockname")
        seen.setdefault((sock[0], sock[1]), []).append(time.monotonic())
        try:
            if mode == "http":
                await reader.readuntil(b"\r\n\r\n")
                writer.write(response)
                await writer.drain()
        except Exception:
            pass
        writer.close()

    servers = []
    for a in range(naddr):
        for p in range(nport):
            servers.append(await asyncio.start_server(on_conn, addr(a), port0 + p, backlog=64, reuse_address=True))
    open(ready, "w").write("ready\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    intervals = []
    for times in seen.values():
        intervals += [(b - a) * 1000 for a, b in zip(times, times[1:])]
    intervals.sort()

    def pct(p):
        return "%.1f" % intervals[min(len(intervals) - 1, int(len(intervals) * p))] if intervals else "NA"

    print("servers_seen %d" % len(seen))
    print("checks %d" % sum(len(t) for t in seen.values()))
    print("interval_p50_ms %s" % pct(0.50))
    print("interval_p99_ms %s" % pct(0.99))
    print("interval_max_ms %s" % ("%.1f" % intervals[-1] if intervals else "NA"))
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
