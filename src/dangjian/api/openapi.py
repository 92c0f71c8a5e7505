"""The OpenAPI document declares every error an operation can answer, not only those its
view raises: ninja and dangjian.urls' handlers answer some errors for any operation (a body
that is not JSON, one over the size limit, a parameter of the wrong type, no token), and a
client generated from the document, or a fuzzer checking it, must find them there."""

from http import HTTPStatus

from ninja import NinjaAPI

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}


def errors_of(operation: dict) -> set[int]:
    """The statuses the API's own handlers may answer for this operation, whatever its view:
    400 `bad_request` and 413 `payload_too_large` for a body, 422 `validation_error` for any
    input, 404 `not_found` for an object named in the path, 401 `unauthenticated` behind the
    bearer token."""
    parameters = operation.get("parameters", [])
    body = "requestBody" in operation
    statuses = set()
    if body:
        statuses |= {400, 413}
    if body or parameters:
        statuses.add(422)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if operation.get("security"):
        statuses.add(401)
    return statuses


def declare_errors(schema: dict) -> dict:
    """Add each missing status of `errors_of` as the `{"code", "message"}` error; statuses
    an operation declares itself keep their schema."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses if str(status).isdigit()}
            for status in sorted(errors_of(operation) - declared):
                responses[status] = {
                    "description": HTTPStatus(status).phrase,
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                }
    return schema


class DocumentedApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        return declare_errors(super().get_openapi_schema(**kwargs))
