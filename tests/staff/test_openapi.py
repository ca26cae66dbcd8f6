"""docs/openapi.yml documents exactly the app's routes, and real responses match its schemas."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Dict, Iterator, Set, Tuple

import jsonschema
import pytest
import yaml
from sanic import Sanic

from govservice.applications.ratings import rate
from govservice.applications.states import RATING_LEVELS, TRANSITIONS
from govservice.db import session_scope
from tests.staff.conftest import ZHANG, bearer, residence_permit

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yml"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec() -> Dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def _operations(spec: Dict[str, Any]) -> Iterator[Tuple[str, str, Dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _app_routes(app: Sanic) -> Set[Tuple[str, str]]:
    routes = set()
    for route in app.router.routes:
        if route.path.lstrip("/").startswith("console"):
            continue  # the staff console (pages for people, docs/console.md), not the department API
        path = "/" + re.sub(r"<(\w+)(?::[^>]*)?>", r"{\1}", route.path.lstrip("/"))
        routes |= {(path, method.lower()) for method in route.methods}
    return routes


def test_every_route_is_documented_and_vice_versa(app: Sanic, spec: Dict[str, Any]) -> None:
    app.test_client.get("/health")  # the router is finalized when the server starts
    documented = {(path, method) for path, method, _ in _operations(spec)}
    assert _app_routes(app) == documented


def _resolve(spec: Dict[str, Any], node: Dict[str, Any]) -> Dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_operations_are_complete(spec: Dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.0.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        **spec["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    for ref in set(_refs(spec)):
        assert _resolve(spec, {"$ref": ref}), ref
    ids = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(ids) == len(set(ids))
    for path, method, operation in _operations(spec):
        assert operation["summary"] and "200" in operation["responses"], (path, method)
        if operation.get("security") != []:
            assert {"401", "403"} <= set(operation["responses"]), (path, method)
        declared = [_resolve(spec, p)["name"] for p in spec["paths"][path].get("parameters", [])]
        declared += [_resolve(spec, p)["name"] for p in operation.get("parameters", [])]
        assert set(re.findall(r"{(\w+)}", path)) <= set(declared), (path, method)
        for status, response in operation["responses"].items():
            schema = _resolve(spec, response)["content"]["application/json"]["schema"]
            if status != "200":
                assert _resolve(spec, schema) == spec["components"]["schemas"]["Error"], (path, method, status)


def test_enums_follow_the_back_office(spec: Dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ApplicationStatus"]["enum"] == list(TRANSITIONS)
    assert schemas["FollowUp"]["properties"]["rating_level"]["enum"] == list(RATING_LEVELS)


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable`` → JSON Schema, so jsonschema can check the documented shapes."""
    if isinstance(node, list):
        return [_json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [{"type": "null"}, node]}
    return node


def _check(spec: Dict[str, Any], path: str, method: str, response: Any) -> None:
    documented = spec["paths"][path][method]["responses"][str(response.status)]
    schema = _resolve(spec, documented)["content"]["application/json"]["schema"]
    document = _json_schema(copy.deepcopy(spec))
    resolver = jsonschema.RefResolver.from_schema(document)
    jsonschema.Draft7Validator(_json_schema(schema), resolver=resolver).validate(response.json)


def test_responses_match_the_documented_schemas(app: Sanic, db_url: str, spec: Dict[str, Any]) -> None:
    ga, client = bearer("ga_officer"), app.test_client
    number = residence_permit(db_url)
    one = "/api/v1/applications/{number}"
    _check(spec, "/health", "get", client.get("/health")[1])
    _check(spec, "/api/v1/me", "get", client.get("/api/v1/me", headers=ga)[1])
    _check(spec, "/api/v1/me", "get", client.get("/api/v1/me")[1])  # 401
    _check(spec, "/api/v1/applications", "get", client.get("/api/v1/applications", headers=ga)[1])
    _check(spec, "/api/v1/applications", "get", client.get("/api/v1/applications?page=x", headers=ga)[1])
    _check(spec, one, "get", client.get(f"/api/v1/applications/{number}", headers=ga)[1])
    _check(spec, one, "get", client.get(f"/api/v1/applications/{number}", headers=bearer("yb_officer"))[1])
    _check(spec, one, "get", client.get(f"/api/v1/applications/{number}", headers=bearer("admin"))[1])
    for action, body in (("accept", None), ("review", None), ("correction", {"reason": "照片不清晰"})):
        response = client.post(f"/api/v1/applications/{number}/{action}", headers=ga, json=body)[1]
        assert response.status == 200
        _check(spec, one + f"/{action}", "post", response)
    conflict = client.post(f"/api/v1/applications/{number}/approve", headers=ga)[1]
    _check(spec, one + "/approve", "post", conflict)
    _check(spec, one + "/reject", "post", client.post(f"/api/v1/applications/{number}/reject", headers=ga)[1])
    rejected = client.post(f"/api/v1/applications/{number}/reject", headers=ga, json={"reason": "材料不实"})[1]
    _check(spec, one + "/reject", "post", rejected)
    with session_scope(db_url) as s:
        rate(s, number, ZHANG, "非常不满意")
    followups = client.get("/api/v1/followups", headers=ga)[1]
    _check(spec, "/api/v1/followups", "get", followups)
    close = "/api/v1/followups/{followup_id}/close"
    target = f"/api/v1/followups/{followups.json['items'][0]['id']}/close"
    _check(spec, close, "post", client.post(target, headers=ga, json={"note": "已回访"})[1])
    _check(spec, close, "post", client.post(target, headers=ga, json={"note": "已回访"})[1])  # 409
