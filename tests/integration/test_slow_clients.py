"""Slow and idle clients cannot starve the local servers (issue 14, "500 half-open connections").

Each test opens hundreds of connections (up to 1,000) to the emulator or the console server that send nothing or only part of a
request head, then checks that a normal request on a fresh connection is still answered, and prints how long it
took. Before the bounded accept path, httplib handed every connection to a worker thread that waited up to 5 s per
read, so the normal request queued behind all of them (12.6 s for the emulator, over 20 s for the console).
The bound asserted here (10 s) is generous on purpose, so that a busy 2-core machine does not make it flaky; the
measured time is printed.
"""

import json
import os
import socket
import subprocess
import threading
import time
import unittest
import urllib.request

from cli_harness import BINARY, Emulator, console_args

BOUND_SECONDS = 10


def open_idle(port, count, partial):
    """@p count connections to @p port; with @p partial, each sends the start of a request head and stops."""
    socks = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if partial and i % 2 == 0:
            s.sendall(f"GET /client/v4/zones HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode())
        socks.append(s)
    return socks


class Drip:
    """@p count connections that each send a request head one byte per second and never finish it (slow loris):
    every single read arrives well within a per-read timeout, so only a deadline for the whole head stops them."""

    def __init__(self, port, count):
        self.socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        head = b"GET /client/v4/zones HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: " + b"a" * 1000
        for byte in head:
            for s in self.socks:
                try:
                    s.send(bytes([byte]))
                except OSError:
                    pass  # closed by the server: what we want
            if self.stop.wait(1):
                return

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def stop_process(proc):
    proc.terminate()
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def timed_get(url, headers=None):
    """GETs @p url on a fresh connection; returns (status, seconds)."""
    start = time.monotonic()
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.monotonic() - start


def closed_within(sock, seconds):
    """True when the server closes @p sock within @p seconds (recv returns EOF or the connection resets)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class SlowClientsEmulator(unittest.TestCase):
    def setUp(self):
        self.emu = Emulator("--token", "tok")
        self.port = self.emu.info["port"]
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        self.emu.stop()

    def test_1000_idle_and_half_sent_connections_do_not_delay_a_request(self):
        start = time.monotonic()
        self.socks = open_idle(self.port, 1000, partial=True)
        opened = time.monotonic() - start
        # httplib listens with a backlog of 5, which also bounds the SYN queue: a burst of connects had SYNs dropped
        # and retried after 1 s, 3 s, ... (75 s for these 1,000); the server widens it.
        print(f"\nemulator: 1,000 connections opened in {opened:.3f} s")
        self.assertLess(opened, BOUND_SECONDS)
        time.sleep(0.5)  # let the server accept them all
        status, seconds = timed_get(self.emu.base_url + "/zones", {"Authorization": "Bearer tok"})
        print(f"\nemulator: a request behind 1,000 idle/half-sent connections answered in {seconds:.3f} s")
        self.assertEqual(status, 200)
        self.assertLess(seconds, BOUND_SECONDS)
        # The admin endpoints too (the same server).
        status, seconds = timed_get(self.emu.admin + "/stats")
        self.assertEqual(status, 200)
        self.assertLess(seconds, BOUND_SECONDS)

    def test_300_slow_loris_connections_do_not_delay_a_request(self):
        drip = Drip(self.port, 300)
        try:
            time.sleep(2)  # a few bytes in: every connection has started its head
            status, seconds = timed_get(self.emu.base_url + "/zones", {"Authorization": "Bearer tok"})
        finally:
            drip.close()
        print(f"\nemulator: a request behind 300 slow-loris connections answered in {seconds:.3f} s")
        self.assertEqual(status, 200)
        self.assertLess(seconds, BOUND_SECONDS)

    def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.socks.append(s)
        start = time.monotonic()
        self.assertTrue(closed_within(s, 15))
        print(f"\nemulator: an idle connection was closed after {time.monotonic() - start:.1f} s")

    def test_a_head_dripped_byte_by_byte_is_cut_at_the_header_deadline(self):
        # One byte every second keeps every single read within the read timeout; the whole head still has a deadline.
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.socks.append(s)
        start = time.monotonic()
        head = b"GET /client/v4/zones HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: " + b"a" * 100
        closed = False
        for byte in head:
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_within(s, 1):
                closed = True
                break
            if time.monotonic() - start > 30:
                break
        elapsed = time.monotonic() - start
        print(f"\nemulator: a dripped head was cut after {elapsed:.1f} s")
        self.assertTrue(closed, "the server kept a dripping head open for 30 s")
        self.assertLess(elapsed, 20)

    def test_a_head_over_the_size_limit_closes_the_connection(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.socks.append(s)
        try:
            s.sendall(b"GET /client/v4/zones HTTP/1.1\r\nX-Big: " + b"a" * (80 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            return
        self.assertTrue(closed_within(s, 5))

    def test_keep_alive_and_pipelined_requests_still_work(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.socks.append(s)
        one = f"GET /client/v4/zones HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer tok\r\n\r\n"
        s.sendall((one + one).encode())  # two requests in one write
        reader = s.makefile("rb")

        def response():
            status = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            return status, reader.read(length)

        for _ in range(2):
            status, body = response()
            self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
            self.assertTrue(json.loads(body)["success"])
        s.sendall(one.encode())  # and a third on the same connection afterwards
        status, body = response()
        self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
        self.assertTrue(json.loads(body)["success"])


class SlowClientsConsole(unittest.TestCase):
    def setUp(self):
        env = dict(os.environ)
        env.pop("CLOUDFLARE_API_TOKEN", None)
        self.proc = subprocess.Popen([BINARY, *console_args()], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.info = json.loads(self.proc.stdout.readline())
        self.port = self.info["port"]
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        stop_process(self.proc)

    def test_500_idle_and_half_sent_connections_do_not_delay_the_page(self):
        self.socks = open_idle(self.port, 500, partial=True)
        time.sleep(0.5)
        status, seconds = timed_get(f"http://127.0.0.1:{self.port}/")
        print(f"\nconsole: the page behind 500 idle/half-sent connections answered in {seconds:.3f} s")
        self.assertEqual(status, 200)
        self.assertLess(seconds, BOUND_SECONDS)

    def test_300_slow_loris_connections_do_not_delay_the_page(self):
        drip = Drip(self.port, 300)
        try:
            time.sleep(2)
            status, seconds = timed_get(f"http://127.0.0.1:{self.port}/")
        finally:
            drip.close()
        print(f"\nconsole: the page behind 300 slow-loris connections answered in {seconds:.3f} s")
        self.assertEqual(status, 200)
        self.assertLess(seconds, BOUND_SECONDS)


if __name__ == "__main__":
    unittest.main()
