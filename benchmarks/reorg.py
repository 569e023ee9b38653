"""How long April 1st takes: ``python -m benchmarks.reorg [--rows 4410] [--moves 0.3]``.

A throwaway SQLite database (as ``benchmarks.csv_import``, whose generated files it uses):
a municipality of ~100 departments and ``--rows`` staff, then next year's files — three
係 merged into their neighbours, every 課 renamed in one 部, a new 課 with three 係, a share
``--moves`` of the staff transferred, 1% leaving and 1% joining. Times staging (the files
checked and previewed against the data, i.e. the three imports run and rolled back), a
second preview, and the apply on the day (one transaction, with the membership history and
what follows the merged departments). Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.csv_import import ORG_HEADER, encode, organization_csv, setup_django, staff_rows


def next_year(
    rows: list[list[str]], units: list[str], rng: random.Random, share: float
) -> tuple[bytes, bytes, int]:
    """Next year's organisation and staff files, and how many staff move."""
    org_file, _ = organization_csv()
    lines = org_file.decode("cp932").strip().split("\r\n")[1:]
    merged = {units[0]: units[1], units[3]: units[4], units[6]: units[7]}
    kept = []
    for line in lines:
        code, name, kana, parent, order = line.split(",")
        if code in merged:
            continue
        if code.startswith("02") and len(code) == 4:
            name = f"新{name}"  # every 課 of the second 部 renamed
        kept.append(",".join([code, name, kana, parent, order]))
    kept += ["0104,新設課,,01,4", "010401,新設係,,0104,1"]
    new_units = [u for u in units if u not in merged] + ["010401"]
    staff = []
    moved = 0
    for row in rows:
        row = list(row)
        if rng.random() < 0.01:
            continue  # leaves
        row[5] = ""  # 兼務 start afresh each year
        if row[4] in merged:
            row[4] = merged[row[4]]
            moved += 1
        elif rng.random() < share:
            row[4] = rng.choice([u for u in new_units if u != row[4]])
            moved += 1
        staff.append(row)
    extra = staff_rows(len(rows) // 100, new_units, rng)
    for n, row in enumerate(extra):
        row[0] = f"9{n:06d}"  # joins
    organizations = ("\r\n".join([ORG_HEADER, *kept]) + "\r\n").encode("cp932")
    return organizations, encode(staff + extra), moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4410)
    parser.add_argument("--moves", type=float, default=0.3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="yui-bench-") as tmp:
        setup_django(Path(tmp))
        from subgraphs.core.principal import Principal
        from subgraphs.people import reorg
        from subgraphs.people.csv_io import do_import_csv
        from subgraphs.people.models import MembershipHistory, Tenant

        rng = random.Random(401)  # noqa: S311 (test data, reproducible on purpose)
        org_file, units = organization_csv()
        rows = staff_rows(args.rows, units, rng)
        tenant = Tenant.objects.create(code="900001", slug="bench", name="ベンチ市")
        for kind, data in (("organizations", org_file), ("staff", encode(rows))):
            assert do_import_csv(tenant, kind, data).ok
        organizations, staff, moved = next_year(rows, units, rng, args.moves)
        admin = Principal(tenant_id=tenant.id, person_id=None, via="benchmark")
        day = reorg.today() + timedelta(days=1)

        start = time.perf_counter()
        outcome = reorg.do_stage(admin, day, reorg.CsvFile(organizations), reorg.CsvFile(staff))
        staged = time.perf_counter() - start
        assert outcome.ok and outcome.preview is not None, outcome.errors[:5]
        row = outcome.reorganisation
        assert row is not None

        start = time.perf_counter()
        preview = reorg.preview(row)
        previewed = time.perf_counter() - start

        later = reorg.now() + timedelta(days=1)
        reorg.now = lambda: later  # the benchmark's clock: the day has come
        start = time.perf_counter()
        [done] = reorg.apply_due()
        applied = time.perf_counter() - start
        assert done.state == "applied", done.result

        print(
            f"{args.rows} staff: {len(preview.moves)} transfers ({moved} planned), "
            f"{len(preview.joined)} joining, {len(preview.left)} leaving; departments "
            f"{len(preview.added)} added, {len(preview.renamed)} renamed, "
            f"{len(preview.merged)} merged, {len(preview.closed)} closed"
        )
        print(f"{'stage (check + preview)':<28} {staged:6.2f} s")
        print(f"{'preview again':<28} {previewed:6.2f} s")
        print(f"{'apply on the day':<28} {applied:6.2f} s (one transaction)")
        print(f"history rows written: {MembershipHistory.objects.count()}")


if __name__ == "__main__":
    main()
