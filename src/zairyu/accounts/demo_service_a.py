"""Demo data for service A self-registration (ID-3, ID-4): fictional filing-agent certificates.

Idempotent; ``manage.py setup_demo`` calls it and prints what a person types to try it. The
demo My Number card certificates come from ``manage.py issue_demo_certificates``.
"""

import datetime as dt

from zairyu.core import clock

from . import service_a
from .models import FilingAgentCertificate, FilingAgentKind

# number, kind, name, birth date, office, address, days of validity from today (< 0: expired)
DEMO_FILING_AGENTS = (
    (
        "301234567890",
        FilingAgentKind.GYOSEISHOSHI,
        "行政　一郎",
        dt.date(1975, 6, 1),
        "霞が関行政書士事務所（デモ）",
        "東京都千代田区霞が関一丁目１番１号",
        730,
    ),
    (
        "402345678901",
        FilingAgentKind.LAWYER,
        "弁護　花子",
        dt.date(1982, 3, 14),
        "大手前法律事務所（デモ）",
        "大阪府大阪市中央区大手前四丁目１番６７号",
        400,
    ),
    (
        "309876543210",
        FilingAgentKind.GYOSEISHOSHI,
        "期限　切子",
        dt.date(1968, 12, 24),
        "名古屋行政書士事務所（デモ）",
        "愛知県名古屋市中区三の丸四丁目３番１号",
        -10,
    ),
)


def load_demo_filing_agents() -> int:
    """Create the demo filing-agent certificates that are missing; keep the valid ones valid."""
    today = clock.today()
    created = 0
    for number, kind, name, birth, office, address, days in DEMO_FILING_AGENTS:
        valid_until = today + dt.timedelta(days=days)
        agent = FilingAgentCertificate.objects.filter(number=number).first()
        if agent is None:
            FilingAgentCertificate.objects.create(
                number=number,
                kind=kind,
                holder_name=name,
                holder_birth_date=birth,
                office_name=office,
                office_address=address,
                valid_until=valid_until,
            )
            created += 1
        elif days > 0 and agent.valid_until < today + dt.timedelta(days=30):
            service_a.filing_agent_certificate_renew(
                certificate=agent, valid_until=valid_until, actor=None
            )
    return created


def demo_filing_agent_lines() -> list[str]:
    """What to type on the lawyer registration page, one line per demo certificate."""
    lines = []
    for number, kind, name, birth, _office, _address, days in DEMO_FILING_AGENTS:
        state = "valid" if days > 0 else "expired (refused)"
        lines.append(
            f"  number {number}, name {name}, date of birth {birth:%Y-%m-%d} "
            f"({FilingAgentKind(kind).label}; {state})"
        )
    return lines
