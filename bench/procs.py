"""Processes of a bench run, read from /proc (Linux): children, CPU time, resident memory."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    # The fields after the command name (which may hold spaces and parentheses).
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            if int(_stat(int(entry.name))[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User + system CPU time of a process (with ``reaped_children``, also of the children it has
    waited for); 0 for a process that is gone."""
    try:
        fields = _stat(pid)
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if reaped_children else 0)
    return ticks / TICK


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot, all processors together (user, nice,
    system, interrupts, steal; not idle or waiting for I/O): what every process, kernel threads
    included, took from the processors."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def rss_mb(pid: int) -> float | None:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None
