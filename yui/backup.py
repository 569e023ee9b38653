"""Backup and restore of a whole deployment: ``yui backup``, ``yui backup --verify``,
``yui restore``.

An archive is a gzip'd tar:

- ``db/<table>.jsonl``: every row of every table of every installed app, one JSON line per
  row, ordered by primary key (a character key in code-point order on either database);
- ``files/<path>``: the stored files (attachments): of the local file storage, or the
  objects of the S3-compatible store (``YUI_STORAGE_S3_BUCKET``) under their keys;
- ``manifest.json`` (last): format, Yui version, source database, migration state, and per
  table its row count and the SHA-256 of its lines, per file its size and SHA-256.

Why a logical dump and not ``pg_dump`` / SQLite's file: the issue asks for restore either
way round (SQLite → PostgreSQL, PostgreSQL → SQLite). A ``pg_dump`` restores only into
PostgreSQL (and needs a client of the server's version on the backup host); a SQLite file
only into SQLite. Rows read through Django's fields load into either.

Consistency while users write:

- PostgreSQL: every table is read inside one ``REPEATABLE READ READ ONLY`` transaction, so
  all tables come from one snapshot (what ``pg_dump`` does too); writers are not blocked.
- SQLite: the online backup API copies the database in one step under one read lock (WAL:
  writers go on meanwhile) into a temporary file, and the rows are read from that copy.

Restore brings an empty database to the archive's migration state, loads every row in one
transaction (foreign keys are deferred on both databases, so order does not matter),
resets PostgreSQL's sequences, then applies any migrations the code has beyond the
archive's. A target with data is refused unless ``force`` (then emptied first).

Files in an S3-compatible store are read object by object after the rows (stored files are
written once under fresh names and never changed, so an object a row names is there and
whole); each is hashed as it is copied into the archive. A restore writes them into the
store the target deployment is configured with, S3 or local, whichever the archive came
from.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from contextlib import closing as contextlib_closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.functions import Collate

FORMAT = 1
MANIFEST = "manifest.json"
BATCH = 2000
# Rows the target may hold and still count as empty: what ``migrate`` itself creates.
CREATED_BY_MIGRATE = {"django_content_type", "auth_permission"}

Progress = Callable[[str], None]


class BackupError(Exception):
    """An archive that cannot be written, read or restored; the message says why."""


@dataclass
class Manifest:
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, dict[str, Any]]:
        return self.data["tables"]  # type: ignore[no-any-return]

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data["files"]  # type: ignore[no-any-return]


def yui_version() -> str:
    try:
        return metadata.version("yui")
    except metadata.PackageNotFoundError:
        return "unknown"


def backed_up_models() -> list[type[models.Model]]:
    """One model per table: every concrete, managed model (auto-created M2M tables too)."""
    seen: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen[meta.db_table] = model
    return [seen[name] for name in sorted(seen)]


def files_root() -> Path | None:
    """The directory of the local file storage; None when files live in S3."""
    storage = getattr(settings, "FILE_STORAGE", None) or {}
    if storage.get("backend", "local") != "local":
        return None
    location = storage.get("location") or Path(settings.DATA_DIR) / "files"
    return Path(str(location))


class S3Files:
    """The objects of the deployment's S3-compatible file store (django-storages' bucket),
    by their keys below the storage's location."""

    def __init__(self) -> None:
        from subgraphs.core.storage import file_storage

        storage: Any = file_storage()
        self.bucket = storage.bucket
        location = (storage.location or "").strip("/")
        self.prefix = f"{location}/" if location else ""
        self.label = f"s3://{self.bucket.name}/{self.prefix}"

    def names(self) -> Iterator[tuple[str, int]]:
        """(key, size) of every object, in key order (the store lists them so)."""
        for obj in self.bucket.objects.filter(Prefix=self.prefix):
            yield obj.key[len(self.prefix) :], obj.size

    def holds_files(self) -> bool:
        return any(True for _ in self.bucket.objects.filter(Prefix=self.prefix).limit(1))

    def open(self, name: str) -> AbstractContextManager[IO[bytes]]:
        body = self.bucket.Object(self.prefix + name).get()["Body"]
        return contextlib_closing(body)

    def write(self, name: str, handle: IO[bytes]) -> None:
        self.bucket.upload_fileobj(handle, self.prefix + name)

    def clear(self) -> None:
        self.bucket.objects.filter(Prefix=self.prefix).delete()

    def sha256(self, name: str) -> str | None:
        """The object's SHA-256, None when there is no such object."""
        from botocore.exceptions import ClientError

        try:
            with self.open(name) as body:
                return stream_sha256(body)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise


def s3_files() -> S3Files | None:
    """The S3 store when files live in one; None for the local file storage."""
    return S3Files() if files_root() is None else None


def stream_sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return stream_sha256(handle)


# --- rows as JSON -----------------------------------------------------------------------


def _encoder(model: type[models.Model]) -> Callable[[tuple[Any, ...]], str]:
    fields = model._meta.concrete_fields
    plain: list[bool] = []
    for f in fields:
        plain.append(isinstance(f, models.JSONField))

    class _Row:
        __slots__ = tuple(f.attname for f in fields)

    def encode(values: tuple[Any, ...]) -> str:
        out: list[Any] = []
        for f, is_json, value in zip(fields, plain, values, strict=True):
            if value is None or is_json or isinstance(value, (bool, int, float, str)):
                out.append(value)
            else:
                holder = _Row()
                setattr(holder, f.attname, value)
                # value_to_string reads only getattr(obj, attname): a slotted holder
                # saves building a model instance per value.
                out.append(f.value_to_string(holder))  # type: ignore[arg-type]
        return json.dumps(out, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    return encode


def _rows(model: type[models.Model], using: str) -> Iterator[tuple[Any, ...]]:
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    order: Any = pk.attname
    if connections[using].vendor == "postgresql" and isinstance(pk, (models.CharField,)):
        # Code-point order, as SQLite compares text: the same lines, whichever database.
        order = Collate(models.F(pk.attname), "C")
    qs = model._base_manager.using(using).order_by(order)
    yield from qs.values_list(*(f.attname for f in meta.concrete_fields)).iterator(BATCH)


def table_lines(model: type[models.Model], using: str) -> Iterator[str]:
    encode = _encoder(model)
    for values in _rows(model, using):
        yield encode(values)


def table_digest(model: type[models.Model], using: str = "default") -> tuple[int, str]:
    """Row count and SHA-256 of a table as it would be archived (to compare a database
    with a manifest)."""
    digest, count = hashlib.sha256(), 0
    for line in table_lines(model, using):
        digest.update(line.encode() + b"\n")
        count += 1
    return count, digest.hexdigest()


def applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


# --- writing ----------------------------------------------------------------------------


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _dump_tables(tar: tarfile.TarFile, using: str, manifest: Manifest, say: Progress) -> None:
    existing = set(connections[using].introspection.table_names())
    for model in backed_up_models():
        table = model._meta.db_table
        if table not in existing:
            # An app whose migrations have not run here has nothing to keep; the restore
            # migrates it like any other.
            manifest.data.setdefault("absent_tables", []).append(table)
            continue
        digest, count = hashlib.sha256(), 0
        with tempfile.TemporaryFile() as spool:
            for line in table_lines(model, using):
                data = line.encode() + b"\n"
                digest.update(data)
                spool.write(data)
                count += 1
            size = spool.tell()
            spool.seek(0)
            info = tarfile.TarInfo(f"db/{table}.jsonl")
            info.size, info.mtime = size, int(time.time())
            tar.addfile(info, spool)
        manifest.tables[table] = {
            "model": model._meta.label,
            "rows": count,
            "sha256": digest.hexdigest(),
        }
        say(f"{table}: {count} rows")


def _sqlite_snapshot(using: str, target: Path) -> None:
    """Copy the SQLite database of ``using`` with the online backup API, in one step."""
    connection = connections[using]
    connection.ensure_connection()
    source = connection.connection
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    copy.close()


def _snapshot_alias(using: str, path: Path) -> str:
    alias = f"yui_backup_{os.getpid()}_{id(path)}"
    config = dict(connections.settings[using])
    config["NAME"] = str(path)
    config["OPTIONS"] = {"timeout": 30}
    connections.settings[alias] = config
    return alias


def _drop_alias(alias: str) -> None:
    try:
        connections[alias].close()
    finally:
        del connections[alias]
        del connections.settings[alias]


def create_backup(
    output: str | Path, *, using: str = "default", progress: Progress | None = None
) -> Manifest:
    """Write the archive of the whole deployment to ``output`` (replaced atomically)."""
    say = progress or (lambda _: None)
    output = Path(output)
    vendor = connections[using].vendor
    executor = MigrationExecutor(connections[using])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        # The rows are read through the code's models: a table the code has changed since
        # would fail half-way (or be read wrongly). The archive is of a migrated database.
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:5])
        raise BackupError(f"The database is behind the code ({names}): run yui migrate first.")
    root = files_root()
    bucket = s3_files()
    manifest = Manifest(
        {
            "format": FORMAT,
            "yui_version": yui_version(),
            "created_at": datetime.now(UTC).isoformat(),
            "source": vendor,
            "storage": "local" if bucket is None else f"s3 {bucket.label}",
            "tables": {},
            "files": {},
        }
    )
    partial = output.with_name(output.name + ".partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            if vendor == "sqlite":
                # Next to the archive: the operator chose that disk for a database's size.
                with tempfile.TemporaryDirectory(dir=output.parent) as scratch:
                    copy = Path(scratch) / "snapshot.sqlite3"
                    _sqlite_snapshot(using, copy)
                    alias = _snapshot_alias(using, copy)
                    try:
                        manifest.data["migrations"] = applied_migrations(alias)
                        _dump_tables(tar, alias, manifest, say)
                    finally:
                        _drop_alias(alias)
            elif vendor == "postgresql":
                with transaction.atomic(using=using):
                    with connections[using].cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    manifest.data["migrations"] = applied_migrations(using)
                    _dump_tables(tar, using, manifest, say)
            else:
                raise BackupError(f"Backing up a {vendor} database is not supported.")
            # Files after the rows: a file stored since the snapshot is only one no row
            # names yet, while every file a row names was stored before its row committed.
            if root is not None and root.is_dir():
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    rel = path.relative_to(root).as_posix()
                    # Stored files are written once and never changed in place, so the
                    # hash read first is the content archived next.
                    manifest.files[rel] = {
                        "size": path.stat().st_size,
                        "sha256": file_sha256(path),
                    }
                    tar.add(path, arcname=f"files/{rel}", recursive=False)
                say(f"files: {len(manifest.files)}")
            if bucket is not None:
                _archive_objects(tar, bucket, manifest, output.parent)
                say(f"files: {len(manifest.files)} (from {bucket.label})")
            _add_bytes(
                tar,
                MANIFEST,
                json.dumps(manifest.data, ensure_ascii=False, indent=1, sort_keys=True).encode(),
            )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _archive_objects(
    tar: tarfile.TarFile, bucket: S3Files, manifest: Manifest, scratch: Path
) -> None:
    """Every object of the store into ``files/<key>``, hashed on the way: each is copied
    once into a spool (memory, or a temporary file next to the archive when large) so the
    bytes hashed are the bytes archived, whatever the network does."""
    for name, _listed_size in bucket.names():
        digest, size = hashlib.sha256(), 0
        with tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+b", dir=str(scratch)) as spool:
            with bucket.open(name) as body:
                for chunk in iter(lambda b=body: b.read(1 << 20), b""):  # type: ignore[misc]
                    digest.update(chunk)
                    size += len(chunk)
                    spool.write(chunk)
            spool.seek(0)
            info = tarfile.TarInfo(f"files/{name}")
            info.size, info.mtime, info.mode = size, int(time.time()), 0o600
            tar.addfile(info, spool)
        manifest.files[name] = {"size": size, "sha256": digest.hexdigest()}


# --- reading and checking ---------------------------------------------------------------


def read_manifest(archive: str | Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            data = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive}: not a Yui backup ({exc})") from exc
    if data.get("format") != FORMAT:
        raise BackupError(f"{archive}: archive format {data.get('format')!r}, expected {FORMAT}")
    return Manifest(data)


def _member_kind(name: str) -> tuple[str, str]:
    if name.startswith("db/") and name.endswith(".jsonl"):
        return "table", name[3:-6]
    if name.startswith("files/"):
        return "file", name[6:]
    return "other", name


def verify_backup(archive: str | Path) -> list[str]:
    """Problems found in ``archive``: every table's lines and every file checked against
    the manifest's counts and hashes; an empty list means it is whole."""
    manifest = read_manifest(archive)
    problems: list[str] = []
    seen_tables: set[str] = set()
    seen_files: set[str] = set()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            kind, name = _member_kind(member.name)
            if kind == "other" or not member.isfile():
                continue
            handle = tar.extractfile(member)
            assert handle is not None
            digest, size, lines = hashlib.sha256(), 0, 0
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
            if kind == "table":
                seen_tables.add(name)
                expected = manifest.tables.get(name)
                if expected is None:
                    problems.append(f"table {name}: not in the manifest")
                elif expected["rows"] != lines:
                    problems.append(f"table {name}: {lines} rows, manifest says {expected['rows']}")
                elif expected["sha256"] != digest.hexdigest():
                    problems.append(f"table {name}: rows differ from the manifest's hash")
            else:
                seen_files.add(name)
                want = manifest.files.get(name)
                if want is None:
                    problems.append(f"file {name}: not in the manifest")
                elif want["sha256"] != digest.hexdigest() or want["size"] != size:
                    problems.append(f"file {name}: content differs from the manifest's hash")
    problems += [f"table {t}: missing" for t in sorted(set(manifest.tables) - seen_tables)]
    problems += [f"file {f}: missing" for f in sorted(set(manifest.files) - seen_files)]
    return problems


def compare_with_manifest(manifest: Manifest, using: str = "default") -> list[str]:
    """Differences between a database (and the file storage) and an archive's manifest."""
    problems: list[str] = []
    by_table = {m._meta.db_table: m for m in backed_up_models()}
    for table, expected in sorted(manifest.tables.items()):
        model = by_table.get(table)
        if model is None:
            problems.append(f"table {table}: no such model")
            continue
        rows, digest = table_digest(model, using)
        if rows != expected["rows"]:
            problems.append(f"table {table}: {rows} rows, archive has {expected['rows']}")
        elif digest != expected["sha256"]:
            problems.append(f"table {table}: rows differ from the archive")
    root = files_root()
    bucket = s3_files()
    for rel, want in sorted(manifest.files.items()):
        if bucket is not None:
            found = bucket.sha256(rel)
        else:
            path = (root / rel) if root is not None else None
            found = file_sha256(path) if path is not None and path.is_file() else None
        if found is None:
            problems.append(f"file {rel}: missing")
        elif found != want["sha256"]:
            problems.append(f"file {rel}: content differs")
    return problems


# --- restoring --------------------------------------------------------------------------


def _migrate_to(using: str, wanted: dict[str, list[str]]) -> None:
    connection = connections[using]
    executor = MigrationExecutor(connection)
    nodes = executor.loader.graph.nodes
    unknown = [f"{a}.{n}" for a, names in wanted.items() for n in names if (a, n) not in nodes]
    if unknown:
        raise BackupError(
            "The archive was made by a newer Yui (migrations this code lacks: "
            + ", ".join(unknown[:5])
            + "); restore it with that version."
        )
    targets = [(app, names[-1]) for app, names in sorted(wanted.items()) if names]
    executor.migrate(targets)


def _holds_data(using: str, tables: list[str]) -> list[str]:
    existing = set(connections[using].introspection.table_names())
    found = []
    with connections[using].cursor() as cursor:
        qn = connections[using].ops.quote_name
        for table in tables:
            if table in CREATED_BY_MIGRATE or table not in existing:
                continue
            cursor.execute(f"SELECT 1 FROM {qn(table)} LIMIT 1")  # noqa: S608 - a model's table
            if cursor.fetchone():
                found.append(table)
    return found


def _decoder(model: type[models.Model]) -> Callable[[list[Any]], models.Model]:
    fields = model._meta.concrete_fields
    kinds = [isinstance(f, models.JSONField) for f in fields]

    def decode(values: list[Any]) -> models.Model:
        obj = model.__new__(model)
        obj._state = models.base.ModelState()
        obj._state.adding, obj._state.db = False, None
        for f, is_json, value in zip(fields, kinds, values, strict=True):
            setattr(obj, f.attname, value if is_json or value is None else f.to_python(value))
        return obj

    return decode


def _load_table(tar: tarfile.TarFile, member: str, model: type[models.Model], using: str) -> int:
    handle: IO[bytes] | None = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"{member}: missing from the archive")
    decode = _decoder(model)
    fields = list(model._meta.concrete_fields)
    manager = model._base_manager.using(using)
    batch: list[models.Model] = []
    count = 0
    for line in io.TextIOWrapper(handle, encoding="utf-8"):
        batch.append(decode(json.loads(line)))
        if len(batch) >= 500:
            # raw=True: the values are stored as they are (auto_now fields keep theirs).
            manager._insert(batch, fields=fields, using=using, raw=True)  # type: ignore[attr-defined]
            count += len(batch)
            batch = []
    if batch:
        manager._insert(batch, fields=fields, using=using, raw=True)  # type: ignore[attr-defined]
        count += len(batch)
    return count


def restore_backup(
    archive: str | Path,
    *,
    using: str = "default",
    force: bool = False,
    progress: Progress | None = None,
) -> Manifest:
    """Bring the database ``using`` and the file storage to the archive's state."""
    say = progress or (lambda _: None)
    problems = verify_backup(archive)
    if problems:
        raise BackupError("The archive is damaged:\n  " + "\n  ".join(problems))
    manifest = read_manifest(archive)
    by_table = {m._meta.db_table: m for m in backed_up_models()}
    unknown = sorted(set(manifest.tables) - set(by_table))
    if unknown:
        raise BackupError(f"The archive has tables this Yui does not know: {', '.join(unknown)}")
    _migrate_to(using, manifest.data.get("migrations") or {})
    tables = sorted(manifest.tables)
    # Tables of apps the archive did not have are emptied too (with --force): the target
    # must hold the archive's state, not the archive's plus what was there.
    present = set(connections[using].introspection.table_names())
    emptied = sorted(set(tables) | {t for t in by_table if t in present})
    busy = _holds_data(using, emptied)
    root = files_root()
    bucket = s3_files()
    if root is not None and root.is_dir() and any(p.is_file() for p in root.rglob("*")):
        busy.insert(0, f"files in {root}")
    if bucket is not None and bucket.holds_files():
        # First: the message names five things at most, and a bucket is easily overlooked.
        busy.insert(0, f"files in {bucket.label}")
    if busy and not force:
        raise BackupError(
            "The target is not empty (" + ", ".join(busy[:5]) + "): restore into a new "
            "database, or pass --force to replace everything in it."
        )
    connection = connections[using]
    qn = connection.ops.quote_name
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            for table in emptied:
                cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608 - a model's table
        with tarfile.open(archive, "r:gz") as tar:
            for table in tables:
                count = _load_table(tar, f"db/{table}.jsonl", by_table[table], using)
                say(f"{table}: {count} rows")
        models_loaded = [by_table[t] for t in tables]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models_loaded):
                cursor.execute(statement)
        connection.check_constraints(table_names=emptied)
    if root is not None:
        if busy and force and root.is_dir():
            shutil.rmtree(root)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                kind, rel = _member_kind(member.name)
                if kind != "file" or not member.isfile():
                    continue
                target = (root / rel).resolve()
                if not target.is_relative_to(root.resolve()):
                    raise BackupError(f"{member.name}: a path outside the file storage")
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = tar.extractfile(member)
                assert handle is not None
                with open(target, "wb") as out:
                    shutil.copyfileobj(handle, out)
        say(f"files: {len(manifest.files)}")
    if bucket is not None:
        if busy and force:
            bucket.clear()
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                kind, rel = _member_kind(member.name)
                if kind != "file" or not member.isfile():
                    continue
                handle = tar.extractfile(member)
                assert handle is not None
                bucket.write(rel, handle)
        say(f"files: {len(manifest.files)} (into {bucket.label})")
    # Migrations this code has beyond the archive's run on the restored rows.
    call_command("migrate", database=using, verbosity=0, interactive=False)
    return manifest
