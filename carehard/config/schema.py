"""One validate() for every configuration document: the document's JSON Schema (schemas/<name>.yml)
and, on the first problem, a one-line UsageError naming the source, the key path and what is expected:

    inventory site/hosts.yml: carehard_vendors[1].max_window (name acme): expected a duration ...

The expected part is the failing schema node's `description` (a noun phrase: "expected X", "give X"),
else words made from its keywords. Errors show the offending value (enum, pattern, ranges), so no
schema may put such a check on a secret (a password, a webhook URL, a header value): those checks
stay in Python, where the message can leave the value out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from carehard.errors import UsageError

SCHEMA_DIR = files("carehard.config") / "schemas"
# Every schema's $id is this prefix and its name, so that one schema can $ref another.
ID_PREFIX = "urn:carehard:schema:"
# The keys that name an item of a list, shown next to its index: "controls[3] (id WL-SSH-04)".
LABEL_KEYS = ("id", "name")
SHOWN_LENGTH = 60

TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


def validate(document: Any, schema_name: str, where: str) -> None:
    """Check `document` against the schema `schema_name`; `where` names its file or source."""
    error = best_match(_validator(schema_name).iter_errors(document))
    if error is not None:
        raise UsageError(describe(error, document, where))


def schema_names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".yml") for entry in SCHEMA_DIR.iterdir() if entry.name.endswith(".yml")
    )


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = yaml.safe_load((SCHEMA_DIR / f"{name}.yml").read_text(encoding="utf-8"))
    return schema


@cache
def _registry() -> Registry[Any]:
    return Registry().with_resources(
        (f"{ID_PREFIX}{name}", Resource.from_contents(load_schema(name), default_specification=DRAFT202012))
        for name in schema_names()
    )


@cache
def _validator(name: str) -> Draft202012Validator:
    if name not in schema_names():
        raise ValueError(f"no schema named {name!r} in {SCHEMA_DIR}")
    return Draft202012Validator(_registry().contents(f"{ID_PREFIX}{name}"), registry=_registry())


@cache
def _homes() -> dict[int, str]:
    """The URI of the schema holding each schema node (by identity): where its local $ref resolve."""
    homes: dict[int, str] = {}

    def visit(node: Any, uri: str) -> None:
        if isinstance(node, Mapping):
            homes[id(node)] = uri
            for value in node.values():
                visit(value, uri)
        elif isinstance(node, list):
            for value in node:
                visit(value, uri)

    for name in schema_names():
        visit(_registry().contents(f"{ID_PREFIX}{name}"), f"{ID_PREFIX}{name}")
    return homes


def _description(node: Mapping[str, Any]) -> str | None:
    """A schema node's description, or that of the node its $ref names."""
    ref = node.get("$ref")
    if "description" not in node and isinstance(ref, str) and id(node) in _homes():
        resolver = _registry().resolver(base_uri=_homes()[id(node)])
        node = resolver.lookup(ref).contents
    description = node.get("description")
    return description if isinstance(description, str) else None


def describe(error: ValidationError, document: Any, where: str) -> str:
    """The one line for `error`: where, the key path, and what is wrong."""
    path: list[str | int] = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    properties = schema.get("properties", {})
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        path.append(sorted(str(key) for key in error.instance if key not in properties)[0])
        problem = f"unknown key (known: {', '.join(properties)})"
    elif error.validator == "required" and isinstance(error.instance, Mapping):
        required: Any = error.validator_value
        missing = next(str(key) for key in required if key not in error.instance)
        path.append(missing)
        wanted = _description(properties.get(missing, {}))
        problem = f"missing: give {wanted}" if wanted else "missing: this key is required"
    else:
        problem = f"expected {_expected(error)}, got {shown(error.instance)}"
    line = ": ".join(part for part in (where, key_path(path, document), problem) if part)
    return line.replace("\r", "\\r").replace("\n", "\\n")


def key_path(path: Sequence[str | int], document: Any) -> str:
    """`carehard_vendors[1].max_window`, followed by what names the innermost list item, if anything."""
    text = ""
    label = ""
    node: Any = document
    for depth, step in enumerate(path):
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
        node = _child(node, step)
        if isinstance(step, int) and isinstance(node, Mapping):
            rest = path[depth + 1 :]
            key = next((k for k in LABEL_KEYS if isinstance(node.get(k), str | int)), None)
            # An error on the naming key itself shows the value already.
            if key is not None and list(rest) != [key]:
                label = f" ({key} {_short(str(node[key]))})"
    return text + label


def shown(value: Any) -> str:
    """The value as an error shows it: scalars themselves, containers by their kind."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"'{_short(value)}'"
    if isinstance(value, Mapping):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return type(value).__name__


def _expected(error: ValidationError) -> str:
    # A branch of anyOf / oneOf without a description of its own is described by its parent.
    node: ValidationError | None = error
    while node is not None:
        description = _description(node.schema) if isinstance(node.schema, Mapping) else None
        if description is not None:
            return description
        parent = node.parent
        node = (
            parent if isinstance(parent, ValidationError) and parent.validator in ("anyOf", "oneOf") else None
        )
    value: Any = error.validator_value
    words = {
        "type": lambda: _type_words(value),
        "enum": lambda: "one of " + ", ".join(str(item) for item in value),
        "const": lambda: str(value),
        "pattern": lambda: f"text matching {value}",
        "minLength": lambda: "non-empty text" if value == 1 else f"text of at least {value} characters",
        "maxLength": lambda: f"text of at most {value} characters",
        "minItems": lambda: "a non-empty list" if value == 1 else f"a list of at least {value} items",
        "maxItems": lambda: f"a list of at most {value} items",
        "minimum": lambda: f"a number of at least {value}",
        "maximum": lambda: f"a number of at most {value}",
        "exclusiveMinimum": lambda: f"a number above {value}",
        "exclusiveMaximum": lambda: f"a number below {value}",
        "anyOf": lambda: " or ".join(_type_words(branch.get("type")) for branch in value),
        "oneOf": lambda: " or ".join(_type_words(branch.get("type")) for branch in value),
    }
    found = words.get(str(error.validator))
    return found() if found else error.message


def _type_words(types: Any) -> str:
    if types is None:
        return "a value of another form"
    listed: Iterable[Any] = [types] if isinstance(types, str) else types
    return " or ".join(TYPE_WORDS.get(str(t), str(t)) for t in listed)


def _child(node: Any, step: str | int) -> Any:
    if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
        return node[step]
    if isinstance(step, str) and isinstance(node, Mapping):
        return node.get(step)
    return None


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 3] + "..."
