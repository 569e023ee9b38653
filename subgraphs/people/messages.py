"""The people subgraph's own messages (sign-in, CSV import) in Japanese; English is the
text written at each call (see ``subgraphs.core.i18n`` for why dictionaries, not gettext).

``t("Unknown department code {code}.", code=code)`` says the message in the request's
language. Keep every English text here with its Japanese and the same ``{placeholders}``:
tests/people/test_messages.py checks that each one said in the code has its translation.
"""

from __future__ import annotations

from subgraphs.core.i18n import Language, translate

JA: dict[str, str] = {
    # --- sign-in (POST /auth/login, /auth/logout) ---
    "Sign in with POST (JSON or the sign-in form).": (
        "サインインは POST（JSON またはサインインのフォーム）で送ってください。"
    ),
    "Send the sign-in as application/json (or as the sign-in form).": (
        "サインインは application/json（またはサインインのフォーム）で送ってください。"
    ),
    "A sign-in is at most {limit} bytes.": "サインインの内容は {limit} バイトまでです。",
    "The body is not a JSON object.": "送られた内容が JSON のオブジェクトではありません。",
    "Many people are signing in right now. Try again in a few seconds.": (
        "ただいまサインインが集中しています。数秒後にもう一度お試しください。"
    ),
    "The form expired; reload the page.": (
        "フォームの有効期限が切れました。ページを再読み込みしてください。"
    ),
    "Enter the municipality, login ID and password.": (
        "自治体、ログインID、パスワードを入力してください。"
    ),
    "Too many failed sign-ins. Try again in {seconds} seconds.": (
        "サインインの失敗が続いたため、一時的にロックしています。"
        "{seconds} 秒後にもう一度お試しください。"
    ),
    "The municipality, login ID or password is wrong.": (
        "自治体、ログインID、またはパスワードが正しくありません。"
    ),
    "Sign out with POST.": "サインアウトは POST で送ってください。",
    "Ask with GET.": "GET で問い合わせてください。",
    # --- CSV import ---
    "The file cannot be read as {label} (byte {bad}); save it as CSV again or name its encoding.": (
        "ファイルを {label} として読めません（バイト {bad}）。"
        "CSV として保存し直すか、文字コードを指定してください。"
    ),
    "Unknown encoding {encoding}; use cp932, utf-8-sig, utf-8 or utf-16.": (
        "文字コード {encoding} は使えません。cp932、utf-8-sig、utf-8、utf-16 のいずれかを"
        "指定してください。"
    ),
    "The file is empty.": "ファイルが空です。",
    "Unreadable file.": "ファイルを読めません。",
    "Column {column} appears twice.": "列 {column} が2回あります。",
    "Unknown columns: {unknown}. Expected columns: {expected}.": (
        "使えない列があります: {unknown}。使える列: {expected}。"
    ),
    "Missing required columns: {missing}.": "必須の列がありません: {missing}。",
    "Expected {width} columns as in the header, found {found}.": (
        "見出し行と同じ {width} 列のはずが、{found} 列あります。"
    ),
    "Malformed CSV: {error}.": "CSV の形式が正しくありません（{error}）。",
    "Longer than {limit} characters ({length}).": "{limit} 文字を超えています（{length} 文字）。",
    "Holds the control character U+{codepoint}.": "制御文字 U+{codepoint} が含まれています。",
    "A value is required.": "値を入力してください。",
    "Not a whole number: {value}.": "整数ではありません: {value}。",
    "Out of range: {value}.": "範囲外の値です: {value}。",
    "Code {code} is also on line {line}.": "組織コード {code} は {line} 行目にもあります。",
    "Unknown parent department code {parent}: it is neither in this file nor a department "
    "of the tenant.": (
        "上位組織コード {parent} は、このファイルにも登録済みの組織にもありません。"
    ),
    "Parent department {parent} is not in this file, so it would be deactivated with the "
    "departments below it still active.": (
        "上位組織 {parent} がこのファイルにないため無効になりますが、"
        "その下の組織は有効のまま残ってしまいます。"
    ),
    "Department {parent_code} {parent_name} is missing from the file and would be "
    "deactivated, but {code} {name} below it was not made by an import and stays active; "
    "move or deactivate it first.": (
        "組織 {parent_code} {parent_name} はファイルにないため無効になりますが、その下の "
        "{code} {name} は取り込みで作られたものではなく有効のまま残ります。"
        "先に移動するか無効にしてください。"
    ),
    "The parent codes form a cycle: {cycle}.": "上位組織コードが循環しています: {cycle}。",
    "Department {code} {name} is missing from the file and would be deactivated, but "
    "{count} active staff still belong to it (as main or additional department); move them "
    "with a staff import first.": (
        "組織 {code} {name} はファイルにないため無効になりますが、まだ {count} 人の職員が"
        "（所属または兼務で）属しています。先に職員の取り込みで異動させてください。"
    ),
    "Unknown department code {code}.": "組織コード {code} は登録されていません。",
    "Department {code} is inactive.": "組織 {code} は無効になっています。",
    "Not an e-mail address: {email}.": "メールアドレスではありません: {email}。",
    "Login ID {login_id} is also on line {line}.": (
        "ログインID {login_id} は {line} 行目にもあります。"
    ),
    "The file has no rows; refusing to deactivate everything.": (
        "ファイルに行がありません。すべてを無効にすることになるため取り込みません。"
    ),
    "The file does not list {login_id}, your own account: importing it with deactivation "
    "would lock you out.": (
        "ファイルにあなた自身のアカウント {login_id} がありません。"
        "無効化ありで取り込むと、あなたがサインインできなくなります。"
    ),
    "Send a file or text.": "ファイルかテキストを送ってください。",
    "Send one of a file, text or contentBase64.": (
        "ファイル、テキスト、contentBase64 のどれか一つを送ってください。"
    ),
    # --- staged reorganisations (人事異動) ---
    "The effective date must be after today (it applies from 00:00 that day).": (
        "実施日は明日以降にしてください（その日の 0 時に実施します）。"
    ),
    "Another reorganisation is already scheduled: edit or withdraw it first.": (
        "予定済みの人事異動がほかにあります。先にそちらを修正するか取り下げてください。"
    ),
    "No such reorganisation in your municipality.": "その人事異動はありません。",
    "This reorganisation was applied or withdrawn.": ("この人事異動は実施済みか取り下げ済みです。"),
}

CATALOGUES: dict[Language, dict[str, str]] = {"ja": JA}


def t(english: str, **values: object) -> str:
    """``english`` in the current request's language, ``{placeholders}`` filled in."""
    return translate(CATALOGUES, english, **values)
