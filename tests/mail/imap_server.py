"""A real IMAP server for the mail tests: Debian's dovecot, started in a temporary directory
with its own configuration, port, users (a passwd file) and maildirs; plaintext sign-in on
127.0.0.1 only. Skipped, with the reason, where dovecot is not installed or will not start
(CI installs it: .ci/run).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USERS = {"soumu": "imap-pass-1", "kanda": "imap-pass-2"}
START_SECONDS = 20.0

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dovecot:
    """The running server: ``port`` plain (STARTTLS offered), ``tls_port`` TLS from the
    start, with a certificate for 127.0.0.1 signed by a CA of its own (``ca_file``)."""

    def __init__(self, root: Path, port: int, tls_port: int) -> None:
        self.root = root
        self.host = "127.0.0.1"
        self.port = port
        self.tls_port = tls_port
        self.ca_file = root / "ca.pem"
        self.process: subprocess.Popen[bytes] | None = None

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, USERS[user])
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> int:
        """Deliver a message by IMAP APPEND; its UID."""
        with self.client(user) as client:
            answer = client.append(folder, raw)
        # APPENDUID (RFC 4315): [APPENDUID <validity> <uid>]
        return int(answer.split(b"]")[0].split()[-1])

    def delete(self, user: str, uid: int, folder: str = "INBOX") -> None:
        with self.client(user) as client:
            client.select_folder(folder)
            client.delete_messages([uid])
            client.expunge()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            return s.recv(64).startswith(b"* OK")
    except OSError:
        return False


def start_dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    if os.geteuid() != 0:
        pytest.skip("the test dovecot runs as root (it switches to an unprivileged user)")
    # Not under pytest's tmp_path: its parents are 0700, and dovecot's mail processes run
    # as an unprivileged user that must reach the maildirs.
    root = Path(tempfile.mkdtemp(prefix="yui-dovecot-"))
    root.chmod(0o755)
    unprivileged = pwd.getpwnam("dovenull" if _has_user("dovenull") else "nobody")
    group = "nogroup"
    for name in ("mail", "home"):
        (root / name).mkdir()
        os.chown(root / name, unprivileged.pw_uid, unprivileged.pw_gid)
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in USERS.items()))
    port, tls_port = _free_port(), _free_port()
    _certificates(root)
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root, port=port, tls_port=tls_port, user=unprivileged.pw_name, group=group
        )
    )
    server = Dovecot(root, port, tls_port)
    server.process = subprocess.Popen(  # noqa: S603 - the system's dovecot, our own config
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + START_SECONDS
    while not _answers(port):
        if server.process.poll() is not None or time.monotonic() > deadline:
            output = (
                server.process.stdout.read().decode(errors="replace")
                if server.process.stdout
                else ""
            )
            server.stop()
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip(f"dovecot did not start: {output or server.log()}"[:500])
        time.sleep(0.1)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _certificates(root: Path) -> None:
    """A CA (ca.pem) and the server's certificate for 127.0.0.1 it signed (cert.pem,
    key.pem), so clients check the chain and the name as they would in production."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Yui test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (root / "ca.pem").write_bytes(ca.public_bytes(pem))
    (root / "cert.pem").write_bytes(server.public_bytes(pem))
    (root / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (root / "key.pem").chmod(0o600)
