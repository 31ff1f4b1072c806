"""Azure's wire types: one description serves the request parser, the serializers (``dump``)
and the OpenAPI file.

``Obj(...).parse(json_value, path)`` returns the members the request gave (wire names, values
of the right Python type, enums in Azure's casing) or raises a ``ServiceError`` naming the
property: ``InvalidRequestContent`` for a wrong type or an unknown member (as Azure's
deserializer words it), ``InvalidParameter`` for a value out of range. Member names match
case-insensitively and ``null`` means "not given", as Azure reads them. Members Azure knows but
Rollwright does not model are accepted and ignored (``tolerated``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from orchestrator.policy import format_duration, parse_duration
from rollout.services.errors import ServiceError
from rollout.services.wire import arm_time

TOLERATED_DESCRIPTION = "Accepted for compatibility with Azure; Rollwright does not model it."


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def wrong_type(value: Any, type_name: str, path: str) -> ServiceError:
    return ServiceError(
        "InvalidRequestContent",
        "The request content was invalid and could not be deserialized: 'Error converting "
        f"value {_shown(value)} to type '{type_name}'. Path '{path}'.'",
        path,
    )


def out_of_range(path: str, message: str) -> ServiceError:
    return ServiceError("InvalidParameter", f"The value of parameter '{path}' {message}", path)


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Node:
    """One kind of JSON value: ``parse`` reads it from a request, ``dump`` writes a model's value
    of it to a response, ``openapi`` describes it."""

    def parse(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        return value

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Str(Node):
    max_length: int = 256
    min_length: int = 0
    pattern: str | None = None
    description: str = ""

    def parse(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise wrong_type(value, "System.String", path)
        if len(value) > self.max_length:
            raise out_of_range(path, f"is too long: at most {self.max_length} characters.")
        if len(value) < self.min_length:
            raise out_of_range(path, f"is too short: at least {self.min_length} characters.")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise out_of_range(path, f"'{value}' is not valid: {self.description}")
        return value

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.pattern is not None:
            schema["pattern"] = f"^{self.pattern}$"
        if self.description:
            schema["description"] = self.description
        return schema


@dataclass(frozen=True)
class Int(Node):
    minimum: int
    maximum: int

    def parse(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(value, "System.Int32", path)
        if not self.minimum <= value <= self.maximum:
            raise out_of_range(
                path,
                f"is out of range: {value}. The value must be between {self.minimum} and "
                f"{self.maximum}, inclusive.",
            )
        return value

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class Bool(Node):
    def parse(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise wrong_type(value, "System.Boolean", path)
        return value

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Enum(Node):
    values: tuple[str, ...]

    def parse(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise wrong_type(value, "System.String", path)
        for known in self.values:
            if value.lower() == known.lower():
                return known
        raise ServiceError(
            "InvalidParameter",
            f"The value {_shown(value)} of parameter '{path}' is not valid. Allowed values "
            f"are: {', '.join(self.values)}.",
            path,
        )

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True)
class Duration(Node):
    """An ISO 8601 duration such as ``PT0S`` or ``PT1H30M``."""

    maximum: timedelta = timedelta(hours=24)  # Rollwright's cap on a duration a request states

    def parse(self, value: Any, path: str) -> timedelta:
        if not isinstance(value, str):
            raise wrong_type(value, "System.TimeSpan", path)
        try:
            duration = parse_duration(value) if len(value) <= 40 else None
        except (ValueError, OverflowError):
            duration = None
        if duration is None:
            raise out_of_range(path, f"{_shown(value)} is not an ISO 8601 duration like PT5M.")
        if duration > self.maximum:
            raise out_of_range(path, f"is out of range: at most {format_duration(self.maximum)}.")
        return duration

    def dump(self, value: timedelta) -> str:
        return format_duration(value)

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "duration", "example": "PT0S"}


@dataclass(frozen=True)
class Base64(Node):
    max_bytes: int

    def parse(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise wrong_type(value, "System.String", path)
        if len(value) > (self.max_bytes + 2) // 3 * 4 + 4:
            raise out_of_range(path, f"is too long: at most {self.max_bytes} bytes once decoded.")
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise out_of_range(path, "must be Base64-encoded.") from None
        if len(decoded) > self.max_bytes:
            raise out_of_range(path, f"is too long: at most {self.max_bytes} bytes once decoded.")
        return value

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "byte"}


@dataclass(frozen=True)
class DateTime(Node):
    def parse(self, value: Any, path: str) -> datetime:
        if not isinstance(value, str):
            raise wrong_type(value, "System.DateTime", path)
        try:
            moment = parse_datetime(value) if len(value) <= 40 else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise out_of_range(path, f"{_shown(value)} is not an ISO 8601 time with an offset.")
        return moment

    def dump(self, value: datetime | None) -> str | None:
        return arm_time(value)

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True)
class StrMap(Node):
    """Tags: a JSON object of string values."""

    max_items: int = 50
    key_max: int = 512
    value_max: int = 256

    def parse(self, value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, dict):
            raise wrong_type(value, "System.Collections.Generic.IDictionary", path)
        if len(value) > self.max_items:
            raise out_of_range(path, f"has too many entries: at most {self.max_items}.")
        result: dict[str, str] = {}
        for key, item in value.items():
            if not 0 < len(key) <= self.key_max:
                raise out_of_range(join(path, key[:40]), "has a name of 1 to 512 characters.")
            result[key] = Str(self.value_max).parse(item, join(path, key))
        return result

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "maxProperties": self.max_items,
            "additionalProperties": {"type": "string", "maxLength": self.value_max},
        }


@dataclass(frozen=True)
class JsonObject(Node):
    """Free-form settings: any JSON object."""

    def parse(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise wrong_type(value, "Newtonsoft.Json.Linq.JObject", path)
        return value

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": True}


@dataclass(frozen=True)
class Arr(Node):
    item: Node
    max_items: int
    min_items: int = 0

    def parse(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise wrong_type(value, "System.Collections.Generic.List", path)
        if len(value) > self.max_items:
            raise out_of_range(path, f"has too many items: at most {self.max_items}.")
        if len(value) < self.min_items:
            raise out_of_range(path, f"needs at least {self.min_items} item(s).")
        return [self.item.parse(item, f"{path}[{index}]") for index, item in enumerate(value)]

    def dump(self, value: Any) -> list[Any]:
        return [self.item.dump(item) for item in value]

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": self.item.openapi(components),
            "maxItems": self.max_items,
        }
        if self.min_items:
            schema["minItems"] = self.min_items
        return schema


@dataclass(frozen=True)
class Nullable(Node):
    """A member whose explicit ``null`` means "remove it" (e.g. ``healthProbe``)."""

    node: Node

    def parse(self, value: Any, path: str) -> Any:
        return None if value is None else self.node.parse(value, path)

    def dump(self, value: Any) -> Any:
        return None if value is None else self.node.dump(value)

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"nullable": True, "allOf": [self.node.openapi(components)]}


@dataclass(frozen=True)
class Obj(Node):
    """A JSON object of known members; an unknown member is refused, as Azure refuses it."""

    name: str
    fields: Mapping[str, Node]
    required: tuple[str, ...] = ()
    tolerated: frozenset[str] = frozenset()
    unsupported: frozenset[str] = frozenset()
    lookup: dict[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [*self.fields, *self.tolerated, *self.unsupported]
        if len({name.lower() for name in names}) != len(names):
            raise ValueError(f"{self.name}: a member is both modelled and tolerated")
        object.__setattr__(self, "lookup", {name.lower(): name for name in names})

    def parse(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise wrong_type(value, self.name, path or "$")
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = self.lookup.get(key.lower())
            member_path = join(path, name or key)
            if name is None:
                raise ServiceError(
                    "InvalidRequestContent",
                    "The request content was invalid and could not be deserialized: 'Could not "
                    f"find member '{key[:80]}' on object of type '{self.name}'. Path "
                    f"'{member_path[:200]}'.'",
                    member_path[:200],
                )
            if name in self.unsupported and item is not None:
                raise ServiceError(
                    "InvalidParameter",
                    f"'{member_path}' is not supported by Rollwright.",
                    member_path,
                )
            node = self.fields.get(name)
            if node is None:  # tolerated, or an unsupported null
                continue
            if item is None and not isinstance(node, Nullable):
                continue
            result[name] = node.parse(item, member_path)
        for name in self.required:
            if name not in result:
                missing = join(path, name)
                if missing == "location":  # ARM's own wording for a tracked resource
                    raise ServiceError(
                        "LocationRequired",
                        "The location property is required for this definition.",
                        missing,
                    )
                raise ServiceError(
                    "InvalidParameter",
                    f"Required parameter '{missing}' is missing (null).",
                    missing,
                )
        return result

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        if self.name not in components:
            components[self.name] = {}  # reserve the name first: schemas may nest themselves
            properties = {name: node.openapi(components) for name, node in self.fields.items()}
            for name in sorted(self.tolerated):
                properties[name] = {"description": TOLERATED_DESCRIPTION}
            for name in sorted(self.unsupported):
                properties[name] = {"description": "Refused: Rollwright does not support it."}
            schema: dict[str, Any] = {
                "type": "object",
                "properties": properties,
                "additionalProperties": False,
            }
            if self.required:
                schema["required"] = list(self.required)
            components[self.name] = schema
        return {"$ref": f"#/components/schemas/{self.name}"}


def check_json(value: Any, path: str = "", depth: int = 0) -> None:
    """Refuse what no database column can hold: NUL characters, lone surrogates, non-finite
    numbers, and nesting deeper than a model ever goes."""
    if depth > 32:
        raise ServiceError(
            "InvalidRequestContent", "The request content is nested too deeply.", path or None
        )
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ServiceError(
                "InvalidRequestContent", "The request content has a non-finite number.", path
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            check_json(item, join(path, key[:80]), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json(item, f"{path}[{index}]", depth + 1)


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise ServiceError(
            "InvalidRequestContent", "The request content has a NUL character.", path or None
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ServiceError(
            "InvalidRequestContent", "The request content is not valid Unicode text.", path or None
        ) from None
