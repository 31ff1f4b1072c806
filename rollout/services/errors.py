"""Typed service errors. Each carries an ARM error code, a message, the target property path
and an HTTP status, so the API's error envelope and the dashboard's messages come from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    target: str | None = None

    def as_dict(self) -> dict[str, str]:
        data = {"code": self.code, "message": self.message}
        if self.target:
            data["target"] = self.target
        return data


@dataclass
class ServiceError(Exception):
    """A refused request; nothing was changed."""

    code: str
    message: str
    target: str | None = None
    details: tuple[Problem, ...] = field(default=())
    status: int = 400

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_problems(cls, problems: list[Problem], status: int = 400) -> ServiceError:
        first = problems[0]
        details = tuple(problems) if len(problems) > 1 else ()
        return cls(first.code, first.message, first.target, details, status)

    def as_envelope(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        error["details"] = [problem.as_dict() for problem in self.details]
        return {"error": error}


def invalid_parameter(message: str, target: str | None = None) -> ServiceError:
    return ServiceError("InvalidParameter", message, target)


def not_found(message: str, code: str = "ResourceNotFound") -> ServiceError:
    return ServiceError(code, message, status=404)


def conflict(message: str, code: str = "Conflict") -> ServiceError:
    return ServiceError(code, message, status=409)
