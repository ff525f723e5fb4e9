"""A pytest plugin that measures the JACK test part, not a part of the suite: per test,
the xruns of the session's private server while the test ran, the xdist worker and the
wall-clock span of its call (results/jack-test-wall.md).

Usage (the folder holding this file on PYTHONPATH; the file named by XRUNLOG gets one
line per test: `nodeid xruns worker start end`, xruns -1 where the test has no server):
    XRUNLOG=/tmp/xruns.txt PYTHONPATH=results python3 -m pytest -m jack -p jack_wall_measure
"""

from __future__ import annotations

import os
import time

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    server = item.funcargs.get("jack_server")
    before = server.xruns.count if server is not None and server.xruns is not None else None
    t0 = time.time()
    yield
    path = os.environ.get("XRUNLOG")
    if path:
        n = server.xruns.count - before if before is not None else -1
        worker = os.environ.get("PYTEST_XDIST_WORKER", "-")
        with open(path, "a") as f:
            f.write(f"{item.nodeid} {n} {worker} {t0:.1f} {time.time():.1f}\n")
