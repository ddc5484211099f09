"""User-facing errors: their message tells the user what happened and what to change.

The UI shows these messages as they are; any other exception is logged with its traceback
and reaches the user as a short generic message.
"""


class StudioError(Exception):
    """Base of every error whose message is meant for the user."""


class InvalidInput(StudioError, ValueError):
    """User input that cannot be used as given."""


class ModelUnavailable(StudioError):
    """A model that cannot run here (missing weights, no GPU, server unreachable...)."""


class OutOfMemory(StudioError):
    """The machine ran out of memory; the studio unloaded its models and keeps serving."""
