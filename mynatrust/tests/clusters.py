"""A private PostgreSQL cluster for tests that need a second server: ``initdb`` into a temporary
directory, started on a free port of its own (never the shared one), stopped and removed afterwards.
Tests that restart PostgreSQL, run two application hosts or restore a backup onto another server use
the ``cluster`` fixture; import it (and ``Cluster``) from here."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mynatrust.tests.test_running import free_port


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    prefix: list[str]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def ctl(self, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), *args], check=True, timeout=120)


def private_cluster(tmp: Path) -> Iterator[Cluster]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found and not shutil.which("initdb"):
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine for a private cluster")
    bin_dir = Path(found[-1] if found else str(shutil.which("initdb"))).parent
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: as the postgres account
        runuser = shutil.which("runuser")
        try:
            shutil.chown(tmp, "postgres")
        except LookupError:
            runuser = None
        if runuser is None:
            pytest.skip("running as root without runuser or a postgres account: no private cluster possible")
        prefix = [runuser, "-u", "postgres", "--"]
        tmp.chmod(0o700)
    cluster = Cluster(bin_dir, tmp / "data", free_port(), prefix)
    subprocess.run(
        [
            *prefix,
            str(bin_dir / "initdb"),
            "-D",
            str(cluster.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # In the cluster's own configuration, so that a restart keeps them (never the shared port).
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {cluster.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{tmp}'\n"
            "fsync = off\nmax_connections = 50\n"
        )
    cluster.ctl("-l", str(tmp / "postgres.log"), "-w", "start")
    try:
        yield cluster
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
            timeout=120,
        )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp_path: the postgres account must reach it, and the socket path must be short.
    tmp = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    tmp.chmod(0o755)
    try:
        yield from private_cluster(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


ROOT = Path(__file__).resolve().parents[2]
# Dumps of a freshly migrated database, one per state of the migrations, kept between test runs on
# this machine (never in the checkout).
DUMPS = Path(os.environ.get("MYNATRUST_TEST_CACHE", str(Path.home() / ".cache" / "mynatrust-tests")))


def migrations_key() -> str:
    """What a migrated database depends on: every migration file of the project and the pinned
    versions of the packages whose migrations run too."""
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def migrate_from_dump(cluster: Cluster, url: str, migrate: Callable[[], object]) -> str:
    """Bring the empty database at ``url`` to the migrated state: restored from this machine's dump
    of an earlier migration of the same files (a few seconds), or migrated with ``migrate`` and
    dumped for the next run. Returns "restored" or "migrated"."""
    dump = DUMPS / f"migrated-{migrations_key()}.dump"
    if dump.exists():
        subprocess.run(
            [str(cluster.bin / "pg_restore"), "--no-owner", "--exit-on-error", "-d", url, str(dump)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        return "restored"
    migrate()
    DUMPS.mkdir(parents=True, exist_ok=True)
    part = dump.with_suffix(f".{os.getpid()}.part")
    subprocess.run([str(cluster.bin / "pg_dump"), "-Fc", "-f", str(part), url], check=True, timeout=300)
    os.replace(part, dump)  # whole or not at all, even with two runs at once
    return "migrated"
