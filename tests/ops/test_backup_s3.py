"""``yui backup`` / ``yui restore`` with the files in an S3-compatible store, through the CLI
against a real S3 server over HTTP: moto's server (``moto[server]``, ThreadedMotoServer),
started by the test on a free local port, stands in for the council's store. The objects
go into the archive with their hashes in the manifest; a restore puts them into the target
deployment's bucket (or its local storage), refuses a bucket with objects unless --force,
and --compare finds every object back with its hash."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.ops.test_backup import deployment, manifest_of, yui

boto3 = pytest.importorskip("boto3", reason="the s3 extra (django-storages[s3]) is needed")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is a test dependency")

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3_url() -> Iterator[str]:
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(url: str):
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="yui-test",
        aws_secret_access_key="yui-test-secret",
    )


def with_bucket(env: dict[str, str], url: str, bucket: str) -> dict[str, str]:
    s3_client(url).create_bucket(Bucket=bucket)
    return {
        **env,
        "YUI_STORAGE_S3_BUCKET": bucket,
        "YUI_STORAGE_S3_ENDPOINT_URL": url,
        "YUI_STORAGE_S3_ACCESS_KEY_ID": "yui-test",
        "YUI_STORAGE_S3_SECRET_ACCESS_KEY": "yui-test-secret",
        "YUI_STORAGE_S3_REGION": REGION,
    }


def objects(url: str, bucket: str) -> dict[str, str]:
    """Every object's key and SHA-256, read back over HTTP."""
    client = s3_client(url)
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"]] = hashlib.sha256(body).hexdigest()
    return found


def seed(env: dict[str, str]) -> None:
    yui(env, "migrate", "--skip-checks", "-v0")
    subprocess.run(
        [sys.executable, "-m", "tests.ops.writer", "seed"],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=120,
    )


def test_s3_objects_are_archived_and_restored_into_another_bucket(tmp_path: Path, s3_url: str):
    with deployment(tmp_path, "source", "sqlite") as plain:
        source = with_bucket(plain, s3_url, "yui-source")
        seed(source)
        # A second, larger object (spooled to disk while archived), under a deeper key.
        big = bytes(range(256)) * 40_000
        s3_client(s3_url).put_object(Bucket="yui-source", Key="mail/2026/04/添付.bin", Body=big)
        stored = objects(s3_url, "yui-source")
        assert set(stored) == {"notices/議事録.pdf", "mail/2026/04/添付.bin"}

        archive = tmp_path / "s3.tar.gz"
        yui(source, "backup", "-o", str(archive))
        manifest = manifest_of(archive)
        assert manifest["storage"] == "s3 s3://yui-source/"
        assert {k: v["sha256"] for k, v in manifest["files"].items()} == stored
        assert manifest["files"]["mail/2026/04/添付.bin"]["size"] == len(big)
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("files/mail/2026/04/添付.bin")
            assert member is not None and member.read() == big
        assert "whole" in yui(source, "backup", "--verify", str(archive)).stdout

    # A new deployment with its own, empty bucket: the objects come back with their hashes.
    with deployment(tmp_path, "target", "sqlite") as plain:
        target = with_bucket(plain, s3_url, "yui-target")
        yui(target, "restore", str(archive))
        assert objects(s3_url, "yui-target") == stored
        compared = yui(target, "backup", "--compare", str(archive))
        assert compared.returncode == 0, compared.stdout + compared.stderr

        # The bucket now holds objects: refused without --force; with it, replaced (an
        # object the archive lacks is gone).
        s3_client(s3_url).put_object(Bucket="yui-target", Key="stray/left-over.txt", Body=b"x")
        refused = yui(target, "restore", str(archive), check=False)
        assert refused.returncode != 0 and "s3://yui-target/" in refused.stderr
        yui(target, "restore", str(archive), "--force")
        assert objects(s3_url, "yui-target") == stored

        # An object changed behind Yui's back is found by --compare.
        s3_client(s3_url).put_object(Bucket="yui-target", Key="notices/議事録.pdf", Body=b"no")
        changed = yui(target, "backup", "--compare", str(archive), check=False)
        assert changed.returncode != 0 and "notices/議事録.pdf: content differs" in (
            changed.stdout + changed.stderr
        )

    # The same archive into a deployment that keeps its files on disk.
    with deployment(tmp_path, "local", "sqlite") as local:
        yui(local, "restore", str(archive))
        root = Path(local["YUI_DATA_DIR"]) / "files"
        on_disk = {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*")
            if p.is_file()
        }
        assert on_disk == stored
