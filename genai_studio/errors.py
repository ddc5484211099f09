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


class ModelCrashed(StudioError):
    """The process running a model died during a job (a native crash, out of memory, a kill);
    the studio keeps serving and starts the model afresh for the next request."""


class Busy(StudioError):
    """The studio, or this user's share of it, cannot take another job now.

    `retry_after` is how many seconds to wait before asking again (HTTP's Retry-After)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple:  # pickled across processes with its wait
        return (type(self), (str(self), self.retry_after))
