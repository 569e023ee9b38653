"""How long a staff CSV import takes: ``python -m benchmarks.csv_import [--rows 4000]``.

Runs against a throwaway SQLite database in a temporary directory (nothing of the real
data directory is touched): a tenant with a generated department tree (~100 departments),
then a generated CP932 staff file as Japanese Excel writes it. Times the first import (every
row added) and a re-import in which about a tenth of the rows changed. Prints figures; it is
not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

SURNAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("髙橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
    ("山﨑", "ヤマサキ"), ("德永", "トクナガ"), ("濵田", "ハマダ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("清水", "シミズ"),
]  # fmt: skip
GIVEN_NAMES = [
    ("聡太郎", "ソウタロウ", "sotaro"), ("和也", "カズヤ", "kazuya"),
    ("くみ子", "クミコ", "kumiko"), ("千代", "チヨ", "chiyo"), ("香織", "カオリ", "kaori"),
    ("健一", "ケンイチ", "kenichi"), ("京助", "キョウスケ", "kyosuke"), ("陽子", "ヨウコ", "yoko"),
    ("拓真", "タクマ", "takuma"), ("七夏", "ナナミ", "nanami"), ("裕樹", "ユウキ", "yuki"),
]  # fmt: skip
TITLES = [("部長", "100"), ("課長", "200"), ("係長", "300"), ("主査", "400"), ("主任主事", "500"),
          ("主事", "600"), ("会計年度任用職員", "900")]  # fmt: skip
DEPARTMENTS = ["総務", "企画", "市民", "福祉", "健康", "建設", "産業", "教育"]
SECTIONS = ["総務", "管理", "事業"]
UNITS = ["庶務", "企画", "事業"]
ORG_HEADER = "組織コード,組織名,組織名カナ,上位組織コード,表示順"
STAFF_HEADER = (
    "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,"
    "役職,役職コード,内線番号,表示順"
)


def setup_django(directory: Path) -> None:
    os.environ["YUI_DATA_DIR"] = str(directory)
    os.environ["YUI_DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yui.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def organization_csv() -> tuple[bytes, list[str]]:
    """8 部 × 3 課 × 3 係 = 104 departments; returns the file and the codes of the 係."""
    lines, units = [ORG_HEADER], []
    for d, dept in enumerate(DEPARTMENTS, 1):
        lines.append(f"{d:02d},{dept}部,,,{d}")
        for s, section in enumerate(SECTIONS, 1):
            lines.append(f"{d:02d}{s:02d},{dept}{section}課,,{d:02d},{s}")
            for u, unit in enumerate(UNITS, 1):
                code = f"{d:02d}{s:02d}{u:02d}"
                lines.append(f"{code},{unit}係,,{d:02d}{s:02d},{u}")
                units.append(code)
    return ("\r\n".join(lines) + "\r\n").encode("cp932"), units


def staff_rows(count: int, units: list[str], rng: random.Random) -> list[list[str]]:
    rows = []
    for i in range(count):
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana, romaji = rng.choice(GIVEN_NAMES)
        reading = f"{surname_kana} {given_kana}"
        if rng.random() < 0.3:  # readings typed in half-width kana
            reading = reading.translate(HALF_WIDTH)
        title, title_code = rng.choice(TITLES)
        department = rng.choice(units)
        additional = ""
        if rng.random() < 0.1:
            others = rng.sample([u for u in units if u != department], rng.randint(1, 2))
            additional = ";".join(others)
        rows.append(
            [
                f"{i + 1:07d}",
                f"{surname} {given}",
                reading,
                f"{romaji}.{i}@city.example.lg.jp",
                department,
                additional,
                title,
                title_code,
                f"{rng.randint(1000, 9999)}",
                str(i + 1),
            ]
        )
    return rows


# No stdlib function folds full-width kana to half-width; a table does for these readings.
HALF_WIDTH = str.maketrans(
    {
        "ア": "ｱ", "イ": "ｲ", "ウ": "ｳ", "エ": "ｴ", "オ": "ｵ", "カ": "ｶ", "キ": "ｷ",
        "ク": "ｸ", "ケ": "ｹ", "コ": "ｺ", "サ": "ｻ", "シ": "ｼ", "ス": "ｽ", "セ": "ｾ",
        "ソ": "ｿ", "タ": "ﾀ", "チ": "ﾁ", "ツ": "ﾂ", "テ": "ﾃ", "ト": "ﾄ", "ナ": "ﾅ",
        "ニ": "ﾆ", "ヌ": "ﾇ", "ネ": "ﾈ", "ノ": "ﾉ", "ハ": "ﾊ", "ヒ": "ﾋ", "フ": "ﾌ",
        "ヘ": "ﾍ", "ホ": "ﾎ", "マ": "ﾏ", "ミ": "ﾐ", "ム": "ﾑ", "メ": "ﾒ", "モ": "ﾓ",
        "ヤ": "ﾔ", "ユ": "ﾕ", "ヨ": "ﾖ", "ラ": "ﾗ", "リ": "ﾘ", "ル": "ﾙ", "レ": "ﾚ",
        "ロ": "ﾛ", "ワ": "ﾜ", "ン": "ﾝ", "ャ": "ｬ", "ュ": "ｭ", "ョ": "ｮ", "ッ": "ｯ",
        "ガ": "ｶﾞ", "ギ": "ｷﾞ", "グ": "ｸﾞ", "ゲ": "ｹﾞ", "ゴ": "ｺﾞ", "ザ": "ｻﾞ",
        "ジ": "ｼﾞ", "ズ": "ｽﾞ", "ゼ": "ｾﾞ", "ゾ": "ｿﾞ", "ダ": "ﾀﾞ", "デ": "ﾃﾞ",
        "ド": "ﾄﾞ", "バ": "ﾊﾞ", "ビ": "ﾋﾞ", "ブ": "ﾌﾞ", "ベ": "ﾍﾞ", "ボ": "ﾎﾞ",
        "ー": "ｰ", " ": " ",
    }
)  # fmt: skip


def encode(rows: list[list[str]]) -> bytes:
    lines = [STAFF_HEADER, *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def changed_copy(
    rows: list[list[str]], units: list[str], rng: random.Random, share: float
) -> list[list[str]]:
    """A copy in which ``share`` of the rows differ: half a new extension, half a move."""
    copy = [list(row) for row in rows]
    for n, row in enumerate(rng.sample(copy, int(len(copy) * share))):
        if n % 2:
            row[8] = f"{int(row[8]) % 9000 + 1001}"
        else:
            row[4] = rng.choice([u for u in units if u != row[4]])
            row[5] = ";".join(c for c in row[5].split(";") if c and c != row[4])
    return copy


def timed(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yui-bench-") as tmp:
        setup_django(Path(tmp))
        from subgraphs.people.csv_io import do_import_csv
        from subgraphs.people.models import Tenant

        rng = random.Random(4400)  # noqa: S311 (test data, reproducible on purpose)
        org_file, units = organization_csv()
        rows = staff_rows(args.rows, units, rng)
        original = encode(rows)
        changed = encode(changed_copy(rows, units, rng, 0.1))
        print(f"staff file: {args.rows} rows, {len(original) / 1024:.0f} KiB, cp932")

        def check(report: object) -> None:
            assert report.ok, report.errors[:5]  # type: ignore[attr-defined]

        first: list[float] = []
        tenants = []
        for i in range(args.repeat):
            tenant = Tenant.objects.create(code=f"{900001 + i}", slug=f"bench{i}", name="ベンチ市")
            check(do_import_csv(tenant, "organizations", org_file))
            first.append(timed(lambda t=tenant: check(do_import_csv(t, "staff", original))))
            tenants.append(tenant)
        tenant = tenants[0]

        again: list[float] = []
        files = [changed, original]
        for i in range(args.repeat):
            data = files[i % 2]  # each run changes a tenth of the rows back or forth
            again.append(timed(lambda d=data: check(do_import_csv(tenant, "staff", d))))
        current = files[(args.repeat - 1) % 2]
        unchanged = timed(lambda: check(do_import_csv(tenant, "staff", current)))
        other = files[args.repeat % 2]
        plan = do_import_csv(tenant, "staff", other, dry_run=True)

        def line(label: str, seconds: float) -> None:
            rate = args.rows / seconds
            print(f"{label:<44} {args.rows:>6} rows {seconds:6.2f} s {rate:8.0f} rows/s")

        line(f"first import (median of {args.repeat})", statistics.median(first))
        line(f"re-import, ~10% changed (median of {args.repeat})", statistics.median(again))
        line("re-import, nothing changed", unchanged)
        print(f"(each re-import updated {len(plan.updated)} rows, {plan.unchanged} unchanged)")


if __name__ == "__main__":
    main()
