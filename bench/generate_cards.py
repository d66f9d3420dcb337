"""Write a CSV of N fictional residence cards for ``manage.py import_cards`` (deterministic).

The same seed, row count, reference codes and "today" give byte-identical files. About one row
in a hundred is an older card of the previous row's person (a renewal), so the importer's
superseding path is exercised. Every name, number and address is made up.

Usage (reads the reference codes from the database the settings point at)::

    DJANGO_SETTINGS_MODULE=zairyu.settings.bench DATABASE_URL=... \\
        .venv/bin/python bench/generate_cards.py --rows 1000000 --out var/bench/cards.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parent.parent

HEADER = [
    "number",
    "person_ref",
    "roman_name",
    "kanji_name",
    "nationality",
    "birth_date",
    "sex",
    "prefecture",
    "municipality",
    "street",
    "status",
    "period_of_stay",
    "stay_until",
    "card_valid_until",
    "issued_on",
    "abroad_on_reentry",
    "abroad_since",
    "last_moving_in_on",
    "representative_name",
    "representative_relationship",
]

# Rough shares of the resident population by nationality and status (fictional weights).
NATIONALITIES = [
    ("CHN", 24),
    ("VNM", 20),
    ("KOR", 12),
    ("PHL", 9),
    ("BRA", 6),
    ("NPL", 6),
    ("IDN", 5),
    ("MMR", 3),
    ("TWN", 2),
    ("USA", 2),
    ("IND", 1),
    ("LKA", 1),
]
STATUSES = [
    ("permanent_resident", 28, ""),
    ("engineer_humanities_international", 12, "P5Y"),
    ("student", 10, "P1Y3M"),
    ("ssw_1", 17, "P1Y"),
    ("spouse_of_japanese", 5, "P3Y"),
    ("long_term_resident", 6, "P3Y"),
    ("dependent", 6, "P2Y"),
    ("spouse_of_permanent_resident", 1, "P1Y"),
    ("skilled_labor", 1, "P3Y"),
    ("business_manager", 1, "P1Y"),
    ("nursing_care", 1, "P5Y"),
    ("designated_activities", 2, "P6M"),
    ("hsp_1b", 1, "P5Y"),
]
SYLLABLES = [
    "A",
    "I",
    "U",
    "E",
    "O",
    "KA",
    "KI",
    "KU",
    "KE",
    "KO",
    "SA",
    "SHI",
    "SU",
    "SE",
    "SO",
    "TA",
    "CHI",
    "TSU",
    "TE",
    "TO",
    "NA",
    "NI",
    "NU",
    "NE",
    "NO",
    "HA",
    "HI",
    "FU",
    "HE",
    "HO",
    "MA",
    "MI",
    "MU",
    "ME",
    "MO",
    "YA",
    "YU",
    "YO",
    "RA",
    "RI",
    "RU",
    "RE",
    "RO",
    "WA",
    "N",
]
FAMILY = [
    "NGUYEN",
    "TRAN",
    "LE",
    "PHAM",
    "WANG",
    "LI",
    "ZHANG",
    "LIU",
    "CHEN",
    "KIM",
    "LEE",
    "PARK",
    "SANTOS",
    "REYES",
    "CRUZ",
    "SILVA",
    "SOUZA",
    "GURUNG",
    "TAMANG",
    "SHRESTHA",
]
TOWNS = [
    "本町",
    "中央",
    "栄町",
    "緑町",
    "東町",
    "西町",
    "南町",
    "北町",
    "新町",
    "旭町",
    "幸町",
    "桜木町",
]
FW_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Codes:
    """Reference codes the generated rows use: statuses and (municipality, prefecture) pairs."""

    statuses: Sequence[str]
    municipalities: Sequence[tuple[str, str]]
    nationalities: Sequence[str]


def reference_codes() -> Codes:
    """Read the codes from the database Django is set up for, in a stable order."""
    from zairyu.reference.models import Municipality, Nationality, Status

    return Codes(
        statuses=sorted(Status.objects.filter(card_issued=True).values_list("code", flat=True)),
        municipalities=sorted(Municipality.objects.values_list("code", "prefecture_id")),
        nationalities=sorted(Nationality.objects.values_list("code", flat=True)),
    )


def _given_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def _fw(number: int) -> str:
    return str(number).translate(FW_DIGITS)


def write_cards_csv(
    handle: TextIO, rows: int, *, codes: Codes, today: dt.date, seed: int = 1, bom: bool = False
) -> None:
    """Write the header and ``rows`` cards to ``handle`` (opened with newline="")."""
    rng = random.Random(seed)
    nationalities = [n for n, _ in NATIONALITIES if n in codes.nationalities] or list(
        codes.nationalities[:5]
    )
    nat_weights = [w for n, w in NATIONALITIES if n in nationalities] or None
    statuses = [s for s in STATUSES if s[0] in codes.statuses]
    status_weights = [w for _, w, _ in statuses]
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    prefix = rng.choice(letters) + rng.choice(letters)
    if bom:
        handle.write("\ufeff")
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(HEADER)
    previous_ref = None
    identity: tuple = ()
    for i in range(rows):
        renewal_of_previous = previous_ref is not None and i % 100 == 99
        person_ref = previous_ref if renewal_of_previous else f"G{seed}-{i:09d}"
        status, _, period = statuses[rng.choices(range(len(statuses)), status_weights)[0]]
        if renewal_of_previous:
            # An older card of the same person: issued years ago, so it is superseded.
            issued = today - dt.timedelta(days=rng.randint(1200, 2400))
            stay_until = issued + dt.timedelta(days=365)
        else:
            issued = today - dt.timedelta(days=rng.randint(1, 1500))
            stay_until = today + dt.timedelta(days=rng.randint(1, 1800))
        card_valid_until = stay_until if period else issued + dt.timedelta(days=7 * 365)
        if card_valid_until < issued:
            card_valid_until = issued
        if not renewal_of_previous:
            identity = (
                f"{rng.choice(FAMILY)} {_given_name(rng)}",
                rng.choices(nationalities, nat_weights)[0],
                (today - dt.timedelta(days=rng.randint(18 * 365, 70 * 365))).isoformat(),
                rng.choice("MF"),
            )
        name, nationality, birth, sex = identity
        municipality, prefecture = codes.municipalities[rng.randrange(len(codes.municipalities))]
        abroad = rng.random() < 0.02
        moved = rng.random() < 0.3
        writer.writerow(
            [
                f"{prefix}{i:08d}{letters[i % 23]}{letters[(i // 23) % 23]}",
                person_ref,
                name,
                "",
                nationality,
                birth,
                sex,
                prefecture,
                municipality,
                f"{rng.choice(TOWNS)}{_fw(rng.randint(1, 9))}−{_fw(rng.randint(1, 30))}"
                f"−{_fw(rng.randint(1, 20))}",
                status,
                period,
                stay_until.isoformat() if period else "",
                card_valid_until.isoformat(),
                issued.isoformat(),
                "1" if abroad else "0",
                (today - dt.timedelta(days=rng.randint(1, 200))).isoformat() if abroad else "",
                (issued + dt.timedelta(days=rng.randint(0, 20))).isoformat()
                if moved and issued + dt.timedelta(days=20) <= today
                else "",
                "",
                "",
            ]
        )
        previous_ref = person_ref


def main(argv: list[str] | None = None) -> int:
    """Set Django up (for the reference codes) and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, help="default: today in Japan")
    parser.add_argument("--bom", action="store_true", help="start the file with a UTF-8 BOM")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zairyu.settings.bench")
    import django

    django.setup()
    from zairyu.core import clock

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        write_cards_csv(
            handle,
            args.rows,
            codes=reference_codes(),
            today=args.today or clock.today(),
            seed=args.seed,
            bom=args.bom,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
