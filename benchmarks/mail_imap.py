"""How fast incoming mail is fetched over IMAP: ``python -m benchmarks.mail_imap [--messages 300]``.

Starts a real dovecot (as the mail tests do: its own config, port and maildir in a temporary
directory; needs dovecot installed and root) and a throwaway SQLite database, delivers
Japanese messages by IMAP APPEND (ISO-2022-JP text, UTF-8 HTML with a link, UTF-8 with a
PDF whose name is RFC 2231), then times one mailbox's first fetch of all of them, a second
round with nothing new, and the first fetch again under a full メール無害化 policy (HTML →
text, links defanged, files held). Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path


def setup_django(directory: Path) -> None:
    os.environ["YUI_DATA_DIR"] = str(directory)
    os.environ["YUI_DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yui.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def messages(count: int) -> list[bytes]:
    from tests.mail.test_harmless import PHISHING_HTML, external
    from tests.mail.test_imap import iso2022jp_message, utf8_message_with_attachment

    kinds = [
        iso2022jp_message,
        utf8_message_with_attachment,
        lambda: external("HTMLのお知らせ", html=PHISHING_HTML),
    ]
    return [kinds[i % len(kinds)]() for i in range(count)]


def mailbox(code: str, slug: str) -> object:
    from subgraphs.core.principal import Principal
    from subgraphs.mail.actions import do_ensure_personal_mailbox
    from subgraphs.mail.directory import Staff
    from subgraphs.people import actions as people

    added = people.do_add_tenant(code, slug, slug)
    assert added.ok, added.errors
    tenant = added.obj
    person_id = uuid.uuid4()
    principal = Principal(tenant_id=tenant.id, person_id=person_id, via="bench")
    return do_ensure_personal_mailbox(principal, Staff(person_id, "bench", "計測"), slug)


def fetch_all(server: object, raws: list[bytes], harmless: bool) -> tuple[float, float]:
    from subgraphs.mail import imap
    from subgraphs.mail.models import MailSettings
    from tests.mail.imap_server import USERS

    # Two real municipality codes (a check digit is verified), one per round.
    box = mailbox(*(("406210", "kanda") if harmless else ("402125", "okawa")))
    if harmless:
        MailSettings.objects.filter(tenant_id=box.tenant_id).update(  # type: ignore[attr-defined]
            harmless_enabled=True, harmless_attachments=MailSettings.AttachmentPolicy.HOLD
        )
    user = "soumu" if not harmless else "kanda"
    for raw in raws:
        server.append(user, raw)  # type: ignore[attr-defined]
    values = imap.AccountValues(
        host=server.host,  # type: ignore[attr-defined]
        port=server.port,  # type: ignore[attr-defined]
        security="NONE",
        username=user,
        password=USERS[user],
        folder="INBOX",
        enabled=True,
    )
    account = imap.do_set_account(box.id, box.tenant_id, values).obj  # type: ignore[attr-defined]
    started = time.perf_counter()
    result = imap.sync_account(account.id)
    first = time.perf_counter() - started
    assert result.fetched == len(raws), result
    started = time.perf_counter()
    assert imap.sync_account(account.id).fetched == 0
    return first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yui-bench-imap-") as directory:
        setup_django(Path(directory))
        from django.conf import settings

        settings.FILE_STORAGE = {"backend": "local", "location": Path(directory) / "files"}
        from tests.mail.imap_server import start_dovecot

        servers = start_dovecot()
        server = next(servers)
        try:
            raws = messages(args.messages)
            size = sum(len(r) for r in raws)
            print(f"{len(raws)} messages ({size / 1024:.0f} KiB) through dovecot on 127.0.0.1")
            for harmless in (False, True):
                first, second = fetch_all(server, raws, harmless)
                label = "with メール無害化" if harmless else "without a policy"
                print(
                    f"  {label}: first fetch {first:.2f} s ({len(raws) / first:.0f} messages/s), "
                    f"a round with nothing new {second * 1000:.0f} ms"
                )
        finally:
            servers.close()


if __name__ == "__main__":
    main()
