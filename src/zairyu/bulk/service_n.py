"""Service N row kinds: Art. 19-17 notifications of an organization (one row per resident, or
one roster of students) and the Art. 19-16 notifications an organization files on residents'
request (NF-4; 001 Q78: those residents must be registered).

Columns and checks are the single-filing forms' (``zairyu.filings.forms``); rows are filed by
the same services (``filing_submit_organization``, ``filing_submit_proxy``). The only thing
added is that a batch is matched against the card registry in one query
(``cards.selectors.card_match_many``): the services receive faces whose match is known.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zairyu.accounts.forms_resident import CardFaceForm
from zairyu.cards.models import ResidenceCard
from zairyu.cards.selectors import card_match_many
from zairyu.core import clock
from zairyu.core.work import enqueue_on_commit
from zairyu.filings import forms as filing_forms
from zairyu.filings import rules as filing_rules
from zairyu.filings import services as filing_services
from zairyu.filings.labels import local_name
from zairyu.filings.models import Filing, FilingState
from zairyu.filings.selectors import organization_of, registered_resident_accounts_many
from zairyu.reference.models import NotificationEvent
from zairyu.reference.selectors import notification_event, notification_events

from .kinds import (
    CellError,
    Column,
    Outcome,
    Prepared,
    RowKind,
    errors_from,
    form_errors,
    merge_column_errors,
    register_family,
)

CARD_COLUMNS = ("number", "roman_name", "nationality", "birth_date", "sex")


@dataclasses.dataclass(frozen=True)
class MatchedFace(filing_services.CardFace):
    """A card face whose registry match (and, for a proxy filing, the resident's registered
    accounts) was looked up for the whole batch at once."""

    card: ResidenceCard | None = None
    accounts: tuple | None = None

    def match(self) -> ResidenceCard | None:
        return self.card

    def resident_accounts(self, card: ResidenceCard) -> list:
        if self.accounts is None or card != self.card:
            return super().resident_accounts(card)
        return list(self.accounts)


@dataclasses.dataclass(frozen=True)
class MatchedRosterLine(filing_services.RosterLine):
    card: ResidenceCard | None = None

    def match(self) -> ResidenceCard | None:
        return self.card


def _event(code: str) -> NotificationEvent:
    """The event with its items and statuses, through the reference cache (read only)."""
    event = notification_event(code)
    if event is None:
        raise NotificationEvent.DoesNotExist(code)
    return event


def _face_kwargs(face: filing_services.CardFace, *, prefecture: bool) -> dict:
    kwargs = {
        "number": face.number,
        "roman_name": face.roman_name,
        "nationality": face.nationality,
        "birth_date": face.birth_date,
        "sex": face.sex,
    }
    if prefecture:
        kwargs["prefecture"] = face.prefecture
    return kwargs


def _choice_columns(form) -> dict[str, Column]:
    return {
        name: Column.from_field(name, field)
        for name, field in form.fields.items()
        if isinstance(field, forms.ChoiceField)
    }


def _bound(
    values: dict, names, initial: dict | None = None, choices=None, codes: dict | None = None
) -> dict:
    """The form data of a row: choices read from code or list entry, blanks from initial.

    ``codes``: a dict kept for a batch, remembering what ``Column.to_code`` answered for each
    (column, value) — a file repeats the same few nationalities and prefectures."""
    data = {name: values.get(name, "") for name in names}
    codes = {} if codes is None else codes
    for name, column in (choices or {}).items():
        value = data.get(name)
        if value and isinstance(value, str):
            key = (name, value)
            if key not in codes:
                codes[key] = column.to_code(value)
            data[name] = codes[key]
        elif value:
            data[name] = column.to_code(value)
    for name, value in (initial or {}).items():
        if name in data and not data[name]:
            data[name] = value
    return data


class _ServiceNKind(RowKind):
    service = "N"

    def __init__(self, event: NotificationEvent) -> None:
        self.event_code = event.pk
        # The row as listed (names, article, organization kind); ``event()`` reads it with its
        # items and statuses.
        self.listed = event

    @property
    def title(self) -> str:
        return local_name(self.listed)

    def event(self) -> NotificationEvent:
        return _event(self.event_code)

    def organization(self, user):
        return organization_of(user)

    # --- rows through the form --------------------------------------------------------------

    @abc.abstractmethod
    def form(self, user, data=None, event=None):
        """The single-filing form this kind's rows are checked with (its fields are the
        columns)."""

    def field_names(self, form) -> list[str]:
        return [*form.face_names, *form.item_codes]

    def columns(self, user=None) -> list[Column]:
        form = self.form(user, event=self.event())
        return [Column.from_field(name, form.fields[name]) for name in self.field_names(form)]

    def row_options(self, job) -> dict:
        return {}

    def validate(self, job, rows) -> list[Prepared]:
        event = self.event()
        prepared: list[Prepared] = []
        blank = self.form(job.user, event=event)
        names = self.field_names(blank)
        choices = _choice_columns(blank)
        options = self.row_options(job)
        codes: dict = {}
        for row in rows:
            data = _bound(row.values, names, initial=blank.initial, choices=choices, codes=codes)
            data.update(options)
            form = self.form(job.user, data=data, event=event)
            if not form.is_valid():
                prepared.append(Prepared(row=row, errors=form_errors(form, names)))
                continue
            prepared.append(Prepared(row=row, data={"form": form, "event": event}))
        valid = [p for p in prepared if not p.errors]
        cards = card_match_many(
            [_face_kwargs(p.data["form"].card_face(), prefecture=True) for p in valid]
        )
        accounts = self.resident_accounts([card for card in cards if card is not None])
        for item, card in zip(valid, cards, strict=True):
            face = item.data["form"].card_face()
            found = accounts.get(card.person_id) if card is not None and accounts else None
            item.data["face"] = MatchedFace(
                **dataclasses.asdict(face),
                card=card,
                accounts=tuple(found) if found is not None else None,
            )
            item.data["items"] = item.data["form"].items()
            item.data["columns"] = names
        return prepared

    def resident_accounts(self, cards: list[ResidenceCard]) -> dict | None:
        """{person id: registered accounts} for the batch, when the service asks (NF-4)."""
        return None


class _PerRowKind(_ServiceNKind):
    """A kind where each row is one filing (organizations' events, proxy filings)."""

    @abc.abstractmethod
    def call_service(self, job, item: Prepared, previous: dict, batch: filing_services.FilingBatch):
        """File one checked row through the service N service the single form uses, with the
        batch's ``previous`` filings and its ``batch`` to write the new filing in."""

    def submit(self, job, prepared: list[Prepared]) -> list[Outcome]:
        # The filings the batch's row tokens already made (a rerun), in one query; each service
        # call still decides on its own row's (``previous=``). The service checks each row as
        # a single filing and hands the new filing to ``batch``, which writes them together.
        previous = filing_services.previous_filings(item.row.token for item in prepared)
        batch = filing_services.FilingBatch(job.user)
        filed: list[tuple[Prepared, Filing]] = []
        outcomes = []
        for item in prepared:
            try:
                filed.append((item, self.call_service(job, item, previous, batch)))
            except ValidationError as exc:
                errors = merge_column_errors(errors_from(exc, item.data["columns"]))
                outcomes.append(Outcome(row_number=item.row.row_number, errors=errors))
        written = batch.write()
        for item, filing in filed:
            filing = written.get(filing.token, filing)  # a rerun's filing is already written
            outcomes.append(
                Outcome(row_number=item.row.row_number, obj=filing, number=filing.number)
            )
        register_on_commit([o.obj for o in outcomes if o.obj is not None])
        return outcomes


class OrganizationKind(_PerRowKind):
    """Art. 19-17: acceptance started or ended, one row per resident (NF-3)."""

    def __init__(self, event: NotificationEvent) -> None:
        super().__init__(event)
        self.key = f"n_19_17_{event.pk}"
        self.accepting = event.organization_kind == NotificationEvent.OrganizationKind.ACCEPTING

    @property
    def title(self) -> str:
        who = _("residents") if self.accepting else _("students")
        return _("%(event)s (Art. 19-17, %(who)s)") % {"event": super().title, "who": who}

    @property
    def description(self) -> str:
        return _("Art. 19-17: one row per resident, filed by the organization.")

    def available_to(self, user) -> bool:
        organization = self.organization(user)
        return organization is not None and filing_rules.organization_may_file(
            self.listed, organization
        )

    def form(self, user, data=None, event=None):
        form = filing_forms.OrganizationFilingForm(data, event=event or self.event())
        return form

    def option_fields(self, user) -> dict[str, forms.Field]:
        if not self.accepting:
            return {}
        form = self.form(user)
        return {"not_bound_to_report": form.fields["not_bound_to_report"]}

    def clean_options(self, user, options: dict) -> dict:
        if not self.accepting:
            return {}
        return {"not_bound_to_report": bool(options.get("not_bound_to_report"))}

    def row_options(self, job) -> dict:
        if self.accepting and job.options.get("not_bound_to_report"):
            return {"not_bound_to_report": "on"}
        return {}

    def call_service(self, job, item, previous, batch):
        return filing_services.filing_submit_organization(
            user=job.user,
            event=item.data["event"],
            items=item.data["items"],
            token=item.row.token,
            face=item.data["face"],
            not_bound_to_report=bool(job.options.get("not_bound_to_report")),
            source=job.number,
            previous=previous,
            batch=batch,
        )


class ProxyKind(_PerRowKind):
    """Art. 19-16 on the residents' request: the change of the organization's name or
    address, one row per registered resident (NF-4, 001 Q78)."""

    def __init__(self, event: NotificationEvent) -> None:
        super().__init__(event)
        self.key = f"n_19_16_proxy_{event.pk}"

    @property
    def title(self) -> str:
        return _("%(event)s (for residents, on their request)") % {"event": super().title}

    @property
    def description(self) -> str:
        return _(
            "Art. 19-16 on the residents' request: every resident listed must be registered "
            "with this system. Blank organization columns take your organization's "
            "registered name and address."
        )

    def available_to(self, user) -> bool:
        return self.organization(user) is not None

    def form(self, user, data=None, event=None):
        return filing_forms.ProxyFilingForm(
            data, event=event or self.event(), organization=self.organization(user)
        )

    def option_fields(self, user) -> dict[str, forms.Field]:
        field = self.form(user).fields["requested_by_resident"]
        field.label = _("Every resident listed asked us to file this notification for them")
        return {"requested_by_resident": field}

    def clean_options(self, user, options: dict) -> dict:
        return {"requested_by_resident": bool(options.get("requested_by_resident"))}

    def row_options(self, job) -> dict:
        if job.options.get("requested_by_resident"):
            return {"requested_by_resident": "on"}
        return {}

    def call_service(self, job, item, previous, batch):
        return filing_services.filing_submit_proxy(
            user=job.user,
            face=item.data["face"],
            event=item.data["event"],
            items=item.data["items"],
            requested_by_resident=bool(job.options.get("requested_by_resident")),
            token=item.row.token,
            source=job.number,
            previous=previous,
            batch=batch,
        )

    def resident_accounts(self, cards: list[ResidenceCard]) -> dict:
        return registered_resident_accounts_many({card.person_id for card in cards})


class RosterKind(_ServiceNKind):
    """A school's roster as of 1 May / 1 November: one row per student, the whole file is
    one notification (REFERENCE.md §3)."""

    batch_size = 0  # one filing for the whole file

    def __init__(self, event: NotificationEvent) -> None:
        super().__init__(event)
        self.key = f"n_19_17_{event.pk}"

    @property
    def description(self) -> str:
        return _(
            "One row per enrolled student; the rows that match a student's residence card make "
            "one roster notification."
        )

    def available_to(self, user) -> bool:
        organization = self.organization(user)
        return organization is not None and filing_rules.organization_may_file(
            self.listed, organization
        )

    def form(self, user, data=None, event=None):
        return CardFaceForm(data)

    def field_names(self, form) -> list[str]:
        return list(CARD_COLUMNS)

    def option_fields(self, user) -> dict[str, forms.Field]:
        form = filing_forms.RosterForm(event=self.event(), today=clock.today())
        return {"as_of": form.fields["as_of"]}

    def clean_options(self, user, options: dict) -> dict:
        form = filing_forms.RosterForm(
            {"as_of": options.get("as_of") or "", "roster": "-"},
            event=self.event(),
            today=clock.today(),
        )
        form.is_valid()
        if "as_of" in form.errors:
            raise ValidationError({"as_of": form.errors["as_of"]})
        return {"as_of": form.cleaned_data["as_of"].isoformat()}

    def validate(self, job, rows) -> list[Prepared]:
        prepared = []
        choices = _choice_columns(self.form(job.user))
        codes: dict = {}
        for row in rows:
            data = _bound(row.values, CARD_COLUMNS, choices=choices, codes=codes)
            form = self.form(job.user, data=data)
            if not form.is_valid():
                prepared.append(Prepared(row=row, errors=form_errors(form, CARD_COLUMNS)))
                continue
            data = form.cleaned_data
            line = filing_services.RosterLine(
                row.row_number,
                data["number"],
                data["roman_name"],
                data["nationality"],
                data["birth_date"],
                data["sex"],
            )
            prepared.append(Prepared(row=row, data={"line": line}))
        valid = [p for p in prepared if not p.errors]
        cards = card_match_many(
            [
                {
                    "number": p.data["line"].number,
                    "roman_name": p.data["line"].roman_name,
                    "nationality": p.data["line"].nationality,
                    "birth_date": p.data["line"].birth_date,
                    "sex": p.data["line"].sex,
                }
                for p in valid
            ]
        )
        for item, card in zip(valid, cards, strict=True):
            item.data["line"] = MatchedRosterLine(
                **dataclasses.asdict(item.data["line"]), card=card
            )
        return prepared

    def submit(self, job, prepared: list[Prepared]) -> list[Outcome]:
        """File the valid rows as one roster; rows the service finds unmatched are reported
        and the roster is filed with the others (BK-3: errors affect only their rows)."""
        event = self.event()
        as_of = dt.date.fromisoformat(job.options["as_of"])
        pending = {item.row.row_number: item for item in prepared}
        outcomes: dict[int, Outcome] = {}
        while pending:
            try:
                filing = filing_services.filing_submit_organization(
                    user=job.user,
                    event=event,
                    items={},
                    token=roster_token(job),
                    roster=[pending[n].data["line"] for n in sorted(pending)],
                    as_of=as_of,
                    source=job.number,
                )
            except ValidationError as exc:
                lines = _unmatched_lines(exc)
                if not lines or not set(lines) & set(pending):
                    for number in pending:
                        outcomes[number] = Outcome(
                            row_number=number, errors=errors_from(exc, CARD_COLUMNS)
                        )
                    break
                for number in lines:
                    if number in pending:
                        del pending[number]
                        outcomes[number] = Outcome(row_number=number, errors=_not_a_student())
                continue
            for number in pending:
                outcomes[number] = Outcome(row_number=number, obj=filing, number=filing.number)
            register_on_commit([filing])
            break
        return [outcomes[item.row.row_number] for item in prepared]


def register_on_commit(filings) -> None:
    """Queue the registration of a batch's new filings as ONE task once the batch commits
    (the filings services leave it to the job: ``source=``)."""
    ids = sorted({f.pk for f in filings if f.state == FilingState.REGISTERING})
    if ids:
        from .tasks import bulk_register_filings_task

        enqueue_on_commit(bulk_register_filings_task, ids)


_ROSTER_TOKENS = uuid.UUID("6f1c2a5e-0b7d-4c1e-9a43-2f5d8e7b9c10")


def roster_token(job) -> uuid.UUID:
    """The roster filing's token, one per job: a rerun of the job finds the filing it made (a
    refused attempt creates nothing, so the retry with fewer rows may use the same token)."""
    return uuid.uuid5(_ROSTER_TOKENS, f"bulk-job-{job.pk}")


def _unmatched_lines(exc: ValidationError) -> list[int]:
    for error in getattr(exc, "error_dict", {}).get("roster", []):
        if error.code == "roster_not_matched" and error.params:
            return list(error.params.get("lines", []))
    return []


def _not_a_student() -> list[CellError]:
    check = _("Check this entry against the student's residence card.")
    return [
        CellError(
            column="",
            code="roster_not_matched",
            message=_(
                "This row does not match a valid residence card of a student (留学). Enter the "
                "card number, name, nationality or region, date of birth and sex exactly as "
                "printed on the student's residence card."
            ),
        ),
        *(CellError(column=name, code="card_check", message=check) for name in CARD_COLUMNS),
    ]


def service_n_kinds():
    """One kind per Art. 19-17 event and per event an organization files for residents."""
    events = sorted(notification_events(), key=lambda e: (e.sort_order, e.pk))
    kinds: list[RowKind] = []
    proxies: list[RowKind] = []
    for event in events:
        if event.article == filing_rules.ART_19_17:
            kinds.append(
                RosterKind(event) if filing_rules.is_roster(event) else OrganizationKind(event)
            )
        elif filing_rules.is_proxy_event(event):
            proxies.append(ProxyKind(event))
    return kinds + proxies


register_family("service_n", service_n_kinds)
