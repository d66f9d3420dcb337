"""The rows of the national-volume registry (issue 17), as PostgreSQL ``COPY`` text.

Used by ``generate_national.py`` (which plans the sizes, loads the chunks in parallel and builds
the indexes) and by ``tests/backoffice/test_search_plans.py`` (a small registry in the test
database). Every value is a pure function of the plan and of the row's id, so a chunk can be
built by any process in any order and two runs with the same plan write the same rows (but for
the ciphertexts, whose nonces are random).

**Encrypted columns** (card numbers, birth dates, filing and application content) go through
the model field's own ``get_db_prep_value`` (``zairyu.core.encrypted``: AES-GCM under the
current key, the column's label as associated data), and blind indexes through the
``BlindIndexField``'s ``index_of``: the rows read back through the models like rows the
application wrote. Digests come from ``filings.rules.content_digest``.

**Identities.** Cards come in blocks of 25: the 25th card of a block is an older, invalidated
card of the person who holds the 24th (a renewal), so each person holds exactly one valid card
(``current_card``). Two persons in five have a resident account (``resident_user``). Every
organization has an organization account; a few large organizations file a large share of
the organizations' notifications (``organization_for``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_cards  # noqa: E402  (names, nationalities and statuses of the 1M-card file)

M64 = (1 << 64) - 1
BLOCK = 25  # cards per block; the last one is the older card of the block's 24th person
TOKYO = dt.timezone(dt.timedelta(hours=9), "JST")
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

# Where foreign residents live (rough shares of the resident population by prefecture code;
# the other prefectures weigh 1).
PREFECTURE_WEIGHTS = {
    "13": 22,
    "23": 11,
    "27": 11,
    "14": 10,
    "11": 8,
    "12": 7,
    "28": 5,
    "22": 4,
    "40": 4,
    "08": 3,
    "26": 3,
    "21": 2,
    "09": 2,
    "10": 2,
    "24": 2,
    "20": 2,
    "34": 2,
    "01": 2,
}
ORG_KINDS = [
    ("company", 50),
    ("ssw_employer", 16),
    ("support_organization", 5),
    ("language_school", 4),
    ("university", 2),
    ("law_office", 5),
    ("public_interest", 2),
    ("other", 16),
]
ORG_WORDS = [
    ("さくら", "SAKURA"),
    ("あおば", "AOBA"),
    ("ひかり", "HIKARI"),
    ("みらい", "MIRAI"),
    ("東洋", "TOYO"),
    ("日本", "NIPPON"),
    ("中央", "CHUO"),
    ("大和", "YAMATO"),
    ("富士", "FUJI"),
    ("協和", "KYOWA"),
    ("北斗", "HOKUTO"),
    ("太平洋", "TAIHEIYO"),
    ("明和", "MEIWA"),
    ("共栄", "KYOEI"),
    ("三和", "SANWA"),
    ("丸山", "MARUYAMA"),
    ("高橋", "TAKAHASHI"),
    ("山田", "YAMADA"),
    ("朝日", "ASAHI"),
    ("若葉", "WAKABA"),
    ("緑川", "MIDORIKAWA"),
    ("青山", "AOYAMA"),
    ("石川", "ISHIKAWA"),
    ("日進", "NISSHIN"),
    ("新栄", "SHINEI"),
    ("光和", "KOWA"),
    ("大成", "TAISEI"),
    ("昭栄", "SHOEI"),
    ("東邦", "TOHO"),
    ("西海", "SAIKAI"),
]
ORG_TRADES = [
    ("工業", "INDUSTRIES"),
    ("製作所", "WORKS"),
    ("商事", "TRADING"),
    ("建設", "CONSTRUCTION"),
    ("食品", "FOODS"),
    ("物流", "LOGISTICS"),
    ("農園", "FARM"),
    ("水産", "FISHERIES"),
    ("介護サービス", "CARE SERVICES"),
    ("システムズ", "SYSTEMS"),
    ("電機", "ELECTRIC"),
    ("精工", "SEIKO"),
    ("化学", "CHEMICAL"),
    ("運輸", "TRANSPORT"),
    ("ホテル", "HOTEL"),
    ("縫製", "SEWING"),
    ("自動車", "MOTORS"),
    ("技研", "GIKEN"),
]
ORG_FORMS = {
    "company": ("株式会社{w}{t}", "{W} {T} CO., LTD."),
    "ssw_employer": ("株式会社{w}{t}", "{W} {T} CO., LTD."),
    "support_organization": ("一般社団法人{w}外国人支援協会", "{W} FOREIGN RESIDENT SUPPORT"),
    "language_school": ("{w}日本語学院", "{W} JAPANESE LANGUAGE SCHOOL"),
    "university": ("{w}大学", "{W} UNIVERSITY"),
    "law_office": ("{w}行政書士事務所", "{W} GYOSEISHOSHI OFFICE"),
    "public_interest": ("公益財団法人{w}国際交流協会", "{W} INTERNATIONAL ASSOCIATION"),
    "other": ("{w}{t}協同組合", "{W} {T} COOPERATIVE"),
}
SERVICE_O_FILER = {
    "ssw_employer": "ssw_organization",
    "support_organization": "rso",
    "language_school": "jli",
}
SCHOOL_KINDS = frozenset({"language_school", "university"})
MAIL_DOMAINS = ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "outlook.jp", "icloud.com"]
LANGUAGES = ["ja", "ja", "en", "vi", "zh-hans", "ko", "pt", "tl", "es"]
# Share of the 19-16 events among residents' own filings (the others weigh 1).
RESIDENT_EVENT_WEIGHTS = {
    "con_contract_end": 30,
    "con_new_contract": 30,
    "act_transfer": 12,
    "act_leaving": 10,
    "act_address_change": 4,
    "con_address_change": 4,
}
PROXY_EVENTS = ("act_name_change", "act_address_change", "con_name_change", "con_address_change")


# --- Determinism ---------------------------------------------------------------------------


def mix(x: int) -> int:
    """splitmix64: 64 well-mixed bits of ``x`` (the source of every per-row choice)."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def weighted_table(pairs: Sequence[tuple[object, int]], size: int = 1000) -> tuple:
    """A lookup table of ``size`` entries in which each value appears in proportion to its
    weight: ``table[h % size]`` is a weighted choice."""
    total = sum(w for _, w in pairs)
    table: list = []
    for value, weight in pairs:
        table += [value] * max(1, round(weight * size / total))
    return tuple(table)


# The ten largest filing organizations (ids 1-10) and their weights among them.
LARGE_ORGANIZATIONS = weighted_table(
    [(1, 10), (2, 8), (3, 6), (4, 5), (5, 4), (6, 3), (7, 3), (8, 2), (9, 2), (10, 2)], 45
)


def coprime_stride(n: int, start: int = 2_654_435_761) -> int:
    """A stride coprime with ``n``: ``(i * stride) % n`` visits each residue once."""
    stride = start
    while math.gcd(stride, max(n, 1)) != 1:
        stride += 2
    return stride


# --- The plan and the reference data -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    """How many rows of each kind, and the days they span (``years`` up to ``today``)."""

    cards: int
    filings: int
    ofilings: int
    applications: int
    seed: int = 1
    today: dt.date = dt.date(2026, 12, 1)
    years: float = 3.0

    @classmethod
    def sized(
        cls,
        cards: int,
        filings: int,
        *,
        ofilings: int | None = None,
        applications: int | None = None,
        **kwargs,
    ) -> Plan:
        """Service O filings default to a tenth of the filings, applications to a quarter of
        the cards."""
        return cls(
            cards=cards,
            filings=filings,
            ofilings=filings // 10 if ofilings is None else ofilings,
            applications=cards // 4 if applications is None else applications,
            **kwargs,
        )

    @property
    def persons(self) -> int:
        blocks, rest = divmod(self.cards, BLOCK)
        return blocks * (BLOCK - 1) + min(rest, BLOCK - 1)

    @property
    def organizations(self) -> int:
        return max(40, self.cards // 80)

    @property
    def service_a_users(self) -> int:
        """A multiple of ten (``national_tables.service_a_category`` goes by the last digit)."""
        return max(20, self.applications // 8) // 10 * 10

    # User ids: residents first (gaps allowed), then organizations, then service A users.
    @property
    def org_user_base(self) -> int:
        return 2 * (self.persons // 5) + 10

    @property
    def service_a_user_base(self) -> int:
        return self.org_user_base + self.organizations + 10

    @property
    def span_seconds(self) -> int:
        return int(self.years * 365 * 86400)

    @property
    def end(self) -> dt.datetime:
        """The newest row's time: noon of ``today`` in Japan."""
        return dt.datetime.combine(self.today, dt.time(12), TOKYO)

    def moment(self, position: float, jitter: int = 0) -> dt.datetime:
        """The time of a row at ``position`` (0: oldest, 1: newest) of a table filled over the
        span, denser recently (online filing grows: the last weeks hold ~1.4× the average)."""
        stretched = position + 0.3 * position * (1 - position)
        seconds = int(self.span_seconds * (1 - stretched)) - jitter
        return self.end - dt.timedelta(seconds=max(seconds, 0))


@dataclasses.dataclass(frozen=True)
class Ref:
    """The reference data the rows point at (read once from the database)."""

    bureau_of_prefecture: dict[str, str]
    prefecture_name: dict[str, str]
    municipalities: dict[str, tuple[tuple[str, str], ...]]
    nationalities: tuple[str, ...]
    statuses: tuple[tuple[str, str], ...]  # (code, period of stay)
    events: dict[str, tuple[str, str, tuple[str, ...]]]  # code: (article, org kind, items)
    service_o_kinds: dict[str, tuple[str, ...]]  # filer: kind codes
    periodic_o_kinds: frozenset[str]
    procedures: dict[str, str]  # code: receipt letter
    receipt_prefix: dict[str, str]  # bureau: prefix
    regional_bureaus: tuple[str, ...]  # bureaus without a parent


def reference_data() -> Ref:
    """Read the reference data through the models (Django must be set up)."""
    from zairyu.reference.models import (
        Bureau,
        EventItem,
        Municipality,
        NotificationEvent,
        Prefecture,
        Procedure,
        ServiceOKind,
    )

    codes = generate_cards.reference_codes()
    municipalities: dict[str, list[tuple[str, str]]] = {}
    for code, prefecture, name in Municipality.objects.order_by("code").values_list(
        "code", "prefecture_id", "name_ja"
    ):
        municipalities.setdefault(prefecture, []).append((code, name))
    items: dict[str, list[str]] = {}
    for event, item in EventItem.objects.order_by("event", "sort_order").values_list(
        "event_id", "item_id"
    ):
        items.setdefault(event, []).append(item)
    kinds: dict[str, list[str]] = {}
    periodic = set()
    for code, filer, is_periodic in ServiceOKind.objects.order_by("sort_order", "code").values_list(
        "code", "filer", "periodic"
    ):
        kinds.setdefault(filer, []).append(code)
        if is_periodic:
            periodic.add(code)
    bureaus = list(Bureau.objects.order_by("sort_order", "code"))
    return Ref(
        bureau_of_prefecture=dict(Prefecture.objects.values_list("code", "bureau_id")),
        prefecture_name=dict(Prefecture.objects.values_list("code", "name_ja")),
        municipalities={k: tuple(v) for k, v in municipalities.items()},
        nationalities=tuple(codes.nationalities),
        statuses=tuple((s, p) for s, _, p in generate_cards.STATUSES if s in codes.statuses),
        events={
            e.code: (e.article, e.organization_kind, tuple(items.get(e.code, ())))
            for e in NotificationEvent.objects.order_by("code")
        },
        service_o_kinds={k: tuple(v) for k, v in kinds.items()},
        periodic_o_kinds=frozenset(periodic),
        procedures=dict(
            Procedure.objects.filter(online=True)
            .exclude(receipt_kanji="")
            .order_by("sort_order", "code")
            .values_list("code", "receipt_kanji")
        ),
        receipt_prefix={b.code: b.receipt_prefix for b in bureaus},
        regional_bureaus=tuple(b.code for b in bureaus if b.parent_id is None),
    )


class Tables:
    """Weighted lookup tables built once per process from the plan and the reference data."""

    def __init__(self, plan: Plan, ref: Ref) -> None:
        self.plan = plan
        self.ref = ref
        nat_weights = dict(generate_cards.NATIONALITIES)
        # The listed nationalities hold ~85 % of the residents; the ~200 others share the rest.
        self.nationality = weighted_table(
            [(n, nat_weights.get(n, 0.1)) for n in ref.nationalities], 5000
        )
        status_weights = {s: w for s, w, _ in generate_cards.STATUSES}
        self.status = weighted_table([(s, status_weights[s[0]]) for s in ref.statuses])
        prefectures = sorted(p for p in ref.bureau_of_prefecture if ref.municipalities.get(p))
        self.prefecture = weighted_table(
            [(p, PREFECTURE_WEIGHTS.get(p, 1)) for p in prefectures], 2000
        )
        self.org_kind = weighted_table(ORG_KINDS)
        resident_events = sorted(c for c, e in ref.events.items() if e[0] == "19-16")
        self.resident_event = weighted_table(
            [(c, RESIDENT_EVENT_WEIGHTS.get(c, 1)) for c in resident_events]
        )
        self.proxy_events = tuple(c for c in PROXY_EVENTS if c in ref.events)
        self.school_events = tuple(
            c for c, e in sorted(ref.events.items()) if e[1] == "school" and c != "school_roster"
        )
        self.accepting_events = tuple(
            c for c, e in sorted(ref.events.items()) if e[1] == "accepting"
        )
        self.roster_event = "school_roster" if "school_roster" in ref.events else None
        self.procedures = tuple(ref.procedures)
        # Organizations of each service O filer kind, and the schools (roster filers).
        self.o_filers: dict[str, list[int]] = {}
        self.schools: list[int] = []
        for o in range(1, plan.organizations + 1):
            kind = self.org_kind_of(o)
            if kind in SERVICE_O_FILER and SERVICE_O_FILER[kind] in ref.service_o_kinds:
                self.o_filers.setdefault("all", []).append(o)
            if kind in SCHOOL_KINDS:
                self.schools.append(o)
        self.person_stride = coprime_stride(plan.persons)
        self.organizations: dict[int, Org] = {}

    def org_kind_of(self, o: int) -> str:
        # The largest organizations (ids 1-10) are a staffing company, an SSW employer, a
        # support organization, a university and language schools.
        fixed = {1: "company", 2: "ssw_employer", 3: "support_organization", 4: "university"}
        if o in fixed:
            return fixed[o]
        if o <= 6:
            return "language_school"
        return self.org_kind[mix(o * 31 + 7) % len(self.org_kind)]


# --- Cards and persons ---------------------------------------------------------------------


def current_card(person: int) -> int:
    """The id of the valid card of person ``person``."""
    block, rest = divmod(person - 1, BLOCK - 1)
    return block * BLOCK + rest + 1


def card_person(card: int) -> int:
    """The person holding card ``card`` (the 25th card of a block: the 24th card's person)."""
    block, rest = divmod(card - 1, BLOCK)
    return block * (BLOCK - 1) + min(rest, BLOCK - 2) + 1


def is_old_card(card: int) -> bool:
    return card % BLOCK == 0


def resident_user(person: int) -> int | None:
    """The id of the person's resident account (two persons in five have one), or None."""
    q, m = divmod(person, 5)
    if m == 0:
        return 2 * q - 1
    if m == 2:
        return 2 * q + 2
    return None


def person_with_account(h: int, persons: int) -> int:
    """A person with a resident account, chosen by ``h``."""
    q = h % max(persons // 5, 1)
    person = 5 * q + 2 if (h >> 40) & 1 or q == 0 else 5 * q
    return min(person, persons) if resident_user(min(person, persons)) else 2


@dataclasses.dataclass(slots=True)
class Face:
    """What the registry holds for one card (the deterministic part)."""

    card: int
    person: int
    number: str
    family: str
    roman_name: str
    nationality: str
    birth_date: dt.date
    sex: str
    prefecture: str
    municipality: str
    municipality_name: str
    street: str
    status: str
    period: str
    issued_on: dt.date
    card_valid_until: dt.date
    stay_until: dt.date | None
    old: bool


def card_number(plan: Plan, card: int) -> str:
    """A unique number in the card format (2 letters, 8 digits, 2 letters; FMT-5)."""
    h = mix(card ^ (plan.seed << 48))
    high, digits = divmod(card, 100_000_000)
    first = LETTERS[(plan.seed * 7 + high) % 23] + LETTERS[(plan.seed * 13 + high // 23) % 23]
    return f"{first}{digits:08d}{LETTERS[h % 23]}{LETTERS[(h >> 8) % 23]}"


def face(tables: Tables, card: int) -> Face:
    """The card ``card``: its holder's identity (shared by the person's cards) and its own
    number, address, status and dates."""
    plan = tables.plan
    person = card_person(card)
    p = mix(person * 0x100000001B3 + plan.seed)
    c = mix(card * 0xC2B2AE3D27D4EB4F + plan.seed)
    family = generate_cards.FAMILY[p % len(generate_cards.FAMILY)]
    syllables = generate_cards.SYLLABLES
    count = 2 + (p >> 8) % 2
    given = "".join(syllables[(p >> (12 + 6 * k)) % len(syllables)] for k in range(count))
    old = is_old_card(card)
    status, period = tables.status[(c >> 4) % len(tables.status)]
    today = plan.today
    if old:
        issued = today - dt.timedelta(days=1200 + (c >> 20) % 1200)
        stay_until = issued + dt.timedelta(days=365)
    else:
        issued = today - dt.timedelta(days=1 + (c >> 20) % 1500)
        stay_until = today + dt.timedelta(days=1 + (c >> 32) % 1800)
    valid_until = stay_until if period else issued + dt.timedelta(days=7 * 365)
    prefecture = tables.prefecture[(c >> 40) % len(tables.prefecture)]
    municipalities = tables.ref.municipalities[prefecture]
    municipality, municipality_name = municipalities[(c >> 12) % len(municipalities)]
    town = generate_cards.TOWNS[(c >> 50) % len(generate_cards.TOWNS)]
    fw = generate_cards._fw
    return Face(
        card=card,
        person=person,
        number=card_number(plan, card),
        family=family,
        roman_name=f"{family} {given}",
        nationality=tables.nationality[(p >> 32) % len(tables.nationality)],
        birth_date=today - dt.timedelta(days=18 * 365 + (p >> 44) % (52 * 365)),
        sex="MF"[(p >> 62) & 1],
        prefecture=prefecture,
        municipality=municipality,
        municipality_name=municipality_name,
        street=f"{town}{fw(1 + c % 9)}−{fw(1 + (c >> 56) % 30)}−{fw(1 + (c >> 8) % 20)}",
        status=status,
        period=period,
        issued_on=issued,
        card_valid_until=max(valid_until, issued),
        stay_until=stay_until if period else None,
        old=old,
    )


def snapshot(tables: Tables, f: Face) -> dict:
    """The common items of a filing as ``filings.rules.card_snapshot`` writes them."""
    return {
        "card_number": f.number,
        "roman_name": f.roman_name,
        "kanji_name": "",
        "nationality": f.nationality,
        "birth_date": f.birth_date.isoformat(),
        "sex": f.sex,
        "prefecture": f.prefecture,
        "municipality": f.municipality,
        "address": f"{tables.ref.prefecture_name[f.prefecture]}{f.municipality_name}{f.street}",
        "status": f.status,
    }


# --- Organizations ----------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Org:
    id: int
    kind: str
    name: str
    name_en: str
    corporate_number: str | None
    prefecture: str
    municipality: str
    bureau: str
    street: str
    rso_number: str


def corporate_number(base: int) -> str:
    """A 13-digit corporate number (法人番号) with its check digit."""
    digits = f"{base % 10**12:012d}"
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(reversed(digits)))
    return f"{9 - total % 9}{digits}"


def organization(tables: Tables, o: int) -> Org:
    """Organization ``o`` (cached per process: there are few)."""
    found = tables.organizations.get(o)
    if found is None:
        found = tables.organizations[o] = _organization(tables, o)
    return found


def _organization(tables: Tables, o: int) -> Org:
    h = mix(o * 0x9E3779B1 + tables.plan.seed * 977)
    kind = tables.org_kind_of(o)
    word, word_en = ORG_WORDS[h % len(ORG_WORDS)]
    trade, trade_en = ORG_TRADES[(h >> 8) % len(ORG_TRADES)]
    name_form, en_form = ORG_FORMS[kind]
    branch = (h >> 16) % 40
    suffix = f"第{branch}" if branch > 20 else ""
    prefecture = tables.prefecture[(h >> 24) % len(tables.prefecture)]
    municipality, _ = tables.ref.municipalities[prefecture][
        (h >> 36) % len(tables.ref.municipalities[prefecture])
    ]
    return Org(
        id=o,
        kind=kind,
        name=name_form.format(w=word + suffix, t=trade),
        name_en=en_form.format(W=word_en, T=trade_en),
        corporate_number=None if h % 10 == 0 else corporate_number(4_000_000_000 + o * 7),
        prefecture=prefecture,
        municipality=municipality,
        bureau=tables.ref.bureau_of_prefecture[prefecture],
        street=f"{generate_cards.TOWNS[(h >> 44) % 12]}{generate_cards._fw(1 + (h >> 50) % 9)}",
        rso_number=f"19登-{o:06d}" if kind == "support_organization" else "",
    )


def organization_for(tables: Tables, h: int, among: Sequence[int] | None = None) -> int:
    """An organization that files, chosen by ``h``: the ten largest file 30 % of the
    organizations' filings (weights 10, 8, 6, 5, 4, 3, 3, 2, 2, 2 of 45), the others share the
    rest. ``among``: only these organizations (ascending ids; the large ones among them)."""
    if among is not None:
        large = [o for o in among[:10] if o <= 10]
        if large and h % 100 < 30:
            return large[(h >> 8) % len(large)]
        return among[(h >> 16) % len(among)]
    if h % 100 < 30:
        return LARGE_ORGANIZATIONS[(h >> 8) % len(LARGE_ORGANIZATIONS)]
    return 1 + (h >> 16) % tables.plan.organizations


def org_username(o: int) -> str:
    return f"org{o:07d}"


def resident_username(f: Face, user: int) -> str:
    return f"{f.family.lower()}{user}"


def service_a_username(user: int) -> str:
    return f"sa{user:08d}"


# --- COPY text -----------------------------------------------------------------------------


NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _plain(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def _json(value) -> str:
    return _plain(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


_CONVERTERS: dict[type, Callable[[object], str]] = {
    str: _plain,
    int: str,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: NULL,
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    dict: _json,
    list: _json,
    float: repr,
}


def text(value) -> str:
    """One value in COPY's text format."""
    convert = _CONVERTERS.get(type(value))
    if convert is None:
        return str(value)
    return convert(value)


class Writer:
    """The columns of one table and its rows as COPY text: the columns the builder gives,
    then every other column's default (``Field.get_default``) as a constant tail."""

    def __init__(self, model, columns: Sequence[str]) -> None:
        from django.db.models import JSONField
        from django.db.models.fields import NOT_PROVIDED

        from zairyu.core.encrypted import _Encrypted

        self.model = model
        self.table = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{self.table}: no columns {sorted(unknown)}")
        tail_columns, tail_values = [], []
        for name, field in fields.items():
            if name in columns:
                continue
            if isinstance(field, _Encrypted):
                raise ValueError(f"{self.table}.{name} is encrypted: the builder must give it")
            default = field.get_default()
            if field.has_default() and callable(field.default) and not isinstance(field, JSONField):
                raise ValueError(f"{self.table}.{name} has a per-row default: give it")
            if default is None and not field.null and field.default is NOT_PROVIDED:
                raise ValueError(f"{self.table}.{name} is required: give it")
            tail_columns.append(name)
            tail_values.append(text(default))
        self.columns = [fields[c].column for c in columns] + [
            fields[c].column for c in tail_columns
        ]
        self.tail = "\t" + "\t".join(tail_values) if tail_values else ""
        self.rows: list[str] = []

    def field(self, name: str):
        return self.model._meta.get_field(name)

    def add(self, values: Sequence) -> None:
        self.rows.append("\t".join(map(text, values)) + self.tail)

    def copy_sql(self) -> str:
        return f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"

    def payload(self) -> str:
        return "\n".join(self.rows) + "\n" if self.rows else ""


def encrypter(model, name: str) -> Callable[[object], str]:
    """The ciphertext the model field stores for a value (``get_db_prep_value``)."""
    field = model._meta.get_field(name)
    return lambda value: field.get_db_prep_value(value, None)


def indexer(model, name: str) -> Callable[[object], str | None]:
    """The blind index a ``BlindIndexField`` stores for its source value."""
    return model._meta.get_field(name).index_of


Chunk = list[Writer]
Builder = Callable[[Tables, int, int], Chunk]
