"""The one lifecycle machine: a declared table of states and moves, one guarded transition.

Every stateful record (residence cards, accounts, staff requests and reports, filings, service O
filings, bulk jobs, applications, mails) declares its lifecycle once, as a ``Lifecycle``: the
table of allowed moves, the start ("" for a row not yet written) and the final states. The
machine does the part every lifecycle shares and nothing else::

    CARD = Lifecycle("card", {ACTIVE: {INVALIDATED}, INVALIDATED: set()})

    def card_transition(card, *, to, actor, ...):
        def enter(locked, from_state, now):
            ...                                      # fields that change with the state
            return ["invalidated_at", ...]           # the names to save with the state

        def record(locked, from_state, now):
            audit_record(...)                        # history row, audit event, mails
        return CARD.transition(card, to=to, enter=enter, record=record)

``transition`` runs in the caller's transaction (or opens one): it locks the row
(``select_for_update``; of the row's own table only), reads the state it is in *now*, refuses a
move the table does not allow (``lifecycle.error``), sets the state and, where the model has
them, ``state_changed_at``/``updated_at``, lets ``enter`` change the fields that go with the new
state, saves only what changed, then calls ``record`` (history row, audit event, mails) in the
same transaction. Nothing else assigns a state.

Check constraints take their states from the table (``Lifecycle.constraint``), so a state added to
the table is the only place to add it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from . import clock

M = TypeVar("M", bound=models.Model)

NEW = ""  # the state of a row not written yet

Enter = Callable[[Any, str, dt.datetime], Iterable[str] | None]
Record = Callable[[Any, str, dt.datetime], None]


class IllegalTransition(Exception):  # noqa: N818 - the name says what happened
    """A move the lifecycle's table does not allow (a programming error unless a lifecycle names
    its own, user-facing error class)."""


class Lifecycle:
    """The allowed moves of one kind of record, and the one function that applies them."""

    def __init__(
        self,
        name: str,
        table: Mapping[str, Iterable[str]],
        *,
        final: Iterable[str] | None = None,
        field: str = "state",
        error: Callable[..., Exception] | None = None,
    ) -> None:
        self.name = name
        self.field = field
        self.table: dict[str, frozenset[str]] = {
            str(state): frozenset(str(to) for to in targets) for state, targets in table.items()
        }
        reached = {to for targets in self.table.values() for to in targets}
        unknown = reached - set(self.table)
        if unknown:
            raise ValueError(f"{name}: states without a row in the table: {sorted(unknown)}")
        self.final: frozenset[str] = (
            frozenset(str(state) for state in final)
            if final is not None
            else frozenset(state for state, targets in self.table.items() if not targets)
        )
        if self.final - set(self.table):
            raise ValueError(f"{name}: final states not in the table: {sorted(self.final)}")
        self.error = error or IllegalTransition

    # --- the table ------------------------------------------------------------------------------

    @property
    def states(self) -> frozenset[str]:
        """Every state a stored row may be in (the start "" excluded)."""
        return frozenset(state for state in self.table if state != NEW)

    def targets(self, state: str) -> frozenset[str]:
        """The states ``state`` may move to (none for an unknown state)."""
        return self.table.get(str(state), frozenset())

    def allows(self, state: str, to: str) -> bool:
        return str(to) in self.targets(state)

    def is_final(self, state: str) -> bool:
        return str(state) in self.final

    def check(self, state: str, to: str, *, label: str = "") -> None:
        """Raise ``self.error`` unless the table allows ``state`` → ``to``."""
        if not self.allows(state, to):
            raise self._refusal(state, to, label)

    def _refusal(self, state: str, to: str, label: str) -> Exception:
        if self.error is IllegalTransition or (
            isinstance(self.error, type) and issubclass(self.error, IllegalTransition)
        ):
            return self.error(f"{self.name} {label}: {state or 'new'} → {to} is not allowed")
        return self.error(state, to)

    def constraint(self, name: str, *, field: str | None = None) -> models.CheckConstraint:
        """A check constraint that the column holds one of the table's states."""
        return models.CheckConstraint(
            condition=models.Q(**{f"{field or self.field}__in": sorted(self.states)}), name=name
        )

    def sources(self, to: str) -> frozenset[str]:
        """The states that may move to ``to``."""
        return frozenset(state for state, targets in self.table.items() if str(to) in targets)

    # --- the one transition ---------------------------------------------------------------------

    def move(self, queryset: models.QuerySet, *, from_state: str, to: str, **changes: Any) -> int:
        """A compare-and-set transition for rows a worker claims without a lock (the outbox):
        move the rows of ``queryset`` that are in ``from_state`` to ``to`` in one UPDATE, with
        ``changes``; return how many moved (0 when another worker was first). The table is
        checked first, so a move it does not allow is a programming error here too."""
        self.check(from_state, to)
        return queryset.filter(**{self.field: from_state}).update(**{self.field: to}, **changes)

    def transition(
        self,
        instance: M,
        *,
        to: str,
        enter: Enter | None = None,
        record: Record | None = None,
        select_related: Iterable[str] = (),
        label: str = "",
    ) -> M:
        """Move ``instance`` to ``to``; return the locked, updated row (see the module text).

        A row not written yet (``pk`` None) moves from "" and is inserted, whole.
        """
        to = str(to)
        model = instance._meta.model  # not type(): request.user is a lazy object
        with transaction.atomic():
            now = clock.now()
            if instance.pk is None:
                locked, from_state = instance, NEW
            else:
                queryset = model._default_manager.select_for_update(of=("self",))
                related = tuple(select_related)
                if related:
                    queryset = queryset.select_related(*related)
                locked = queryset.get(pk=instance.pk)
                from_state = str(getattr(locked, self.field))
            if not self.allows(from_state, to):
                raise self._refusal(from_state, to, label or f"{locked.pk or 'new'}")
            setattr(locked, self.field, to)
            fields = [self.field]
            for stamp in ("state_changed_at", "updated_at"):
                if _has_field(model, stamp):
                    setattr(locked, stamp, now)
                    fields.append(stamp)
            if enter is not None:
                fields.extend(enter(locked, from_state, now) or ())
            if locked.pk is None:
                locked.save()
            else:
                locked.save(update_fields=list(dict.fromkeys(fields)))
            if record is not None:
                record(locked, from_state, now)
        return locked


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends
        return False
    return True


class StateChange(models.Model):
    """The append-only history row every lifecycle with a timeline keeps (abstract).

    A concrete history names its record (a ``ForeignKey`` with ``related_name="changes"``) and
    its ``to_state`` with the record's choices; the actor is kept by id and survives the account.
    """

    at = models.DateTimeField(_("time"))
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    record_field = ""  # the name of the ForeignKey to the record, for __str__

    class Meta:
        abstract = True
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        record = getattr(self, f"{self.record_field}_id", "") if self.record_field else ""
        return f"{record}: {self.from_state or '—'} → {self.to_state}"
