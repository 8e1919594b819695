"""JSON schemas from the compact "name:type name:type?" notation in acme.yaml."""

from __future__ import annotations

from catalog.demo.descriptors import Doc


def fields(spec: str) -> tuple[Doc, list[str]]:
    """Turn "name:type name:type?" into JSON-schema properties + required."""
    properties: Doc = {}
    required: list[str] = []
    for item in spec.split():
        name, type_spec = item.split(":", 1)
        if type_spec.endswith("?"):
            type_spec = type_spec[:-1]
        else:
            required.append(name)
        properties[name] = _schema_for(type_spec)
    return properties, required


def _schema_for(type_spec: str) -> Doc:
    if type_spec.endswith("[]"):
        return {"type": "array", "items": _schema_for(type_spec[:-2])}
    if type_spec.startswith("enum:"):
        return {"type": "string", "enum": type_spec[5:].split("|")}
    if type_spec in ("uuid", "date-time"):
        return {"type": "string", "format": type_spec}
    return {"type": type_spec}
