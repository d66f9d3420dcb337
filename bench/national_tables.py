"""Builders of the national registry's tables (issue 17): each turns a range of ids into COPY
text for one or more tables (``national_rows.Writer``). See ``national_rows`` for the identities
and ``generate_national`` for the loading.

- ``cards``: residence cards and their persons (card ids);
- ``resident_users``: the resident accounts (person ids; two persons in five);
- ``organizations``: organizations, their accounts and the account links (organization ids);
- ``service_a_users``: service A filers (foreign nationals, organization staff with their
  ``StaffAccount``, lawyers);
- ``filings``: service N filings and their state history (filing ids), ids in time order over
  the span, denser recently;
- ``ofilings``: service O filings and their history;
- ``applications``: service A applications and their history.
"""

from __future__ import annotations

import datetime as dt

from national_rows import (
    LANGUAGES,
    LARGE_ORGANIZATIONS,
    MAIL_DOMAINS,
    SCHOOL_KINDS,
    SERVICE_O_FILER,
    Chunk,
    Face,
    Org,
    Tables,
    Writer,
    current_card,
    encrypter,
    face,
    indexer,
    mix,
    org_username,
    organization,
    organization_for,
    person_with_account,
    resident_user,
    resident_username,
    service_a_username,
    snapshot,
)

UNUSABLE_PASSWORD = "!generated-national-registry"  # noqa: S105 - no password matches it
ORDINARY_TIME = dt.time(9, 30)


def _at(day: dt.date, plan_end: dt.datetime, seconds: int = 0) -> dt.datetime:
    moment = dt.datetime.combine(day, ORDINARY_TIME, plan_end.tzinfo) + dt.timedelta(
        seconds=seconds
    )
    return min(moment, plan_end)


def _token(h: int) -> str:
    return f"{mix(h ^ 0x5DEECE66D):016x}{mix(h + 11):016x}"


# --- Cards, persons ------------------------------------------------------------------------


def cards(tables: Tables, start: int, stop: int) -> Chunk:
    from zairyu.cards.models import Person, ResidenceCard

    plan = tables.plan
    persons = Writer(Person, ["id", "reference", "created_at"])
    rows = Writer(
        ResidenceCard,
        [
            "id",
            "number",
            "number_index",
            "person_id",
            "roman_name",
            "nationality_id",
            "birth_date",
            "birth_date_index",
            "sex",
            "prefecture_id",
            "municipality_id",
            "street",
            "status_id",
            "period_of_stay",
            "stay_until",
            "card_valid_until",
            "issued_on",
            "state",
            "invalidated_at",
            "invalidation_reason",
            "abroad_on_reentry",
            "abroad_since",
            "last_moving_in_on",
            "created_at",
            "updated_at",
        ],
    )
    number, number_index = (
        encrypter(ResidenceCard, "number"),
        indexer(ResidenceCard, "number_index"),
    )
    birth, birth_index = (
        encrypter(ResidenceCard, "birth_date"),
        indexer(ResidenceCard, "birth_date_index"),
    )
    for card in range(start, stop):
        f = face(tables, card)
        h = mix(card * 0x2545F4914F6CDD1D + plan.seed)
        created = _at(f.issued_on, plan.end)
        if not f.old:
            persons.add((f.person, f"G{plan.seed}-{f.person:09d}", created))
        abroad = h % 100 < 2
        moved = (h >> 8) % 100 < 30 and f.issued_on + dt.timedelta(days=20) <= plan.today
        rows.add(
            (
                card,
                number(f.number),
                number_index(f.number),
                f.person,
                f.roman_name,
                f.nationality,
                birth(f.birth_date),
                birth_index(f.birth_date),
                f.sex,
                f.prefecture,
                f.municipality,
                f.street,
                f.status,
                f.period,
                f.stay_until,
                f.card_valid_until,
                f.issued_on,
                "invalidated" if f.old else "valid",
                _at(f.issued_on + dt.timedelta(days=365), plan.end) if f.old else None,
                "renewed" if f.old else "",
                abroad,
                plan.today - dt.timedelta(days=1 + (h >> 16) % 200) if abroad else None,
                f.issued_on + dt.timedelta(days=(h >> 24) % 20) if moved else None,
                created,
                created,
            )
        )
    return [persons, rows]


# --- Accounts ------------------------------------------------------------------------------

USER_COLUMNS = [
    "id",
    "password",
    "username",
    "email",
    "category",
    "language",
    "display_name",
    "date_joined",
    "uses_service_n",
    "uses_service_o",
    "person_id",
]


def _email(username: str, h: int) -> str:
    return f"{username}@{MAIL_DOMAINS[h % len(MAIL_DOMAINS)]}"


def resident_users(tables: Tables, start: int, stop: int) -> Chunk:
    from zairyu.accounts.models import User

    plan = tables.plan
    users = Writer(User, USER_COLUMNS)
    for person in range(start, stop):
        uid = resident_user(person)
        if uid is None:
            continue
        f = face(tables, current_card(person))
        h = mix(uid * 0x9E3779B97F4A7C15 + plan.seed)
        username = resident_username(f, uid)
        users.add(
            (
                uid,
                UNUSABLE_PASSWORD,
                username,
                _email(username, h),
                "resident",
                LANGUAGES[(h >> 8) % len(LANGUAGES)],
                f.roman_name,
                _at(max(f.issued_on, plan.today - dt.timedelta(days=1000)), plan.end),
                False,
                False,
                person,
            )
        )
    return [users]


def organizations(tables: Tables, start: int, stop: int) -> Chunk:
    from zairyu.accounts.models import OrganizationAccount, User
    from zairyu.cards.models import Organization

    plan = tables.plan
    rows = Writer(
        Organization,
        [
            "id",
            "name",
            "name_en",
            "corporate_number",
            "kind",
            "prefecture_id",
            "municipality_id",
            "street",
            "bureau_id",
            "rso_registration_number",
            "created_at",
            "updated_at",
        ],
    )
    users = Writer(User, USER_COLUMNS)
    links = Writer(
        OrganizationAccount,
        [
            "id",
            "user_id",
            "organization_id",
            "registered_at",
            "submitted_via",
            "submitter_name",
            "staff_id_document",
        ],
    )
    created = plan.end - dt.timedelta(seconds=plan.span_seconds + 86400 * 30)
    for o in range(start, stop):
        org = organization(tables, o)
        uid = plan.org_user_base + o
        rows.add(
            (
                o,
                org.name,
                org.name_en,
                org.corporate_number,
                org.kind,
                org.prefecture,
                org.municipality,
                org.street,
                org.bureau,
                org.rso_number,
                created,
                created,
            )
        )
        username = org_username(o)
        users.add(
            (
                uid,
                UNUSABLE_PASSWORD,
                username,
                f"{username}@example.co.jp",
                "organization",
                "ja",
                org.name,
                created,
                True,
                org.kind in SERVICE_O_FILER,
                None,
            )
        )
        links.add((o, uid, o, created, "counter", "担当者", "staff_card"))
    return [rows, users, links]


SA_CATEGORIES = {
    0: "lawyer",
    7: "organization_staff",
    8: "organization_staff",
    9: "organization_staff",
}
STAFF_NAMES = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健", "伊藤 由美"]


def service_a_category(i: int) -> str:
    """Service A users by id: 6 in 10 foreign nationals, 3 organization staff, 1 lawyer."""
    return SA_CATEGORIES.get(i % 10, "foreign_national")


def staff_organization(tables: Tables, uid: int) -> int:
    """The organization a staff user (service A) works for: one in fifty works for one of the
    large organizations, the others for any."""
    h = mix(uid * 0xD6E8FEB86659FD93 + tables.plan.seed) >> 3
    if h % 100 < 2:
        return LARGE_ORGANIZATIONS[(h >> 8) % len(LARGE_ORGANIZATIONS)]
    return 1 + (h >> 16) % tables.plan.organizations


def service_a_users(tables: Tables, start: int, stop: int) -> Chunk:
    from zairyu.accounts.models import StaffAccount, User

    plan = tables.plan
    users = Writer(User, USER_COLUMNS)
    staff = Writer(
        StaffAccount,
        ["id", "user_id", "organization_id", "issued_at", "password_by", "activated_at"],
    )
    joined = plan.end - dt.timedelta(seconds=plan.span_seconds)
    for i in range(start, stop):
        uid = plan.service_a_user_base + i
        h = mix(uid * 0xD6E8FEB86659FD93 + plan.seed)
        category = service_a_category(i)
        username = service_a_username(uid)
        if category == "foreign_national":
            name = face(tables, current_card(1 + h % plan.persons)).roman_name
        else:
            name = STAFF_NAMES[h % len(STAFF_NAMES)]
        users.add(
            (
                uid,
                UNUSABLE_PASSWORD,
                username,
                _email(username, h >> 8),
                category,
                "ja",
                name,
                joined,
                False,
                False,
                None,
            )
        )
        if category == "organization_staff":
            staff.add(
                (
                    i,
                    uid,
                    staff_organization(tables, uid),
                    joined,
                    joined + dt.timedelta(days=30),
                    joined + dt.timedelta(days=2),
                )
            )
    return [users, staff]


# --- Service N filings ---------------------------------------------------------------------

FILING_COLUMNS = [
    "id",
    "filed_as",
    "event_id",
    "state",
    "filer_id",
    "organization_id",
    "resident_account_id",
    "person_id",
    "card_id",
    "bureau_id",
    "event_date",
    "deadline",
    "late",
    "content",
    "card_number_index",
    "digest",
    "token",
    "filed_at",
    "filed_on",
    "registered_at",
    "state_changed_at",
    "error_code",
    "error_params",
    "reviewed_at",
    "review_note",
]
CHANGE_COLUMNS = ["id", "at", "from_state", "actor_id", "filing_id", "to_state", "actor_repr"]


def _org_snapshot(org: Org) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "corporate_number": org.corporate_number or "",
        "kind": org.kind,
    }


def _typed_snapshot(tables: Tables, f: Face) -> dict:
    """The common items as an organization types them (``_face_snapshot``)."""
    typed = snapshot(tables, f)
    typed["municipality"] = ""
    return typed


def _items(tables: Tables, event: str, event_date: dt.date, h: int) -> dict:
    other = organization(tables, 1 + (h >> 20) % tables.plan.organizations)
    address = f"{tables.ref.prefecture_name[other.prefecture]}{other.street}"
    values = {
        "event_date": event_date.isoformat(),
        "start_date": event_date.isoformat(),
        "end_date": event_date.isoformat(),
        "old_org_name": other.name,
        "new_org_name": other.name_en,
        "org_name": other.name,
        "old_org_address": address,
        "new_org_address": address + "２階",
        "org_address": address,
        "activity_place": address,
        "new_activity": "通訳・翻訳",
        "activity": "技術・人文知識・国際業務",
        "end_reason": "卒業",
    }
    return {item: values.get(item, "") for item in tables.ref.events[event][2] if item != "roster"}


def _filing_state(plan_filings: int, i: int, h: int) -> str:
    if i > plan_filings - max(1, plan_filings // 100_000):
        return "registering"
    r = (h >> 20) % 1000
    if r < 15:
        return "error"
    if r < 50:
        return "superseded"
    if r < 60:
        return "withdrawn"
    return "registered"


def filings(tables: Tables, start: int, stop: int) -> Chunk:  # noqa: C901, PLR0912, PLR0915
    from zairyu.filings.models import Filing, FilingStateChange
    from zairyu.filings.rules import content_digest

    plan, ref = tables.plan, tables.ref
    rows = Writer(Filing, FILING_COLUMNS)
    changes = Writer(FilingStateChange, CHANGE_COLUMNS)
    content_of, number_index = encrypter(Filing, "content"), indexer(Filing, "card_number_index")
    for i in range(start, stop):
        h = mix(i * 0xA24BAED4963EE407 + plan.seed)
        h2 = mix(h ^ 0x2545F4914F6CDD1D)
        filed_at = plan.moment((i - 0.5) / plan.filings, jitter=h2 % 90)
        filed_on = filed_at.date()
        r = h % 1000
        org: Org | None = None
        f: Face | None = None
        resident_account = None
        if r < 10 and tables.roster_event and tables.schools:
            filed_as, event = "organization", tables.roster_event
            org = organization(tables, tables.schools[(h2 >> 8) % len(tables.schools)])
        elif r < 340:
            filed_as = "organization"
            org = organization(tables, organization_for(tables, h2))
            events = tables.school_events if org.kind in SCHOOL_KINDS else tables.accepting_events
            event = events[(h >> 12) % len(events)]
            f = face(tables, current_card(1 + (h2 >> 3) % plan.persons))
        else:
            person = person_with_account(h2 >> 3, plan.persons)
            resident_account = resident_user(person)
            f = face(tables, current_card(person))
            if r < 400:
                filed_as = "proxy"
                org = organization(tables, organization_for(tables, h2))
                event = tables.proxy_events[(h >> 12) % len(tables.proxy_events)]
            else:
                filed_as = "resident"
                event = tables.resident_event[(h >> 12) % len(tables.resident_event)]
        late = (h >> 24) % 100 < 7
        back = 15 + (h >> 32) % 60 if late else (h >> 32) % 14
        event_date = filed_on - dt.timedelta(days=back)
        if event == tables.roster_event:
            items = {"as_of": event_date.isoformat()}
            roster = []
            for line in range(1, 4 + (h >> 40) % 6):
                student = face(tables, current_card(1 + mix(h + line) % plan.persons))
                roster.append(
                    {
                        "line": line,
                        "card_number": student.number,
                        "roman_name": student.roman_name,
                        "nationality": student.nationality,
                        "birth_date": student.birth_date.isoformat(),
                        "sex": student.sex,
                    }
                )
            content = {"items": items, "roster": roster, "organization": _org_snapshot(org)}
            subject = f"organization:{org.id}"
        else:
            items = _items(tables, event, event_date, h2)
            resident = snapshot(tables, f) if filed_as == "resident" else _typed_snapshot(tables, f)
            content = {"resident": resident, "items": items}
            if org is not None:
                content["organization"] = _org_snapshot(org)
            if filed_as == "proxy":
                content["requested_by_resident"] = True
            subject = f.number
        if filed_as == "resident":
            filer, bureau = resident_account, ref.bureau_of_prefecture[f.prefecture]
            filer_name = resident_username(f, filer)
        elif filed_as == "proxy":
            filer, bureau = plan.org_user_base + org.id, ref.bureau_of_prefecture[f.prefecture]
            filer_name = org_username(org.id)
        else:
            filer, bureau = plan.org_user_base + org.id, org.bureau
            filer_name = org_username(org.id)
        state = _filing_state(plan.filings, i, h2)
        registered_at = None
        if state in ("registered", "superseded", "withdrawn"):
            registered_at = min(filed_at + dt.timedelta(seconds=2 + h2 % 40), plan.end)
        changed_at = registered_at or min(filed_at + dt.timedelta(seconds=3), plan.end)
        if state == "superseded":
            changed_at = min(registered_at + dt.timedelta(minutes=(h2 >> 8) % 180), plan.end)
        elif state == "withdrawn":
            changed_at = min(registered_at + dt.timedelta(days=1 + (h2 >> 8) % 20), plan.end)
        elif state == "registering":
            changed_at = filed_at
        error = state == "error"
        reviewed = error and (h2 >> 12) % 10 < 8
        deadline = event_date + dt.timedelta(days=14)
        rows.add(
            (
                i,
                filed_as,
                event,
                state,
                filer,
                org.id if org is not None else None,
                resident_account,
                f.person if f is not None else None,
                f.card if f is not None else None,
                bureau,
                event_date,
                deadline,
                filed_on > deadline,
                content_of(content),
                number_index(f.number) if f is not None else None,
                content_digest(
                    event_code=event,
                    subject=subject,
                    organization_id=org.id if filed_as == "organization" else None,
                    items={**items, "roster": content.get("roster")},
                ),
                _token(h),
                filed_at,
                filed_on,
                registered_at,
                changed_at,
                "status_not_eligible" if error else "",
                {"status": f.status} if error and f is not None else {},
                min(changed_at + dt.timedelta(days=1), plan.end) if reviewed else None,
                "届出人に連絡済み" if reviewed else "",
            )
        )
        base = i * 4
        changes.add((base, filed_at, "", filer, i, "registering", filer_name))
        if registered_at is not None:
            changes.add((base + 1, registered_at, "registering", None, i, "registered", ""))
            if state in ("superseded", "withdrawn"):
                actor = "" if state == "superseded" else "officer"
                changes.add((base + 2, changed_at, "registered", None, i, state, actor))
        elif error:
            changes.add((base + 1, changed_at, "registering", None, i, "error", ""))
    return [rows, changes]


# --- Service O filings ---------------------------------------------------------------------


def ofilings(tables: Tables, start: int, stop: int) -> Chunk:
    from zairyu.filings.models import OFiling, OFilingStateChange

    plan, ref = tables.plan, tables.ref
    rows = Writer(
        OFiling,
        [
            "id",
            "kind_id",
            "state",
            "filer_id",
            "organization_id",
            "bureau_id",
            "event_date",
            "deadline",
            "late",
            "fiscal_year",
            "content",
            "version",
            "token",
            "filed_at",
            "filed_on",
            "changed_at",
            "state_changed_at",
        ],
    )
    changes = Writer(OFilingStateChange, [*CHANGE_COLUMNS, "action"])
    content_of = encrypter(OFiling, "content")
    filers = tables.o_filers.get("all") or [1]
    for i in range(start, stop):
        h = mix(i * 0x94D049BB133111EB + plan.seed)
        h2 = mix(h ^ 0xBF58476D1CE4E5B9)
        filed_at = plan.moment((i - 0.5) / plan.ofilings, jitter=h2 % 90)
        org = organization(tables, organization_for(tables, h2, among=filers))
        kinds = ref.service_o_kinds.get(SERVICE_O_FILER.get(org.kind, ""), ()) or tuple(
            k for ks in ref.service_o_kinds.values() for k in ks
        )
        kind = kinds[(h >> 8) % len(kinds)]
        periodic = kind in ref.periodic_o_kinds
        event_date = filed_at.date() - dt.timedelta(days=(h >> 16) % 14)
        workers = []
        for k in range(1 + (h >> 24) % 3):
            worker = face(tables, current_card(1 + mix(h + k) % plan.persons))
            workers.append(
                {
                    "card_number": worker.number,
                    "roman_name": worker.roman_name,
                    "nationality": worker.nationality,
                    "birth_date": worker.birth_date.isoformat(),
                    "sex": worker.sex,
                }
            )
        content = {
            "items": {"event_date": event_date.isoformat(), "note": "特記事項なし"},
            "rows": workers,
        }
        r = (h2 >> 20) % 1000
        recent = i > plan.ofilings * 0.97
        if r < 60:
            state, action = "withdrawn", "withdrawn"
        elif r < 70 and org.kind == "language_school":
            state, action = "returned", "returned"
        elif recent and r < 700:
            state, action = "pending", ""
        else:
            state, action = "completed", "completed"
        changed_at = (
            filed_at
            if state == "pending"
            else min(filed_at + dt.timedelta(days=1 + (h2 >> 8) % 10), plan.end)
        )
        filer = plan.org_user_base + org.id
        rows.add(
            (
                i,
                kind,
                state,
                filer,
                org.id,
                org.bureau,
                None if periodic else event_date,
                None if periodic else event_date + dt.timedelta(days=14),
                False,
                (filed_at.year - (filed_at.month < 4)) if periodic else None,
                content_of(content),
                1,
                _token(h),
                filed_at,
                filed_at.date(),
                filed_at,
                changed_at,
            )
        )
        base = i * 3
        changes.add((base, filed_at, "", filer, i, "pending", org_username(org.id), "submitted"))
        if action:
            changes.add((base + 1, changed_at, "pending", None, i, state, "officer", action))
    return [rows, changes]


# --- Service A applications ----------------------------------------------------------------

OLD_STATES = (("completed", 80), ("denied", 8), ("withdrawn", 6), ("draft", 6))
RECENT_STATES = (
    ("draft", 25),
    ("submitted", 15),
    ("examining", 30),
    ("awaiting_issue", 10),
    ("completed", 14),
    ("receipt_error", 2),
    ("bulk_error", 1),
    ("withdrawn", 3),
)
PROCEDURE_WEIGHTS = {"extension": 45, "change_of_status": 20, "coe": 25, "acquisition": 3}
MAIN_PROCEDURES = frozenset({*PROCEDURE_WEIGHTS, "work_certificate"})
PATHS = {
    "draft": (),
    "bulk_error": (),
    "submitted": ("submitted",),
    "receipt_error": ("submitted", "receipt_error"),
    "examining": ("submitted", "examining"),
    "awaiting_issue": ("submitted", "examining", "awaiting_issue"),
    "completed": ("submitted", "examining", "completed"),
    "denied": ("submitted", "examining", "denied"),
    "withdrawn": ("submitted", "withdrawn"),
}
APPLICATION_COLUMNS = [
    "id",
    "procedure_id",
    "status_id",
    "filer_id",
    "organization_id",
    "applicant_person_id",
    "applicant_card_id",
    "applicant_key",
    "applicant_name",
    "applicant_birth_date",
    "applicant_email",
    "content",
    "receipt_method",
    "state",
    "state_changed_at",
    "provisional_number",
    "receipt_number",
    "bureau_id",
    "filed_on",
    "submitted_at",
    "receipt_assigned_at",
    "version",
    "created_at",
    "updated_at",
    "last_saved_at",
    "completed_at",
]


def _weighted(pairs, h: int) -> str:
    total = sum(w for _, w in pairs)
    point = h % total
    for value, weight in pairs:
        if point < weight:
            return value
        point -= weight
    return pairs[-1][0]


def application_filer(tables: Tables, h: int) -> int:
    """A service A filer (user id) chosen by ``h``: 40 % foreign nationals for themselves, 45 %
    organization staff, 15 % lawyers."""
    plan = tables.plan
    tens = max(plan.service_a_users // 10, 1)
    q = (h >> 8) % tens
    r = h % 100
    if r < 40:
        i = 10 * q + 1 + (h >> 32) % 6
    elif r < 85:
        i = 10 * q + 7 + (h >> 32) % 3
    else:
        i = 10 * q + 10
    return plan.service_a_user_base + min(i, plan.service_a_users)


def applications(tables: Tables, start: int, stop: int) -> Chunk:
    from zairyu.applications.models import Application, ApplicationStateChange

    plan, ref = tables.plan, tables.ref
    rows = Writer(Application, APPLICATION_COLUMNS)
    changes = Writer(
        ApplicationStateChange,
        ["id", "at", "from_state", "actor_id", "application_id", "to_state", "actor_repr"],
    )
    content_of, birth_of = (
        encrypter(Application, "content"),
        encrypter(Application, "applicant_birth_date"),
    )
    procedures = [(p, PROCEDURE_WEIGHTS.get(p, 1)) for p in ref.procedures if p in MAIN_PROCEDURES]
    for a in range(start, stop):
        h = mix(a * 0xF1357AEA2E62A9C5 + plan.seed)
        h2 = mix(h ^ 0x9FB21C651E98DF25)
        created = plan.moment((a - 0.5) / plan.applications, jitter=h2 % 600)
        procedure = _weighted(procedures, h >> 4)
        person = 1 + (a * tables.person_stride) % plan.persons
        f = face(tables, current_card(person))
        filer = application_filer(tables, h2)
        staff = (filer - plan.service_a_user_base) % 10 in (7, 8, 9)
        organization_id = staff_organization(tables, filer) if staff else None
        state = _weighted(RECENT_STATES if a > plan.applications * 0.9 else OLD_STATES, h2 >> 8)
        if state == "draft" and a > plan.persons:
            state = "submitted"  # one open draft per applicant and procedure
        if procedure == "coe":
            key = f"coe:{f.nationality}:{f.birth_date.isoformat()}:{f.roman_name}:{a}"
            person_id = card_id = None
            bureau = ref.bureau_of_prefecture[f.prefecture]
        else:
            key, person_id, card_id = f"person:{person}", person, f.card
            bureau = ref.bureau_of_prefecture[f.prefecture]
        path = PATHS[state]
        submitted = bool(path)
        times = [min(created + dt.timedelta(hours=1, days=3 * k), plan.end) for k in range(3)]
        submitted_at = times[0] if submitted else None
        changed_at = times[len(path) - 1] if submitted else created
        receipt = submitted and state != "receipt_error"
        letter = ref.procedures.get(procedure, "")
        content = {
            "step1": {"procedure": procedure, "status": f.status},
            "step2": {
                "roman_name": f.roman_name,
                "birth_date": f.birth_date.isoformat(),
                "card_number": "" if procedure == "coe" else f.number,
                "nationality": f.nationality,
                "address": f.street,
            },
        }
        rows.add(
            (
                a,
                procedure,
                f.status if procedure != "work_certificate" else None,
                filer,
                organization_id,
                person_id,
                card_id,
                key,
                f.roman_name,
                birth_of(f.birth_date),
                f"applicant{a}@example.jp" if submitted else "",
                content_of(content),
                "post" if procedure != "coe" else "email",
                state,
                changed_at,
                f"仮{a:010d}" if submitted else None,
                f"{ref.receipt_prefix[bureau]}{letter}{a:08d}" if receipt else None,
                bureau if submitted else None,
                submitted_at.date() if submitted else None,
                submitted_at,
                submitted_at + dt.timedelta(minutes=1) if receipt else None,
                1 if submitted else 0,
                created,
                changed_at,
                submitted_at or created,
                changed_at if state == "completed" else None,
            )
        )
        base = a * 5
        first = "bulk_error" if state == "bulk_error" else "draft"
        changes.add((base, created, "", filer, a, first, service_a_username(filer)))
        previous = first
        for k, to_state in enumerate(path, start=1):
            changes.add((base + k, times[k - 1], previous, None, a, to_state, ""))
            previous = to_state
    return [rows, changes]


BUILDERS = {
    "cards": cards,
    "resident_users": resident_users,
    "organizations": organizations,
    "service_a_users": service_a_users,
    "filings": filings,
    "ofilings": ofilings,
    "applications": applications,
}
