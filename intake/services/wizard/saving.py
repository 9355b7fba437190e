"""Saving a step: a draft always, unless the copy is stale or the category locked."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from forms.builder import Step
from intake import signals
from intake.extensions import db
from intake.models.submission import COMPLETE
from intake.services import values as value_service
from intake.services.wizard.checks import Checked, check_step
from intake.services.wizard.drafts import StepInput
from intake.services.wizard.steps import steps


# ------------------------------------------------------------------------------ saving
@dataclass
class SaveOutcome:
    status: str  # saved | conflict | locked
    version: int
    checked: Checked | None = None
    changes: list = field(default_factory=list)  # ValueAudit rows since the stale copy

    @property
    def blocking(self) -> bool:
        return self.checked is not None and self.checked.blocking


def current_version(city_id: int, category_id: str) -> int:
    state = value_service.category_state(city_id, category_id)
    return state.version if state is not None else 0

def save_step(city_id: int, step: Step, submitted: StepInput, *, expected_version: int,
              actor: str, locale: str = "en", action: str = "save") -> SaveOutcome:
    """Save a step as a draft (always, even invalid) unless the copy is stale or locked.

    `action` ("next", "back", "save") decides where "continue" lands next time.
    """
    category_id = step.category_id
    checked = check_step(city_id, step, submitted, locale)
    last = len(steps(category_id)) - 1
    if action == "next" and not checked.blocking:
        current_step = min(step.index + 1, last)
    elif action == "back":
        current_step = max(step.index - 1, 0)
    else:
        current_step = step.index
    # One statement claims the version and records the step when the copy is current and
    # the category open; only a refused claim reads the state to say why.
    try:
        version = value_service.try_lock(city_id, category_id, expected_version,
                                         current_step=current_step)
    except IntegrityError:
        db.session.rollback()
        version = None
    if version is None:
        state = value_service.category_state(city_id, category_id)
        locked = state is not None and state.status == COMPLETE
        locked_version = state.version if state is not None else 0
        db.session.rollback()
        if locked:
            return SaveOutcome("locked", locked_version)
        return SaveOutcome("conflict", current_version(city_id, category_id), checked,
                           value_service.audit_since(city_id, category_id, expected_version))
    changed = value_service.store_entries(city_id, checked.entries, actor=actor,
                                          category_id=category_id, category_version=version)
    value_service.store_provenance(city_id, checked.provenance, actor=actor)
    db.session.commit()
    if changed:
        # The saved category was open for editing (its claim succeeded), so the receivers
        # need not look its state up again; the others (a shared figure such as the
        # population feeds many) are re-scored by one job, not one per category.
        signals.data_changed_in(city_id, value_service.categories_using(changed),
                                open_category=category_id)
    return SaveOutcome("saved", version, checked)
