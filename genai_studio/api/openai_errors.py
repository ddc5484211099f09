"""Errors in the OpenAI API's shape, carrying the studio's own messages.

`{"error": {"message", "type", "param", "code"}}` with the status code OpenAI would use, so
every client library raises its usual exception (BadRequestError, AuthenticationError...).
"""

from __future__ import annotations

import logging
import math

from fastapi.responses import JSONResponse

from genai_studio.errors import Busy, InvalidInput, ModelCrashed, ModelUnavailable, OutOfMemory, StudioError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered to the caller as it is."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.retry_after = retry_after

    def body(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def as_api_error(exc: BaseException) -> ApiError:
    """Any failure as an ApiError: studio errors keep their message, the rest are logged."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, InvalidInput):
        return ApiError(400, str(exc))
    if isinstance(exc, Busy):
        return ApiError(429, str(exc), type="rate_limit_error", code="busy", retry_after=exc.retry_after)
    if isinstance(exc, (ModelUnavailable, OutOfMemory, ModelCrashed)):
        return ApiError(503, str(exc), type="server_error", code="model_unavailable")
    if isinstance(exc, StudioError):
        return ApiError(500, str(exc), type="server_error")
    log.error("unexpected error in /v1", exc_info=exc)
    return ApiError(
        500,
        f"Something went wrong ({type(exc).__name__}). The details are in the server log.",
        type="server_error",
    )
