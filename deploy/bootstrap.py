"""Set-up and run on a fresh machine: ``python3 deploy/bootstrap.py demo`` or ``... test``.

Standard library only, so it runs under whatever ``python3`` the machine has; it finds a Python
3.12 or newer, makes ``.venv``, installs the pinned requirements, then runs the demo or the tests.

It speaks Japanese, like the service; ``MYNATRUST_LANGUAGE=en`` makes it speak English, and the
project's commands it runs too (``kernel.commands.readers_language``). It runs before
Django is installed, so its lines are in :data:`LINES`, both languages side by side, rather than in
the service's catalogue.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
MIN_PYTHON = (3, 12)
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mynatrust"


# Every line this script prints, by name: (Japanese, English).
LINES: dict[str, tuple[str, str]] = {
    "usage": (
        "使い方：python3 deploy/bootstrap.py demo [アドレス:ポート] | test [pytest の引数]",
        "usage: python3 deploy/bootstrap.py demo [ADDRESS:PORT] | test [PYTEST ARGS]",
    ),
    "failed": ("失敗しました（終了コード {code}）：{command}", "failed ({code}): {command}"),
    "no_python": (
        "Python 3.12 以上が必要ですが、PATH に見つかりません（python3.13、python3.12、python3 を探しました）。",
        "Python 3.12 or newer is needed and none was found on PATH (tried python3.13, python3.12, python3).",
    ),
    "install_python": (
        "OS のパッケージや python.org などから入れて、もう一度このコマンドを実行してください。",
        "Install it (for example from your OS packages or python.org) and run this command again.",
    ),
    "creating_venv": ("{python} で .venv を作ります", "creating .venv with {python}"),
    "installing": ("{requirements} をインストールします", "installing {requirements}"),
    "starting_postgres": ("PostgreSQL {version} を起動します", "starting PostgreSQL {version}"),
    "no_postgres": (
        "127.0.0.1:5432 の PostgreSQL に接続できません。起動するか、DATABASE_URL を設定してください。",
        "PostgreSQL is not reachable on 127.0.0.1:5432: start it, or set DATABASE_URL.",
    ),
    "starting_redis": ("127.0.0.1:6379 で Redis を起動します", "starting Redis on 127.0.0.1:6379"),
    "no_redis": (
        "127.0.0.1:6379 の Redis に接続できません。流量制限のテストが失敗します。redis-server を起動してください。",
        "Redis is not reachable on 127.0.0.1:6379: the rate-limit tests will fail. Start redis-server.",
    ),
    "installing_os": ("OS のパッケージ {packages} をインストールします", "installing {packages} from the OS packages"),
    "missing_os": (
        "OS のパッケージ {packages} がありません。それを使うテストは失敗します。インストールしてください。",
        "missing OS packages: {packages}; the tests that need them will fail. Install them.",
    ),
    "step_lint": ("ruff（コードの検査）", "ruff lint"),
    "step_format": ("ruff（書式の確認）", "ruff format"),
    "step_types": ("mypy（型の検査）", "mypy"),
    "step_imports": ("lint-imports（アプリ間の import の約束）", "import contracts"),
    "step_migrations": ("makemigrations --check（マイグレーションの漏れ）", "migrations"),
    "step_pytest": ("pytest（テスト）", "pytest"),
    "no_tests": (
        "pytest がテストを 1 件も集めませんでした。これは失敗です",
        "pytest collected no tests: that is a failure",
    ),
}


def english() -> bool:
    """English when MYNATRUST_LANGUAGE starts with "en"; Japanese otherwise."""
    return os.environ.get("MYNATRUST_LANGUAGE", "").strip().lower().startswith("en")


def line(name: str, **values: object) -> str:
    """The line ``name`` of :data:`LINES` in the reader's language, its values written in."""
    japanese, english_line = LINES[name]
    return (english_line if english() else japanese).format(**values)


def say(name: str, **values: object) -> None:
    print(f"[mynatrust] {line(name, **values)}", flush=True)


def run(*cmd: str, env: dict[str, str] | None = None, check: bool = True) -> int:
    code = subprocess.call(list(cmd), cwd=ROOT, env=env)
    if check and code != 0:
        say("failed", code=code, command=" ".join(cmd))
        sys.exit(code or 1)
    return code


def version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def find_python() -> str:
    candidates = [sys.executable, "python3.13", "python3.12", "python3", "python"]
    for name in candidates:
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and (version_of(path) or (0, 0)) >= MIN_PYTHON:
            return path
    say("no_python")
    say("install_python")
    sys.exit(2)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(requirements: str) -> str:
    py = venv_python()
    if not py.exists() or (version_of(str(py)) or (0, 0)) < MIN_PYTHON:
        if VENV.exists():
            shutil.rmtree(VENV)
        base = find_python()
        say("creating_venv", python=base)
        run(base, "-m", "venv", str(VENV))
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text().strip() != digest.hexdigest():
        say("installing", requirements=requirements)
        run(str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
        run(str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements)
        stamp.write_text(digest.hexdigest())
    return str(py)


def manage(py: str, *args: str, env: dict[str, str] | None = None) -> None:
    run(py, "manage.py", *args, env=env)


def demo(extra: list[str]) -> None:
    py = ensure_venv("requirements.txt")
    env = {**os.environ}
    env.pop("MYNATRUST_PRODUCTION", None)
    env.setdefault("DEMO_MODE", "true")
    env.setdefault("VALIDITY_ANONYMOUS_QUERIES", "true")  # the public check answers in the demo
    address = extra[0] if extra else "127.0.0.1:8000"
    env.setdefault("SERVICE_BASE_URL", f"http://{address}")  # the links printed and mailed
    (ROOT / "var").mkdir(exist_ok=True)
    manage(py, "compile_translations", env=env)
    manage(py, "demo_migrate", env=env)  # one line, not Django's one per migration
    manage(py, "createcachetable", env=env)
    manage(py, "demo_setup", env=env)
    os.chdir(ROOT)
    # runserver, its checks, address and warning said in the reader's language once it listens.
    os.execve(py, [py, "manage.py", "demo_serve", address], env)  # noqa: S606


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_postgres(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")) or "@127.0.0.1:5432" not in url:
        return
    if port_open("127.0.0.1", 5432):
        return
    ctl = shutil.which("pg_ctlcluster")
    clusters = Path("/etc/postgresql")
    if ctl and clusters.is_dir():
        for version in sorted(p.name for p in clusters.iterdir()):
            say("starting_postgres", version=version)
            run(ctl, "--skip-systemctl-redirect", version, "main", "start", check=False)
    if not port_open("127.0.0.1", 5432):
        say("no_postgres")
        sys.exit(2)


def ensure_redis() -> None:
    """Rate-limit tests use Redis on 127.0.0.1:6379; start a throwaway server where one is installed."""
    if port_open("127.0.0.1", 6379):
        return
    server = shutil.which("redis-server")
    if server:
        say("starting_redis")
        run(
            server,
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            check=False,
        )
        for _ in range(50):
            if port_open("127.0.0.1", 6379):
                return
            time.sleep(0.1)
    say("no_redis")


# What the tests need from the OS, by the file that shows it is there: the browser, its Japanese
# resources (its own words in date and file fields) and a Japanese font (browser tests), pdftoppm (PDF pages as images), SoftHSM2 and OpenSC (signing with a card
# through PKCS#11).
SYSTEM_PACKAGES = {
    "chromium": "chromium",
    "chromium-l10n": "/usr/lib/chromium/locales/ja.pak",
    "fonts-ipaexfont": "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "poppler-utils": "pdftoppm",
    "softhsm2": "/usr/lib/softhsm/libsofthsm2.so",
    "opensc": "pkcs11-tool",
}


def _present(marker: str) -> bool:
    return Path(marker).exists() if marker.startswith("/") else shutil.which(marker) is not None


def ensure_system_packages() -> None:
    """Install the OS packages the tests need where they are missing (as root, with apt-get)."""
    missing = [name for name, marker in SYSTEM_PACKAGES.items() if not _present(marker)]
    if os.environ.get("CHROMIUM_PATH"):  # another browser: Debian's and its resources are not needed
        missing = [name for name in missing if name not in {"chromium", "chromium-l10n"}]
    if not missing:
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing_os", packages=", ".join(missing))
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-q", env=env)
        run("apt-get", "install", "-y", "-q", *missing, env=env)
        return
    say("missing_os", packages=", ".join(missing))


def test(extra: list[str]) -> None:
    py = ensure_venv("requirements-dev.txt")
    env = {**os.environ}
    for name in ("MYNATRUST_PRODUCTION", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"):
        env.pop(name, None)
    env.setdefault("DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    ensure_postgres(env["DATABASE_URL"])
    ensure_redis()
    ensure_system_packages()
    manage(py, "compile_translations", env=env)
    steps: list[tuple[str, list[str]]] = [
        ("step_lint", [py, "-m", "ruff", "check", "."]),
        ("step_format", [py, "-m", "ruff", "format", "--check", "."]),
        ("step_types", [py, "-m", "mypy", "."]),
        ("step_imports", [str(Path(py).parent / "lint-imports"), "--no-cache"]),
        ("step_migrations", [py, "manage.py", "makemigrations", "--check", "--dry-run"]),
    ]
    for label, cmd in steps:
        say(label)
        # The migration check needs no server: an in-memory database keeps it self-contained.
        run(*cmd, env={**env, "DATABASE_URL": "sqlite://:memory:"} if label == "step_migrations" else env)
    say("step_pytest")
    code = run(py, "-m", "pytest", *extra, env=env, check=False)
    if code == 5:
        say("no_tests")
        sys.exit(1)
    sys.exit(code)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in {"demo", "test"}:
        print(line("usage"))
        sys.exit(2)
    {"demo": demo, "test": test}[argv[1]](argv[2:])


if __name__ == "__main__":
    main(sys.argv)
