"""Check bench_encryption.py's child and figure handling on a tiny registry (no timing asserted).

``pytest bench/test_encryption.py``: the child's measurements run in-process against the test
database (50 generated cards, 5 faces, a 20-row job after a warm-up job), and the parent's
summary is checked on made-up figures.
"""

import io

import bench_encryption
import generate_cards
import pytest
from django.core.management import call_command

from zairyu.core import clock


def test_summary_prints_medians_and_per_round_ratios():
    rounds = [
        {"before": {"bulk_300_cpu": b}, "after": {"bulk_300_cpu": a}}
        for b, a in [(100.0, 110.0), (200.0, 180.0), (300.0, 360.0)]
    ]
    figures = {name: value for name, value, _unit, _digits in bench_encryption.summarise(rounds)}
    assert figures["bulk_300_cpu_before"] == 200.0
    assert figures["bulk_300_cpu_after"] == 180.0
    assert figures["bulk_300_cpu_ratio"] == pytest.approx(1.1)  # median of 1.1, 0.9, 1.2
    assert figures["bulk_300_cpu_ratio_rounds"] == "1.10,0.90,1.20"
    assert "card_match_hit_cpu_before" not in figures  # not measured: not printed


@pytest.mark.django_db
def test_child_measures_card_match_and_one_bulk_job(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "cards.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        generate_cards.write_cards_csv(
            handle, 50, codes=generate_cards.reference_codes(), today=clock.today()
        )
    call_command("import_cards", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    bench_encryption.child_measure(matches=5, jobs=1, seed=1, out=out, bulk_rows=20)
    figures, infos = bench_encryption.parse_child_output(out.getvalue())
    assert set(bench_encryption.CHILD_FIGURES) <= figures.keys()
    assert figures["card_match_faces"] == 5
    assert infos["zairyu"].endswith("zairyu")
    assert infos["stored_number"] == "ciphertext"  # SEC-3: the column holds no plain number
