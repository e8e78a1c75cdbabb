"""Run a Python script (`python tests/netaudit.py app.py --port N`) with an audit hook that records every
attempt to reach a host other than this machine: socket.connect to a non-loopback address and name
look-ups (getaddrinfo / gethostbyname) of a non-local name. One JSON line per attempt, with the call
site, in the file named by KB_NET_AUDIT. The browser test reads it after the whole session: the app must
contact no outside server (gradio analytics, version checks, the Hugging Face Hub, ...).

An audit hook sees the attempt even when it would fail, so this works whether or not the machine is online.
"""
from __future__ import annotations

import ipaddress
import json
import os
import runpy
import sys
import threading
import traceback

LOG = os.environ["KB_NET_AUDIT"]
_write = threading.Lock()
_inside = threading.local()


def is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host in ("", "localhost") or str(host).endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def record(event: str, target) -> None:
    if getattr(_inside, "busy", False):
        return
    _inside.busy = True
    try:
        stack = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack()[:-2]][-8:]
        line = json.dumps({"event": event, "target": repr(target), "stack": stack}, ensure_ascii=False)
        with _write, open(LOG, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    finally:
        _inside.busy = False


def hook(event: str, args) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not is_local(address[0]):
            record(event, address)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        if args and not is_local(args[0]):
            record(event, args[0])


if __name__ == "__main__":
    open(LOG, "a").close()  # present even when nothing is recorded
    sys.addaudithook(hook)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script` would
    runpy.run_path(script, run_name="__main__")
