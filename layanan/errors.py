"""Typed refusals of the workflow. Each carries an Indonesian message for the user."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every refusal; ``message`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WorkflowError):
    """The complaint (or another record) does not exist."""


class WrongRole(WorkflowError):
    """The actor does not hold the role the SOP gives this action."""


class WrongUnit(WorkflowError):
    """The actor's unit is not among the units the complaint is assigned to."""


class WrongStep(WorkflowError):
    """The action does not belong to the complaint's current step (or it is closed)."""


class MissingItem(WorkflowError):
    """A required item (kelengkapan) of the step is missing."""

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


class InvalidInput(WorkflowError):
    """A value given with the action is malformed (bad unit, bad choice, too long)."""


class StaleVersion(WorkflowError):
    """Someone else moved the complaint first (optimistic concurrency)."""

    def __init__(self, message: str, acted_by: str | None = None) -> None:
        super().__init__(message)
        self.acted_by = acted_by


class NotAllowed(WorkflowError):
    """Any other authorisation refusal (inactive account, page not granted, ...)."""
