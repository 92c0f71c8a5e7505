"""The OpenAPI document tells the truth about errors: every error an operation can answer is
declared there, as the `{"code", "message"}` body that the API sends. `make fuzz` checks the
served app against the same document."""

import pytest

JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def document(api) -> dict:
    resp = api(None).get("/openapi.json")
    assert resp.status_code == 200
    return resp.json()


def operations(doc: dict):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def accepts(doc: dict, schema: dict, value) -> bool:
    """Whether `value` is valid against `schema`, for the parts of JSON Schema that ninja's
    documents use ($ref, anyOf/oneOf/allOf, type, enum, const, required, properties, items)."""
    schema = resolve(doc, schema)
    alternatives = schema.get("anyOf", schema.get("oneOf"))
    if alternatives and not any(accepts(doc, s, value) for s in alternatives):
        return False
    if "allOf" in schema and not all(accepts(doc, s, value) for s in schema["allOf"]):
        return False
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        fits = [
            t
            for t in types
            if isinstance(value, JSON_TYPES[t])
            and not (isinstance(value, bool) and t in ("integer", "number"))
        ]
        if not fits:
            return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "const" in schema and value != schema["const"]:
        return False
    if isinstance(value, dict):
        if any(name not in value for name in schema.get("required", [])):
            return False
        for name, sub in schema.get("properties", {}).items():
            if name in value and not accepts(doc, sub, value[name]):
                return False
    if isinstance(value, list) and "items" in schema:
        return all(accepts(doc, schema["items"], item) for item in value)
    return True


def declared_schema(doc: dict, operation: dict, status: int) -> dict | None:
    response = operation["responses"].get(str(status))
    if response is None:
        return None
    return response["content"]["application/json"]["schema"]


def test_every_operation_declares_the_errors_the_api_answers_for_any_operation(api):
    """Whatever its view raises: 400 and 413 for a body (not JSON, too large), 422 for any
    input of the wrong type, 404 for an object named in the path, 401 behind the token."""
    doc = document(api)
    missing = {}
    for name, operation in operations(doc):
        parameters = operation.get("parameters", [])
        body = "requestBody" in operation
        needed = set()
        if body:
            needed |= {"400", "413"}
        if body or parameters:
            needed.add("422")
        if any(p["in"] == "path" for p in parameters):
            needed.add("404")
        if operation.get("security"):
            needed.add("401")
        if needed - set(operation["responses"]):
            missing[name] = sorted(needed - set(operation["responses"]))
    assert missing == {}


def test_every_declared_error_is_a_code_and_a_message(api):
    doc = document(api)
    wrong = []
    for name, operation in operations(doc):
        for status in operation["responses"]:
            if int(status) < 400:
                continue
            schema = declared_schema(doc, operation, int(status))
            required = set(resolve(doc, schema).get("required", []))
            body = {"code": "some_code", "message": "说明"}
            if not {"code", "message"} <= required or not accepts(doc, schema, body):
                wrong.append(f"{name} {status}")
    assert wrong == []


@pytest.mark.django_db
def test_a_body_that_is_not_json_answers_the_declared_bad_request(world, api):
    doc = document(api)
    operation = doc["paths"]["/api/v1/activities/{activity_id}/comments"]["post"]
    resp = api(world.a.member.user).post(
        "/activities/1/comments", data="{not json", content_type="application/json"
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "bad_request"
    schema = declared_schema(doc, operation, 400)
    assert schema is not None and accepts(doc, schema, resp.json())


@pytest.mark.django_db
def test_a_wrong_parameter_of_an_import_answers_the_declared_validation_error(world, api):
    doc = document(api)
    operation = doc["paths"]["/api/v1/imports/members/template"]["get"]
    resp = api(world.a.admin).get("/imports/members/template?format=doc")
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"field": "format", "message": body["errors"][0]["message"]}]
    assert accepts(doc, declared_schema(doc, operation, 422), body)


def test_the_schema_check_itself_refuses_what_does_not_fit(api):
    doc = document(api)
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert accepts(doc, error, {"code": "x", "message": "y", "field": "z"})
    assert not accepts(doc, error, {"code": "x"})
    assert not accepts(doc, error, {"code": 1, "message": "y"})
    assert not accepts(doc, {"type": "array", "items": {"type": "integer"}}, [1, "2"])
