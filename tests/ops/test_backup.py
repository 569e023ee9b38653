"""``yui backup`` / ``yui restore`` through the CLI, against real deployments (a SQLite file
in WAL mode, and PostgreSQL when the run uses it): a process writes continuously while the
backup runs; the archive restores into a new database of either kind, and every table's
rows and every file's hash in it equal the manifest."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from yui.scratch_database import is_postgres, scratch_postgres

CONFIGURED = os.environ.get("YUI_DATABASE_URL", "").strip()
NEEDS_POSTGRES = pytest.mark.skipif(
    not is_postgres(CONFIGURED),
    reason="PostgreSQL directions run in the PostgreSQL pass (YUI_DATABASE_URL=postgres://...)",
)


@contextlib.contextmanager
def deployment(tmp: Path, name: str, kind: str) -> Iterator[dict[str, str]]:
    """The environment of a new, empty deployment (its own data directory and database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUI_")}
    env["YUI_DATA_DIR"] = str(tmp / name)
    if kind == "postgres":
        with scratch_postgres(CONFIGURED, "yui_ops") as url:
            env["YUI_DATABASE_URL"] = url
            yield env
    else:
        yield env


def yui(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own command
        [sys.executable, "-m", "yui.cli", *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())  # type: ignore[no-any-return]


def wait_for_rounds(stop: Path, writer: subprocess.Popen[str], rounds: int) -> None:
    progress = stop.with_suffix(".rounds")
    deadline = time.monotonic() + 180  # a loaded machine starts Django slowly
    while writer.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, ValueError):
            if int(progress.read_text()) >= rounds:
                return
        time.sleep(0.1)
    raise AssertionError(f"the writer did not reach {rounds} rounds")


DIRECTIONS = [
    pytest.param("sqlite", "sqlite", id="sqlite-to-sqlite"),
    pytest.param("sqlite", "postgres", id="sqlite-to-postgres", marks=NEEDS_POSTGRES),
    pytest.param("postgres", "sqlite", id="postgres-to-sqlite", marks=NEEDS_POSTGRES),
]


@pytest.mark.parametrize(("source_kind", "target_kind"), DIRECTIONS)
def test_backup_while_writing_restores_exactly(tmp_path, source_kind, target_kind):
    archive = tmp_path / "yui-backup.tar.gz"
    stop = tmp_path / "stop"
    with deployment(tmp_path, "source", source_kind) as source:
        yui(source, "migrate", "--skip-checks", "-v0")
        subprocess.run(
            [sys.executable, "-m", "tests.ops.writer", "seed"],
            env=source,
            cwd=settings.BASE_DIR,
            check=True,
            timeout=120,
        )
        writer = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
            [sys.executable, "-m", "tests.ops.writer", "run", str(stop)],
            env=source,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_rounds(stop, writer, 5)  # writes are under way
            yui(source, "backup", "-o", str(archive))
            in_archive = manifest_of(archive)["tables"]["people_person"]["rows"] - 1
            wait_for_rounds(stop, writer, in_archive + 5)  # and go on after the backup
        finally:
            stop.touch()
            out, _ = writer.communicate(timeout=60)
        assert writer.returncode == 0
        rounds = int(out.strip())

    manifest = manifest_of(archive)
    tables = manifest["tables"]
    assert manifest["source"] == {"sqlite": "sqlite", "postgres": "postgresql"}[source_kind]
    written = tables["people_person"]["rows"] - 1  # all but the administrator
    # A consistent copy: every round it holds is whole, and the writer went on after it.
    assert 0 < written < rounds, (written, rounds)
    assert tables["calendar_event"]["rows"] == written
    assert tables["facilities_reservation"]["rows"] == written
    assert tables["people_accesstoken"]["rows"] == written
    assert [f for f in manifest["files"]] == ["notices/議事録.pdf"]
    assert "audit_auditrecord" in tables and tables["audit_auditrecord"]["rows"] > written

    with deployment(tmp_path, "target", target_kind) as target:
        assert "whole" in yui(target, "backup", "--verify", str(archive)).stdout
        restored = yui(target, "restore", str(archive))
        assert f"restored {sum(t['rows'] for t in tables.values())} rows" in restored.stdout
        # Every table's rows and every file's hash equal the manifest's.
        assert "exactly" in yui(target, "backup", "--compare", str(archive)).stdout
        # The audit chains survive the move between databases intact.
        assert "intact" in yui(target, "audit", "verify").stdout
        # Users sign in to the restored deployment: sessions and passwords came along.
        again = yui(target, "restore", str(archive), check=False)
        assert again.returncode != 0 and "not empty" in again.stderr
        forced = yui(target, "restore", "--force", str(archive))
        assert "restored" in forced.stdout
        assert "exactly" in yui(target, "backup", "--compare", str(archive)).stdout
        # A change after the restore is told apart from the archive.
        yui(target, "tenant", "add", "406210", "苅田町", "--slug", "kanda", check=False)
        drift = yui(target, "backup", "--compare", str(archive), check=False)
        assert drift.returncode != 0 and "people_tenant" in drift.stderr


def test_verify_finds_a_damaged_archive(tmp_path):
    with deployment(tmp_path, "source", "sqlite") as source:
        yui(source, "migrate", "--skip-checks", "-v0")
        subprocess.run(
            [sys.executable, "-m", "tests.ops.writer", "seed"],
            env=source,
            cwd=settings.BASE_DIR,
            check=True,
            timeout=120,
        )
        archive = tmp_path / "a.tar.gz"
        yui(source, "backup", "-o", str(archive))
        assert "whole" in yui(source, "backup", "--verify", str(archive)).stdout
    # Rewrite the archive with one row changed and the file cut short.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "db/people_tenant.jsonl":
                data = data.replace("大川市".encode(), "小川市".encode())
            if member.name.startswith("files/"):
                data = data[:-10]
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with deployment(tmp_path, "check", "sqlite") as env:
        result = yui(env, "backup", "--verify", str(damaged), check=False)
        assert result.returncode != 0
        assert "people_tenant: rows differ" in result.stderr
        assert "notices/議事録.pdf: content differs" in result.stderr
        refused = yui(env, "restore", str(damaged), check=False)
        assert refused.returncode != 0 and "damaged" in refused.stderr


def test_a_database_behind_the_code_is_refused_before_anything_is_written(tmp_path):
    with deployment(tmp_path, "source", "sqlite") as source:
        yui(source, "migrate", "--skip-checks", "-v0")
        yui(source, "migrate", "audit", "zero", "--skip-checks", "-v0")
        archive = tmp_path / "a.tar.gz"
        refused = yui(source, "backup", "-o", str(archive), check=False)
        assert refused.returncode != 0
        assert "audit.0001_initial" in refused.stderr and "yui migrate" in refused.stderr
        assert not archive.exists() and not list(tmp_path.glob("*.partial"))
