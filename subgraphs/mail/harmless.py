"""メール無害化: mail from the internet rendered harmless before anyone on LGWAN reads it.

A municipality's policy (``MailSettings.harmless_*``) applies to EXTERNAL incoming mail only
(what the IMAP fetcher stores); mail between staff is never touched. When enabled:

- **HTML → text**: the HTML body is dropped from what recipients see; the text body (or, if
  the sender gave none, a text rendering of the HTML) is shown. The HTML as it arrived is
  kept in ``original_html_body`` for administrators.
- **Links defanged**: every URL in the text becomes plain, unclickable text
  (``https://www.example.jp/x`` → ``hxxps://www[.]example[.]jp/x``), so nobody opens a
  phishing page with one click; if the HTML is kept, its links are removed too.
- **Attachments**: PASS (as sent), HOLD (all held), or ALLOW_LISTED (the allowed types pass,
  the rest are held). A held file shows its name, size and type; a recipient may request
  its release and a tenant administrator releases or deletes it (attachments.py).

Whatever was done is said in words, one line each, in ``harmless_notice`` and at the top of
the text body, so every view of the message (a reply's quote included) shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nh3

from subgraphs.core import storage
from subgraphs.mail.actions import HTML_TAGS, html_to_text, sanitise_html
from subgraphs.mail.models import MailSettings

URL = re.compile(r"(?i)\b(https?|ftp)://([^\s/?#<>\"'　]+)([^\s<>\"'　]*)")
BARE_HOST = re.compile(r"(?i)\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+")
NOTICE_HEAD = "【メール無害化】"


def defang(text: str) -> str:
    """URLs as text nobody can click: the scheme's t → x, the host's dots → [.]."""

    def url(match: re.Match[str]) -> str:
        scheme = match.group(1).lower().replace("t", "x")
        return f"{scheme}://{match.group(2).replace('.', '[.]')}{match.group(3)}"

    defanged = URL.sub(url, text)
    # "www.example.jp" without a scheme is made a link by most mail readers too.
    return BARE_HOST.sub(lambda m: m.group(0).replace(".", "[.]"), defanged)


@dataclass(frozen=True)
class Policy:
    enabled: bool = False
    html_to_text: bool = True
    defang_links: bool = True
    attachments: str = MailSettings.AttachmentPolicy.HOLD
    allowed_types: frozenset[str] = frozenset()

    @classmethod
    def of(cls, settings: MailSettings | None) -> Policy:
        if settings is None:
            return cls()
        return cls(
            enabled=settings.harmless_enabled,
            html_to_text=settings.harmless_html_to_text,
            defang_links=settings.harmless_defang_links,
            attachments=settings.harmless_attachments,
            allowed_types=frozenset(settings.harmless_allowed_types or []),
        )

    def holds(self, name: str) -> bool:
        """Whether a file of this name is held for release."""
        if not self.enabled or self.attachments == MailSettings.AttachmentPolicy.PASS:
            return False
        if self.attachments == MailSettings.AttachmentPolicy.HOLD:
            return True
        return storage.extension_of(name) not in self.allowed_types


@dataclass
class Rendered:
    """A message's bodies as stored, and what was done to them."""

    text_body: str
    html_body: str
    original_html_body: str = ""
    notices: list[str] = field(default_factory=list)

    @property
    def notice(self) -> str:
        return "\n".join(self.notices)


def render(policy: Policy, text: str, html: str) -> Rendered:
    """The bodies of an external message under ``policy`` (sanitised HTML in any case)."""
    clean_html = sanitise_html(html)
    text = text.replace("\r\n", "\n")
    if not text.strip():  # HTML-only mail (a blank text part counts as none)
        text = html_to_text(clean_html) if clean_html else ""
    if not policy.enabled:
        return Rendered(text_body=text, html_body=clean_html)
    done = Rendered(text_body=text, html_body=clean_html)
    if html and policy.html_to_text:
        done.original_html_body, done.html_body = html, ""
        done.notices.append("HTML形式のメールをテキスト形式に変換しました。")
    if policy.defang_links:
        defanged = defang(done.text_body)
        linkless = nh3.clean(done.html_body, tags=HTML_TAGS - {"a"}) if done.html_body else ""
        if defanged != done.text_body or linkless != done.html_body:
            done.notices.append("本文中のリンクを無効化しました（クリックできない文字列です）。")
        done.text_body, done.html_body = defanged, defang(linkless)
    return done


def held_notice(names: list[str]) -> str:
    return (
        "添付ファイルを保留しました（管理者が解除するまで開けません）: " + "、".join(names)
        if names
        else ""
    )


def with_notice(rendered: Rendered, held: list[str]) -> Rendered:
    """Add the held files' line, and the notice at the top of the text body."""
    line = held_notice(held)
    if line:
        rendered.notices.append(line)
    if rendered.notices:
        head = "\n".join(f"{NOTICE_HEAD}{n}" for n in rendered.notices)
        rendered.text_body = f"{head}\n\n{rendered.text_body}"
    return rendered
