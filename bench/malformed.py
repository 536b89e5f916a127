#!/usr/bin/env python3
"""malformed.py - a flood of malformed requests against a running `exante serve` (bench/serve.sh).

    python3 bench/malformed.py --port PORT --pid PID [--count 10000] [--conns 6] [--slow 4]
                               [--token TOKEN] [--slow-bound 45] [--seed 1] [--one-address]

Python 3 standard library only. Sends --count requests over raw sockets, one connection each,
from --conns threads at once; --slow of them are slow bodies (POST /v1/optouts announcing
Content-Length: 1000 and sending one byte per 100 ms until the server answers or closes, or
--slow-bound seconds pass), running beside the rest. Each thread connects from a loopback
address of its own (127.0.0.10 and up, 127.0.0.100 and up for the slow bodies: all of
127.0.0.0/8 is local on Linux), so that exante serve's limit of connections per client
address (16, or --per-address; beyond it, connections are accepted and closed at once, and
under a flood closed ones linger in that count) does not turn the flood into a test of that
limit; with
--one-address every connection comes from 127.0.0.1. The per-address rate limit on
submissions then applies per thread. The others cycle through the cases
below; request i is made by a random.Random(seed * 1000003 + i), so a run is repeatable.

  random      random bytes (1 to 2,000) as the request line, then CRLF CRLF
  method      bad methods ("FOO", "get", NUL inside, 1,000 letters, WebDAV ones...)
  uri         64 KiB URIs (a tile, a snapshot name, a query)
  version     bad HTTP versions (HTTP/9.9, HTTX/1.1, HTTP/1.1.1, none, "HTTP/1.1 x"...)
  header      one 100 KiB header
  headers     500 header lines
  json        bad JSON bodies to POST /v1/optouts (truncated, wrong types, unknown keys,
              invalid UTF-8, NUL inside, 100,000-deep nesting, 1 MB string...); every other
              one with the partner --token, so that the rate limit does not stop them
              before the parser (without one, 429 after the first 10 a minute is expected)
  chunked     Transfer-Encoding: chunked garbage (bad sizes, 2^64 sizes, short chunks, bad
              trailers) to POST /v1/optouts and GET
  traversal   tile paths that climb (/tile/../../etc/passwd, /tile/0/%2e%2e/x,
              /tile/0/x001/../../.., encoded and doubled variants)
  nul         NUL bytes in the request line, a header name or value, a body
  framing     Content-Length -1, 2^64, "abc", twice and different, with chunked; bare LF;
              obs-fold; a header without a colon; Expect: 100-continue with a huge length;
              a body shorter than announced (the write side then shut)
  query       bad arguments on the read API (/v1/snapshots/NAME/prove?digest=..., /v1/why,
              /v1/impact, /v1/optouts/ID/proof, /search?q=64 KiB...)

Before and after: GET /checkpoint. The server's VmRSS and RssAnon (/proc/PID/status) are
sampled before the flood and after 25%, 50%, 75% and 100% of the requests (VmRSS counts the
ledger's memory-mapped database pages too; RssAnon is the heap). Prints one JSON line:
statuses overall and per case, the samples (KiB), whether each is flat (the last sample
within 20% or 8 MiB of the one at 25%), the slow bodies' outcomes, the log size before and
after.

Exit status: 0; 1 if the server died, /checkpoint no longer answers the same signed
checkpoint (a write happened: the log grew), or a traversal answered with a file's bytes
(a body with "root:" in it); 2 on bad arguments.
"""
import argparse
import json
import os
import random
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def http_get(port, path, timeout=5.0):
    """(status, body) of a well-formed GET (Connection: close), or (None, b"")."""
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
        s.close()
    except OSError:
        return None, b""
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None, b""
    return status, body


def rss_kib(pid, key="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


# ---- the cases: each returns (request bytes, shut the write side after sending?) ----------

TILE = "/tile/0/000"
CRLF = b"\r\n"


def req(line, headers=(), body=b""):
    h = b"".join(x + CRLF for x in headers)
    return line + CRLF + h + CRLF + body


def c_random(r, ctx):
    n = r.randint(1, 2000)
    return bytes(r.getrandbits(8) for _ in range(n)) + b"\r\n\r\n", False


def c_method(r, ctx):
    m = r.choice([b"FOO", b"GETT", b"get", b"G ET", b"GE\x00T", b"\x00GET", b"PROPFIND", b"DELETE",
                  b"PUT", b"OPTIONS", b"TRACE", b"CONNECT", b"PATCH", b"A" * 1000, b"",
                  b"\xff\xfe", b"POST\tX"])
    return req(m + b" /checkpoint HTTP/1.1", [b"Host: bench"]), False


def c_uri(r, ctx):
    fill = b"a" * 65536
    u = r.choice([b"/tile/" + fill, b"/v1/snapshots/" + fill + b"/prove?digest=x",
                  b"/checkpoint?" + fill, b"/" + b"%2e" * 21845, b"/tile/0/" + b"x001/" * 13107])
    return req(b"GET " + u + b" HTTP/1.1", [b"Host: bench"]), False


def c_version(r, ctx):
    v = r.choice([b"HTTP/9.9", b"HTTX/1.1", b"HTTP/1.1.1", b"", b"HTTP/", b"HTTP/1.1 x", b"HTTP/0.9",
                  b"http/1.1", b"HTTP/1.10", b"HTTP/-1.1", b"HTTP/1.1\x00", b"HTTP/2.0",
                  b"HTTP/1." + b"1" * 5000])
    return req(b"GET " + TILE.encode() + b" " + v, [b"Host: bench"]), False


def c_header(r, ctx):
    return req(b"GET /checkpoint HTTP/1.1", [b"Host: bench", b"X-Big: " + b"b" * 102400]), False


def c_headers(r, ctx):
    hs = [b"Host: bench"] + [b"X-H%d: v%d" % (i, i) for i in range(500)]
    return req(b"GET /checkpoint HTTP/1.1", hs), False


def bad_json_bodies():
    valid_scope = b'"scope":{"domain":"x.example"}'
    return [
        b"", b"{", b"}", b"[", b"null", b"true", b"0", b'"x"', b"[]", b"{}",
        b'{"kind":', b'{"scope":{"domain":"x.example"', b'{"scope":' + b"{" * 10,
        b'{"scope":"x.example"}', b'{"scope":{"domain":5}}', b'{"scope":{"domain":""}}',
        b'{"scope":{"nope":"x"}}', b'{"scope":{"domain":"x.example"},"unknown":1}',
        b'{"scope":{"domain":"x\\u0000y.example"}}', b'{"scope":{"domain":"\xff\xfe.example"}}',
        b'{"scope":{"domain":"x.example"}\x00}', b"\x00" * 64, b"{" + valid_scope + b",}",
        b"{" + valid_scope + b" " + valid_scope + b"}", b"[" * 100000 + b"]" * 100000,
        b'{"a":' * 50000 + b"1" + b"}" * 50000, b'{"scope":{"domain":"' + b"d" * 1000000 + b'"}}',
        b'{"scope":{"url_prefix":"' + b"u" * 5000 + b'"}}', b'{"scope":{"digest":"sha256:zz"}}',
        b'{"scope":{"distance":"far"}}', b'{"scope":{"domain":"x.example","distance":1e999}}',
        b"\xef\xbb\xbf{}", b'{"\xc0\xaf":1}', b"1" * 10000, b'{"scope":[]}',
    ]


BAD_JSON = bad_json_bodies()


def c_json(r, ctx):
    body = BAD_JSON[ctx["i"] // len(CASES) % len(BAD_JSON)]
    hs = [b"Host: bench", b"Content-Type: application/json", b"Content-Length: %d" % len(body)]
    if ctx["token"] and ctx["i"] // len(CASES) % 2 == 0:
        hs.append(b"Authorization: Bearer " + ctx["token"].encode())
    path = r.choice([b"/v1/optouts", b"/v1/optouts", b"/v1/complaints"])
    return req(b"POST " + path + b" HTTP/1.1", hs, body), False


def c_chunked(r, ctx):
    body = r.choice([b"zz\r\nabc\r\n0\r\n\r\n", b"ffffffffffffffffff\r\n" + b"a" * 100 + b"\r\n",
                     b"-1\r\nx\r\n0\r\n\r\n", b"5\r\nab", b"0\r\nBad Trailer\r\n\r\n",
                     b"3;ext=\x00\r\nabc\r\n0\r\n\r\n", b"1\r\n{\r\n" * 3000 + b"0\r\n\r\n",
                     b"8000000000000000\r\n", b"\r\n\r\n\r\n", b"0x10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n"])
    line = r.choice([b"POST /v1/optouts HTTP/1.1", b"GET /checkpoint HTTP/1.1",
                     b"POST /v1/snapshots/bench/prove HTTP/1.1"])
    hs = [b"Host: bench", b"Content-Type: application/json", b"Transfer-Encoding: chunked"]
    return req(line, hs, body), body in (b"5\r\nab", b"8000000000000000\r\n")


TRAVERSAL = [
    "/tile/../../etc/passwd", "/tile/0/%2e%2e/x", "/tile/0/x001/../../..", "/tile/../../../../etc/passwd",
    "/tile/0/../../../etc/passwd", "/tile/entries/../../etc/passwd", "/tile/%2e%2e/%2e%2e/etc/passwd",
    "/tile/0/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/tile/..%2f..%2fetc%2fpasswd", "/tile/0/..%00/000",
    "/tile/0/000/../../../checkpoint", "/tile//etc/passwd", "/tile/0//etc/passwd", "/tile/0/x001/..",
    "/tile/%252e%252e/etc/passwd", "/tile/0/000.p/../../../etc/passwd", "/tile/0/000.p/%2e%2e",
    "/tile/0/x../000", "/tile/1/../0/000", "/tile/entries/000.p/256/../../../../etc/passwd",
    "/..", "/../etc/passwd", "/tile/\\..\\..\\etc\\passwd", "/tile/0/....//....//etc/passwd",
]


def c_traversal(r, ctx):
    p = TRAVERSAL[ctx["i"] // len(CASES) % len(TRAVERSAL)].encode()
    return req(b"GET " + p + b" HTTP/1.1", [b"Host: bench"]), False


def c_nul(r, ctx):
    return r.choice([
        (req(b"GET /tile/0/000\x00 HTTP/1.1", [b"Host: bench"]), False),
        (req(b"GET /check\x00point HTTP/1.1", [b"Host: bench"]), False),
        (req(b"GET /checkpoint HTTP/1.1", [b"Host: be\x00nch"]), False),
        (req(b"GET /checkpoint HTTP/1.1", [b"Host: bench", b"X-\x00: y"]), False),
        (req(b"GET /checkpoint HTTP/1.1", [b"Host: bench", b"\x00: \x00"]), False),
        (req(b"GET /tile/0/%00 HTTP/1.1", [b"Host: bench"]), False),
        (req(b"GET /v1/snapshots/bench%00/prove?digest=sha256:%00 HTTP/1.1", [b"Host: bench"]), False),
        (req(b"POST /v1/optouts HTTP/1.1", [b"Host: bench", b"Content-Type: application/json\x00",
                                              b"Content-Length: 4"], b"{\x00}\x00"), False),
        (b"\x00" * 2048, True),
    ])


def c_framing(r, ctx):
    j = b'{"scope":'  # never a whole object
    post = b"POST /v1/optouts HTTP/1.1"
    ct = b"Content-Type: application/json"
    return r.choice([
        (req(post, [b"Host: bench", ct, b"Content-Length: -1"], j), False),
        (req(post, [b"Host: bench", ct, b"Content-Length: 18446744073709551617"], j), False),
        (req(post, [b"Host: bench", ct, b"Content-Length: abc"], j), False),
        (req(post, [b"Host: bench", ct, b"Content-Length: 9", b"Content-Length: 3"], j), False),
        (req(post, [b"Host: bench", ct, b"Content-Length: 9", b"Transfer-Encoding: chunked"], j), False),
        (req(post, [b"Host: bench", ct, b"Content-Length: 1000"], j), True),  # short, then EOF
        (req(post, [b"Host: bench", ct, b"Expect: 100-continue", b"Content-Length: 99999999999"]), True),
        (b"GET /checkpoint HTTP/1.1\nHost: bench\n\n", False),
        (req(b"GET /checkpoint HTTP/1.1", [b"Host: bench", b"X-Fold: a", b" continued"]), False),
        (req(b"GET /checkpoint HTTP/1.1", [b"Host: bench", b"NoColonHere"]), False),
        (req(b"GET /checkpoint HTTP/1.1", [b"Host: bench"]) + b"\x16\x03\x01garbage" * 10, False),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 500, True),  # a TLS hello
        (req(b"GET /checkpoint HTTP/1.1", []), False),  # no Host in HTTP/1.1
        (req(b"GET http://evil.example/tile/0/000 HTTP/1.1", [b"Host: bench"]), False),
        (req(b"GET * HTTP/1.1", [b"Host: bench"]), False),
        (req(b"GET checkpoint HTTP/1.1", [b"Host: bench"]), False),
    ])


def c_query(r, ctx):
    q = r.choice([
        "/v1/snapshots/bench/prove?digest=sha256:zz", "/v1/snapshots/bench/prove?digest=",
        "/v1/snapshots/bench/prove?digest=sha256:" + "0" * 63, "/v1/snapshots/bench/prove?digest=" + "a" * 5000,
        "/v1/snapshots/bench/prove?digest=sha256:%GG", "/v1/snapshots/bench/prove?digest=sha256:%00",
        "/v1/snapshots/nope/prove?digest=sha256:" + "0" * 64, "/v1/snapshots/" + "n" * 300 + "/prove",
        "/v1/snapshots//prove", "/v1/snapshots/bench/prove/more", "/v1/why?digest=sha256:xyz",
        "/v1/why?url=" + "u" * 2000, "/v1/why?digest=a&url=b", "/v1/impact?optout=-1",
        "/v1/impact?optout=99999999999999999999999", "/v1/impact?digest=x&url=y&optout=1",
        "/v1/optouts/99999999999999999999999/proof", "/v1/optouts/-1", "/v1/optouts/1/proof/x",
        "/v1/complaints/%00", "/v1/models/x/lineage", "/v1/models//lineage", "/v1/attestations/%2f",
        "/search?q=" + "q" * 65000, "/search?q=%ff%fe%00", "/tile/0/000?x=" + "%" * 1000,
        "/tile/-1/000", "/tile/99/000", "/tile/0/999999999999999999999", "/tile/0/000.p/0",
        "/tile/0/000.p/256", "/tile/0/000.p/-5", "/tile/entries/x001/x002/003", "/tile/0/000.p/",
    ])
    return req(b"GET " + q.encode() + b" HTTP/1.1", [b"Host: bench"]), False


CASES = [("random", c_random), ("method", c_method), ("uri", c_uri), ("version", c_version),
         ("header", c_header), ("headers", c_headers), ("json", c_json), ("chunked", c_chunked),
         ("traversal", c_traversal), ("nul", c_nul), ("framing", c_framing), ("query", c_query)]


def exchange(port, data, shut, timeout=2.0, src=None):
    """Send data on a new connection: (status, body); the status is the answer's code, or
    "closed" (closed with no answer), "timeout" (no answer in time), "refused" (no connection)."""
    try:
        s = socket.create_connection((HOST, port), timeout=timeout,
                                     source_address=(src, 0) if src else None)
    except OSError:
        return "refused", b""
    got = b""
    try:
        s.settimeout(timeout)
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before taking it all: read what it said
        want = None
        timed_out = False
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                timed_out = True
                break
            except OSError:
                break
            if not c:
                break
            got += c
            if want is None and b"\r\n\r\n" in got:
                head = got.split(b"\r\n\r\n", 1)[0].lower()
                want = len(head) + 4
                for line in head.split(b"\r\n"):
                    if line.startswith(b"content-length:"):
                        try:
                            want += int(line.split(b":", 1)[1])
                        except ValueError:
                            pass
            if want is not None and len(got) >= want:
                break
    finally:
        s.close()
    if not got:
        return ("timeout" if timed_out else "closed"), b""
    try:
        status = str(int(got.split(b" ", 2)[1]))
    except (IndexError, ValueError):
        status = "garbled"
    body = got.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in got else b""
    return status, body


def slow_body(port, bound, out, src=None):
    """POST /v1/optouts, Content-Length 1000, one byte per 100 ms until answered or closed."""
    t0 = time.monotonic()
    sent = 0
    status = "open at the bound"
    try:
        s = socket.create_connection((HOST, port), timeout=2, source_address=(src, 0) if src else None)
        s.sendall(b"POST /v1/optouts HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n")
        s.setblocking(False)
        while time.monotonic() - t0 < bound:
            try:
                s.send(b"{" if sent == 0 else b" ")
                sent += 1
            except BlockingIOError:
                pass
            except OSError:
                status = "reset"
                break
            try:
                c = s.recv(65536)
                if not c:
                    status = "closed"
                    break
                try:
                    status = str(int(c.split(b" ", 2)[1]))
                except (IndexError, ValueError):
                    status = "garbled"
                break
            except BlockingIOError:
                pass
            except OSError:
                status = "reset"
                break
            time.sleep(0.1)
        s.close()
    except OSError:
        status = "refused"
    out.append({"status": status, "seconds": round(time.monotonic() - t0, 1), "bytes": sent})


def main():
    ap = argparse.ArgumentParser(description="malformed-request flood against exante serve")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--conns", type=int, default=6)
    ap.add_argument("--slow", type=int, default=4)
    ap.add_argument("--slow-bound", type=float, default=45.0)
    ap.add_argument("--token", default="")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one-address", dest="sources", action="store_false",
                    help="every connection from 127.0.0.1 (default: each thread its own address)")
    a = ap.parse_args()
    if a.count < a.slow or a.conns < 1:
        ap.error("--count must cover --slow, --conns at least 1")

    st0, cp0 = http_get(a.port, "/checkpoint")
    if st0 != 200:
        print("malformed.py: GET /checkpoint before the flood answered %s" % st0, file=sys.stderr)
        return 1
    size0 = int(cp0.split(b"\n")[1])
    fast = a.count - a.slow
    marks = [fast * k // 4 for k in (1, 2, 3)]
    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    statuses, by_case, leaks = {}, {}, []
    rss = [rss_kib(a.pid)]  # before
    anon = [rss_kib(a.pid, "RssAnon")]
    slow = []
    t0 = time.monotonic()

    def worker(src):
        while True:
            with lock:
                i = state["next"]
                if i >= fast:
                    return
                state["next"] = i + 1
            name, fn = CASES[i % len(CASES)]
            r = random.Random(a.seed * 1000003 + i)
            data, shut = fn(r, {"i": i, "token": a.token})
            st, body = exchange(a.port, data, shut, 0.5 if shut else 2.0, src)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1
                by_case.setdefault(name, {})
                by_case[name][st] = by_case[name].get(st, 0) + 1
                if name == "traversal" and (b"root:" in body or (st == "200" and b"passwd" in data)):
                    leaks.append(data[:120].decode("latin-1"))
                state["done"] += 1
                d = state["done"]
            if d in marks:
                rss.append(rss_kib(a.pid))
                anon.append(rss_kib(a.pid, "RssAnon"))

    src = lambda k: "127.0.0.%d" % k if a.sources else None
    slows = [threading.Thread(target=slow_body, args=(a.port, a.slow_bound, slow, src(100 + k)))
             for k in range(a.slow)]
    for t in slows:
        t.start()
    ws = [threading.Thread(target=worker, args=(src(10 + k),)) for k in range(a.conns)]
    for t in ws:
        t.start()
    for t in ws:
        t.join()
    fast_s = time.monotonic() - t0
    for t in slows:
        t.join()
    secs = time.monotonic() - t0
    time.sleep(0.2)
    rss.append(rss_kib(a.pid))  # after all 10,000
    anon.append(rss_kib(a.pid, "RssAnon"))

    live = alive(a.pid)
    st1, cp1 = http_get(a.port, "/checkpoint")
    size1 = None
    if st1 == 200:
        try:
            size1 = int(cp1.split(b"\n")[1])
        except (IndexError, ValueError):
            pass
    def is_flat(v):  # the last sample within 20% or 8 MiB of the one at 25%
        base = v[1] if len(v) > 2 and v[1] else v[0]
        return bool(base and v[-1] is not None and (v[-1] <= base * 1.2 or v[-1] - base <= 8192))
    for s in slow:
        k = "slow " + s["status"]
        statuses[k] = statuses.get(k, 0) + 1
    res = {
        "bench": "malformed", "requests": fast + len(slow), "fast": fast, "conns": a.conns,
        "addresses": (a.conns + a.slow) if a.sources else 1,
        "seconds": round(secs, 1), "fast_seconds": round(fast_s, 1),
        "statuses": dict(sorted(statuses.items())),
        "by_case": {k: dict(sorted(v.items())) for k, v in sorted(by_case.items())},
        "slow": slow, "rss_kib": rss, "rss_flat": is_flat(rss), "anon_kib": anon,
        "anon_flat": is_flat(anon), "hwm_kib": hwm_kib(a.pid),
        "alive": live, "checkpoint_status": st1, "checkpoint_same": st1 == 200 and cp1 == cp0,
        "size_before": size0, "size_after": size1, "traversal_leaks": leaks,
    }
    print(json.dumps(res, separators=(",", ":")))
    bad = []
    if not live:
        bad.append("the server died")
    if st1 != 200:
        bad.append("GET /checkpoint after the flood answered %s" % st1)
    elif size1 != size0:
        bad.append("the log grew from %s to %s entries: a malformed request was written" % (size0, size1))
    elif cp1 != cp0:
        bad.append("the checkpoint changed (a write)")
    if leaks:
        bad.append("a traversal answered a file: %s" % leaks[:3])
    for b in bad:
        print("malformed.py: FAIL: " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
