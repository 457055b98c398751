"""A throwaway PostgreSQL server for the test session.

``start_postgres()`` returns a handle whose ``url`` points at an empty ``oms_test`` database.
If ``OMS_TEST_POSTGRES_URL`` is set, that server is used and nothing is started. Otherwise
``initdb`` and ``pg_ctl`` build a cluster in a temporary directory and start it on a free
loopback port; ``PostgresHandle.stop()`` stops it and removes the directory. As root, the
server runs as the ``postgres`` user (else ``nobody``), because ``initdb`` refuses to run as
root. When no server can be had, ``PostgresUnavailable`` is raised with the reason.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

URL_ENV = "OMS_TEST_POSTGRES_URL"
DATABASE = "oms_test"
SUPERUSER = "oms"
_NAME_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be had; the message says why."""


@dataclass
class PostgresHandle:
    """A PostgreSQL server for tests.

    Attributes:
        url: SQLAlchemy URL of the ``oms_test`` database (psycopg2 driver).
        pg_ctl: Command prefix that runs ``pg_ctl``; None when the server is not ours.
        tempdir: Directory holding the cluster, removed by ``stop()``.
    """

    url: str
    pg_ctl: list[str] | None = None
    tempdir: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Stop the server and remove its directory, if this process started it.

        Safe to call more than once.
        """
        if self._stopped or self.pg_ctl is None or self.tempdir is None:
            return
        self._stopped = True
        data = str(self.tempdir / "data")
        try:
            for mode in ("fast", "immediate"):
                stop = [*self.pg_ctl, "stop", "-D", data, "-m", mode, "-w"]
                if _run(stop, self.tempdir).returncode == 0:
                    break
                if not (self.tempdir / "data/postmaster.pid").exists():
                    break
        finally:
            shutil.rmtree(self.tempdir, ignore_errors=True)


def start_postgres() -> PostgresHandle:
    """Start a throwaway server, or use the one named by ``OMS_TEST_POSTGRES_URL``.

    Returns:
        A handle; call its ``stop()`` when done.

    Raises:
        PostgresUnavailable: No server could be had; the message says why.
    """
    if url := os.environ.get(URL_ENV):
        try:
            _execute(url, "select 1")
        except Exception as exc:
            reason = f"{URL_ENV} is set but cannot be reached: {_first_line(exc)}"
            raise PostgresUnavailable(reason) from exc
        return PostgresHandle(url=url)

    bindir = find_bindir()
    user = _unprivileged_user()
    prefix = [] if user is None else ["runuser", "-u", user.pw_name, "--"]
    tempdir = Path(tempfile.mkdtemp(prefix="oms-pg-", dir=_base_tempdir()))
    handle = PostgresHandle(url="", pg_ctl=[*prefix, str(bindir / "pg_ctl")], tempdir=tempdir)
    # Stop and clean up even if we fail half-way or the session ends without teardown.
    atexit.register(handle.stop)
    try:
        if user is not None:
            os.chown(tempdir, user.pw_uid, user.pw_gid)
        handle.url = _init_and_start(bindir, prefix, tempdir, handle.pg_ctl)
    except BaseException:
        handle.stop()
        raise
    return handle


def find_bindir() -> Path:
    """Find the folder holding ``initdb`` and ``pg_ctl``.

    Returns:
        The folder of ``initdb`` on PATH, else the newest ``/usr/lib/postgresql/*/bin``.

    Raises:
        PostgresUnavailable: Neither has both binaries.
    """
    candidates = []
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: _version_key(p.parent.name), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (no initdb/pg_ctl on PATH or in "
        "/usr/lib/postgresql/*/bin); install the Debian package 'postgresql'"
    )


def create_database(url: str, name: str) -> str:
    """Create an empty database on the server of ``url``.

    Args:
        url: URL of any database on the server.
        name: Name of the new database (lower-case letters, digits, underscores).

    Returns:
        The URL of the new database.
    """
    _execute(url, f"CREATE DATABASE {_checked_name(name)}")
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    """Drop a database on the server of ``url``, closing its connections first.

    Args:
        url: URL of another database on the same server.
        name: Name of the database to drop.
    """
    _execute(url, f"DROP DATABASE IF EXISTS {_checked_name(name)} WITH (FORCE)")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the current test because PostgreSQL is unavailable, or fail it in CI.

    Args:
        reason: Why no server could be had.

    Raises:
        pytest.fail.Exception: When the environment variable ``CI`` is ``true``.
        pytest.skip.Exception: Otherwise.
    """
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def _init_and_start(bindir: Path, prefix: list[str], tempdir: Path, pg_ctl: list[str]) -> str:
    """Run initdb, start the server and create the ``oms_test`` database; return its URL."""
    data = str(tempdir / "data")
    initdb = [str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", SUPERUSER]
    result = _run([*prefix, *initdb, "--encoding=UTF8", "--no-locale"], tempdir)
    if result.returncode != 0:
        raise PostgresUnavailable(f"initdb failed:\n{_tail(result.stdout)}")
    log = tempdir / "server.log"
    for _attempt in range(3):  # the free port may be taken before the server binds it
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {shlex.quote(str(tempdir))} -F"
        start = [*pg_ctl, "start", "-D", data, "-l", str(log), "-w", "-t", "60", "-o", options]
        result = _run(start, tempdir)
        if result.returncode == 0:
            url = URL.create("postgresql+psycopg2", SUPERUSER, None, "127.0.0.1", port, "postgres")
            try:
                return create_database(url.render_as_string(), DATABASE)
            except Exception as exc:
                reason = f"server started but is not usable: {_first_line(exc)}"
                raise PostgresUnavailable(reason) from exc
    server_log = log.read_text(errors="replace") if log.exists() else ""
    raise PostgresUnavailable(f"pg_ctl start failed:\n{_tail(result.stdout + server_log)}")


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Return the user to run the server as when we are root (initdb refuses root), else None."""
    if os.geteuid() != 0:
        return None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and 'runuser' was not found")
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither user 'postgres' nor 'nobody' exists")


def _base_tempdir() -> str:
    """Return a temp folder whose ancestors others can traverse (needed as root)."""
    base = tempfile.gettempdir()
    if os.geteuid() != 0:
        return base
    for candidate in (base, "/tmp"):  # /tmp: fallback when TMPDIR is private
        path = Path(candidate).resolve()
        if all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents)):
            return str(path)
    raise PostgresUnavailable(f"neither {base} nor /tmp is traversable by other users")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command with its stderr merged into stdout."""
    return subprocess.run(
        args,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )


def _execute(url: str | URL, sql: str) -> None:
    """Run one statement outside a transaction."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _checked_name(name: str) -> str:
    """Return ``name`` if it is a plain lower-case identifier, else raise ValueError."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def _version_key(version: str) -> tuple[int, ...]:
    """Sort key for folder names such as ``15`` or ``9.6``."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _first_line(exc: Exception) -> str:
    """Return the first line of a driver error, without SQLAlchemy's background link."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _tail(output: str, lines: int = 15) -> str:
    """Return the last lines of a command's output."""
    return "\n".join(output.strip().splitlines()[-lines:])
