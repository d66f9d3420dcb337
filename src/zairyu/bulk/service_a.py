"""Service A row kinds (BK-1, BK-5; 002 Q4-23..Q4-26): one row per applicant, one procedure
and one input screen per file — the procedure is the kind, the status of residence (and the
STEP1 add-ons) are asked once for the file, so every row goes through the same screens.

Each row becomes an application of the uploader (002 Q4-25):

- **入力完了 (draft)** when every step that applies passes: ``application_start`` and
  ``draft_save(partial=False)`` for each step of ``steps_for`` — the same services and checks
  as the input screens (card match, eligibility, A-5 one open draft per applicant). Documents
  and the photo are added on the application's own pages before it is submitted.
- **エラー(一括登録) (bulk_error)** otherwise: the row's input is kept as typed, with its
  errors, so the filer can view it (and the job page shows each error by cell) or delete it
  (``bulk_error_delete``, audited).

Columns and the row checks come from the input screens' forms
(``applications.forms.Personal1Form`` …) built for the file's procedure; nothing else lists
the fields.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zairyu.accounts.models import Category
from zairyu.applications import forms as a_forms
from zairyu.applications import rules as a_rules
from zairyu.applications import services as a_services
from zairyu.applications.models import Application, ApplicationState, MainProcedure

from .kinds import DATE, TEXT, CellError, Column, Outcome, Prepared, RowKind, errors_from, register

STEP_FORMS: dict[str, type[a_forms.StepForm]] = {
    "personal1": a_forms.Personal1Form,
    "personal2": a_forms.Personal2Form,
    "organization": a_forms.OrganizationForm,
    "step3": a_forms.Step3Form,
}
OPTION_FIELDS = ("status", "period_requested", "reentry", "other_activity")
# Those who file for many applicants (REFERENCE.md §9); a foreign national or a relative files
# their own application on the screens.
BULK_CATEGORIES = frozenset(
    {
        Category.LAWYER,
        Category.ORGANIZATION_STAFF,
        Category.PUBLIC_INTEREST_STAFF,
        Category.RSO_STAFF,
    }
)


class ServiceAKind(RowKind):
    service = "A"
    keeps_error_rows = True  # error rows become エラー(一括登録) applications (BK-5)

    def __init__(self, procedure: str) -> None:
        self.procedure = procedure
        self.key = f"a_{procedure}"

    @property
    def title(self) -> str:
        return str(MainProcedure(self.procedure).label)

    @property
    def description(self) -> str:
        return _(
            "One row per applicant, all for this procedure and the status chosen for the file. "
            "Complete rows become applications in “Entered (not yet submitted)”; "
            "rows with errors become applications in “Error (bulk registration)” that you can "
            "view and delete. Documents and the photo are added to each application "
            "before it is submitted."
        )

    def instructions(self) -> list[str]:
        return [self.description]

    def available_to(self, user) -> bool:
        return (
            user.category in BULK_CATEGORIES
            and a_rules.refuse_category(user, self.procedure) is None
        )

    # --- the screens of this procedure -------------------------------------------------------

    def _stub(self, user, options: dict | None = None) -> Application:
        options = options or {}
        return Application(
            procedure_id=self.procedure, status_id=options.get("status") or None, filer=user
        )

    def _form(self, step: str, user, data=None, options: dict | None = None):
        kwargs = {"application": self._stub(user, options), "user": user}
        if step == "step3":
            kwargs["methods"] = a_rules.receipt_methods_offered(self.procedure)
        return STEP_FORMS[step](data, **kwargs)

    def steps(self) -> list[str]:
        """The steps a row may fill: STEP2-2 only for card holders, STEP2-3 only where it can
        apply (the service decides per status; the columns are then ignored)."""
        found = ["personal1"]
        if self.procedure in a_services.CARD_HOLDER_PROCEDURES:
            found.append("personal2")
        if self.procedure in a_services.ORGANIZATION_FORM_PROCEDURES:
            found.append("organization")
        found.append("step3")
        return found

    def columns(self, user=None) -> list[Column]:
        columns = []
        for step in self.steps():
            form = self._form(step, user)
            for name, field in form.fields.items():
                column = Column.from_field(name, field)
                if isinstance(field, forms.DateField):
                    column = Column(**{**column.__dict__, "type": DATE})
                if column.type == "choice" and not column.choices:  # municipality: by code
                    column = Column(**{**column.__dict__, "type": TEXT})
                if step == "organization":  # asked only where STEP2-3 applies
                    column = Column(**{**column.__dict__, "required": False})
                columns.append(column)
        return columns

    def option_fields(self, user) -> dict[str, forms.Field]:
        form = a_forms.Step1Form(user=user)
        fields = {name: form.fields[name] for name in OPTION_FIELDS}
        if self.procedure not in a_forms.ADD_ON_PROCEDURES:
            fields.pop("reentry")
            fields.pop("other_activity")
        return fields

    def clean_options(self, user, options: dict) -> dict:
        """STEP1 with the screen's own form (one status per file: one input screen)."""
        data = {"procedure": self.procedure, **{k: v for k, v in options.items() if v}}
        form = a_forms.Step1Form(data, user=user)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        found = a_rules.refuse_category(user, self.procedure)
        if found is not None:
            raise a_rules.refusals_as_error([found])
        kwargs = form.start_kwargs()
        kwargs.pop("procedure")
        return kwargs

    # --- rows ----------------------------------------------------------------------------------

    def validate(self, job, rows) -> list[Prepared]:
        names = [c.name for c in self.columns(job.user)]
        choice_columns = {c.name: c for c in self.columns(job.user) if c.choices}
        prepared = []
        for row in rows:
            typed = {name: row.values.get(name, "") for name in names}
            for name, column in choice_columns.items():
                if typed.get(name):
                    typed[name] = column.to_code(typed[name])
            steps: dict[str, dict] = {}
            errors: list[CellError] = []
            for step in self.steps():
                form = self._form(step, job.user, data=dict(typed), options=job.options)
                if form.is_valid():
                    steps[step] = form.as_content()
                else:
                    steps[step] = {n: typed.get(n, "") for n in form.fields}
                    if step != "organization":  # checked only if the step applies (submit)
                        errors.extend(_form_errors(form, names))
            prepared.append(Prepared(row=row, errors=errors, data={"steps": steps, "typed": typed}))
        return prepared

    def submit(self, job, prepared: list[Prepared]) -> list[Outcome]:
        names = [c.name for c in self.columns(job.user)]
        outcomes = []
        for item in prepared:
            errors = list(item.errors)
            application = None
            if not errors:
                try:
                    with transaction.atomic():  # a row that fails leaves no draft behind
                        application = self._draft(job, item)
                except ValidationError as exc:
                    errors = errors_from(exc, names)
            if application is None:
                application = self._bulk_error(job, item, errors)
            outcomes.append(
                Outcome(
                    row_number=item.row.row_number,
                    obj=application,
                    number=str(application.pk),
                    errors=errors,
                )
            )
        return outcomes

    def _draft(self, job, item: Prepared) -> Application:
        user = job.user
        application = a_services.application_start(
            user=user, procedure=self.procedure, **job.options
        )
        for step in a_services.steps_for(application):
            if step == "step1":
                continue
            application = a_services.draft_save(
                user=user,
                application=application,
                step=step,
                data=item.data["steps"].get(step, {}),
                partial=False,
            )
        return application

    def _bulk_error(self, job, item: Prepared, errors: list[CellError]) -> Application:
        """The row as typed, in エラー(一括登録), with its errors (BK-5, 002 Q4-25)."""
        content = {"step1": {"procedure": self.procedure, **job.options}}
        content.update(item.data["steps"])
        content["bulk"] = {
            "job": job.pk,
            "row": item.row.row_number,
            "errors": [e.as_json() for e in errors],
        }
        options = job.options
        application = Application(
            procedure_id=self.procedure,
            status_id=options.get("status") or None,
            period_requested=options.get("period_requested") or "",
            reentry=options.get("reentry") or "",
            other_activity=bool(options.get("other_activity")),
            filer=job.user,
            organization=(
                a_rules.staff_organization(job.user)
                if job.user.category == Category.ORGANIZATION_STAFF
                else None
            ),
            content=content,
            steps_done=[],
        )
        return a_services.transition(
            application,
            to=ApplicationState.BULK_ERROR,
            actor=job.user,
            note=f"{job.number} row {item.row.row_number}",
        )


def _form_errors(form, names) -> list[CellError]:
    from .kinds import form_errors

    return form_errors(form, names)


for _procedure in MainProcedure.values:
    register(ServiceAKind(_procedure))
