"""The OpenAPI 3.0 description of the implemented ARM subset, built from the route table
(``rollout.api.routes``) that also routes the requests, and from the body schemas the parser
uses. The fuzz test generates requests from it."""

from __future__ import annotations

from functools import cache
from typing import Any

from rollout.api.routes import ROUTES
from rollout.api.routing import QUERY_PARAMETERS, Operation, Route
from rollout.api.versions import API_VERSIONS, COMPUTE_VERSIONS

CLOUD_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "target": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["code", "message"],
        }
    },
}


def _parameters(route: Route, operation: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.parameters
    ]
    parameters.append({"$ref": f"#/components/parameters/{route.family}ApiVersion"})
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": QUERY_PARAMETERS[name]}
        for name in operation.query
    ]
    return parameters


def _responses(method: str, operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status in operation.responses:
        response: dict[str, Any] = {"description": f"{status}"}
        if status in (200, 201) and method != "HEAD":
            response["content"] = {"application/json": {"schema": {}}}
        if operation.long_running and status in (200, 201, 202):
            response["headers"] = {
                "Azure-AsyncOperation": {"schema": {"type": "string", "format": "uri"}}
            }
        responses[str(status)] = response
    responses["default"] = {
        "description": "ARM error envelope",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CloudError"}}},
    }
    return responses


@cache
def document() -> dict[str, Any]:
    components: dict[str, Any] = {"CloudError": CLOUD_ERROR}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        item: dict[str, Any] = {}
        for method, operation in route.operations.items():
            spec: dict[str, Any] = {
                "operationId": operation.operation_id,
                "summary": operation.summary,
                "parameters": _parameters(route, operation),
                "responses": _responses(method, operation),
            }
            if operation.long_running:
                spec["x-ms-long-running-operation"] = True
            if operation.body is not None:
                spec["requestBody"] = {
                    "required": operation.body_required,
                    "content": {"application/json": {"schema": operation.body.openapi(components)}},
                }
            item[method.lower()] = spec
        paths[route.template] = item
    parameters = {
        f"{family}ApiVersion": {
            "name": "api-version",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": sorted(versions, reverse=True)},
        }
        for family, versions in API_VERSIONS.items()
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Rollwright ARM-compatible API",
            "version": COMPUTE_VERSIONS[-1],
            "description": "The subset of Azure Resource Manager (Microsoft.Compute scale sets, "
            "rolling upgrades, images, galleries; Microsoft.Resources resource groups) that "
            "Rollwright serves to the official Azure SDK. Authenticate with "
            "'Authorization: Bearer <token>' (python manage.py create_api_token USER).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "parameters": parameters,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
