"""Describes our token authentication to drf-spectacular (imported from DirectoryConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "directory.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: a key from `manage.py issue_api_token` or the business's token page.",
        }


# --- error answers -----------------------------------------------------------------------------------------

_ERROR = {
    "type": "object",
    "description": "Why the request was refused, in the caller's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_BAD_REQUEST = {
    "type": "object",
    "description": (
        "Parameter or field -> messages (DRF's validation errors), or `detail` with `errors` (a body that is "
        "not JSON, a query parameter that does not parse)."
    ),
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object"},
    },
    "additionalProperties": True,
}
# Every operation may answer these; an operation's own description of one is kept, its body filled in.
_ERRORS = {
    "400": ("BadRequest", "A parameter or the body does not parse or is not valid"),
    "401": ("Error", "No credentials, or a token that is not valid"),
    "403": ("Error", "The caller's role may not do this"),
    "404": ("Error", "Nothing of that name in the caller's scope (or a page past the end)"),
    "406": ("Error", "The Accept header asks for a format the API does not give"),
    "429": ("Error", "Too many requests; try again later"),
}
_BODY_ERRORS = {"415": ("Error", "The body's media type is not accepted")}
# Role-dependent answers: one of several shapes, which overlap (a business's case has a subset of the
# fields of the staff's), so a value may match more than one: anyOf, not oneOf.
_OVERLAPPING = ("CaseInList", "CaseWithTrail")


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error answers of every operation, with their bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _ERROR
    schemas["BadRequest"] = _BAD_REQUEST
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            errors = {**_ERRORS, **(_BODY_ERRORS if method in ("post", "put", "patch") else {})}
            if "409" in responses:
                errors["409"] = ("Error", "The state of the object does not allow this")
            for code, (component, description) in errors.items():
                entry = responses.setdefault(code, {"description": description})
                entry.setdefault(
                    "content", {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}
                )
    for name in _OVERLAPPING:
        if "oneOf" in schemas.get(name, {}):
            schemas[name]["anyOf"] = schemas[name].pop("oneOf")
    return result
