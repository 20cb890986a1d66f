"""Runs one of the docs' Python programs against a mock whose clock is frozen.

- time.sleep advances the mock's virtual clock instead of passing in real time,
  and is logged (in ms) to AE_SLEEP_LOG, so the docs' polling loops run in
  milliseconds, exactly as written;
- requests refuses anything but loopback, so a base URL left unreplaced can
  never reach the live API.

Usage: python3 virtual_time.py PROGRAM.py
"""
import os
import runpy
import sys
import time
import urllib.parse

import requests

ORIGIN = os.environ["AE_MOCK_ORIGIN"]
LOG = os.environ["AE_SLEEP_LOG"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_request = requests.Session.request


def loopback_only(self, method, url, *args, **kwargs):
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK:
        raise RuntimeError(f"refused: {url} is not loopback")
    return _request(self, method, url, *args, **kwargs)


def virtual_sleep(seconds):
    ms = round(seconds * 1000)
    with open(LOG, "a") as log:
        log.write(f"{ms}\n")
    with requests.Session() as s:
        _request(s, "POST", f"{ORIGIN}/__mock/clock/advance", json={"ms": ms}).raise_for_status()


requests.Session.request = loopback_only
time.sleep = virtual_sleep
runpy.run_path(sys.argv[1], run_name="__main__")
