"""SCIM filters (RFC 7644, 3.4.2.2): parsed by scim2-filter-parser, then turned
into a small tree of our own that becomes a query over the columns Greenroom
keeps (`to_q`) or is matched against one value of a multi-valued attribute in a
PATCH path such as `members[value eq "…"]` (`matches`).

Only the attributes in the field maps below can be filtered on; any other is a
400 invalidFilter, never silently dropped (a dropped clause would widen what a
filter matches). What the library gets wrong is righted here: it gives `and` and
`or` the same precedence, where the RFC binds `and` tighter, so a chain of them
without parentheses is regrouped. A user has one e-mail address in Greenroom
(their primary, else work, else first one): `emails.value` and Entra ID's
`emails[type eq "work"].value` both compare with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from people.scim.errors import invalid_filter

MAX_LENGTH = 2000  # characters in one filter
MAX_DEPTH = 20  # nested parentheses and brackets
CORE_SCHEMAS = {
    "urn:ietf:params:scim:schemas:core:2.0:user",
    "urn:ietf:params:scim:schemas:core:2.0:group",
}
OPERATORS = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"}


@dataclass(frozen=True, slots=True)
class Compare:
    """`attr.sub op value`, names lower-cased, the core schema's URN dropped;
    `where` is the bracket of `emails[type eq "work"].value eq "…"`."""

    attr: str
    sub: str
    uri: str
    op: str
    value: str | None
    where: Node | None = None


@dataclass(frozen=True, slots=True)
class Logic:
    op: str  # "and" or "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


@dataclass(frozen=True, slots=True)
class Within:
    """`attr[filter]`: some value of a multi-valued attribute matches."""

    attr: str
    uri: str
    part: Node


Node = Compare | Logic | Not | Within


def parse(text: str) -> Node:
    """The filter as a tree; a 400 invalidFilter for anything it cannot be."""
    if len(text) > MAX_LENGTH:
        raise invalid_filter(f"the filter is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise invalid_filter("the filter is empty")
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as exc:  # the lexer raises ValueError, the parser its own
        raise invalid_filter(f"the filter is not valid: {_clip(str(exc))}") from None
    if tree is None:
        raise invalid_filter("the filter is not valid")
    try:
        return _node(tree, 0)
    except RecursionError:
        raise invalid_filter("the filter is nested too deeply") from None


def _clip(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "…"


def _node(item: Any, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise invalid_filter("the filter is nested too deeply")
    if isinstance(item, ast.Filter):
        if item.namespace is not None:
            attr, sub, uri = _path(item.namespace)
            if sub:
                raise invalid_filter("a filter in brackets follows an attribute")
            node: Node = Within(attr, uri, _node(item.expr, depth + 1))
        elif isinstance(item.expr, ast.LogExpr):
            node = _chain(item.expr, depth + 1)
        else:
            node = _node(item.expr, depth + 1)
        return Not(node) if item.negated else node
    if isinstance(item, ast.LogExpr):
        return _chain(item, depth + 1)
    if isinstance(item, ast.AttrExpr):
        return _compare(item, depth + 1)
    raise invalid_filter("the filter is not valid")


def _chain(expr: ast.LogExpr, depth: int) -> Node:
    """`a or b and c`, as the RFC reads it: `a or (b and c)`.

    The parser builds left-nested pairs at one precedence; a run of them that no
    parentheses split is flattened back into its operands and operators here,
    then grouped, `and` before `or`. (Parentheses leave a Filter around a Filter,
    so a bracketed run stays one operand.)"""
    operands: list[Node] = []
    operators: list[str] = []

    def flatten(node: ast.LogExpr) -> None:
        for index, child in enumerate((node.expr1, node.expr2)):
            if index:
                operators.append(str(node.op).lower())
            bare = (
                isinstance(child, ast.Filter)
                and child.namespace is None
                and not child.negated
                and isinstance(child.expr, ast.LogExpr)
            )
            if bare:
                if len(operands) > 200:
                    raise invalid_filter("the filter has too many clauses")
                flatten(child.expr)
            else:
                operands.append(_node(child, depth))

    flatten(expr)
    groups: list[list[Node]] = [[operands[0]]]
    for operator, operand in zip(operators, operands[1:], strict=True):
        if operator == "and":
            groups[-1].append(operand)
        else:
            groups.append([operand])
    anded = [
        group[0] if len(group) == 1 else Logic("and", tuple(group)) for group in groups
    ]
    return anded[0] if len(anded) == 1 else Logic("or", tuple(anded))


def _path(path: Any) -> tuple[str, str, str]:
    if not isinstance(path, ast.AttrPath) or not isinstance(path.attr_name, str):
        raise invalid_filter("the filter names an attribute it cannot")
    uri = str(path.uri or "").lower()
    if uri in CORE_SCHEMAS:
        uri = ""
    sub = path.sub_attr.value.lower() if path.sub_attr is not None else ""
    return path.attr_name.lower(), sub, uri


def _compare(expr: ast.AttrExpr, depth: int) -> Compare:
    op = str(expr.value).lower()
    if op not in OPERATORS:
        raise invalid_filter(f"the operator {op!r} is not supported")
    value = None if expr.comp_value is None else str(expr.comp_value.value)
    name = expr.attr_path.attr_name
    if isinstance(name, ast.Filter):  # emails[type eq "work"].value eq "…"
        attr, sub, uri = _path(name.namespace)
        return Compare(attr, sub, uri, op, value, _node(name.expr, depth + 1))
    attr, sub, uri = _path(expr.attr_path)
    return Compare(attr, sub, uri, op, value)


# Queries over the tables ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A column a SCIM attribute is kept in, and how it compares."""

    column: str
    kind: str = "text"  # text, exact (caseExact text), bool, uuid, datetime, member
    ignore_where: frozenset[str] = frozenset()  # sub-attributes of a bracket to accept


USER_FIELDS: Mapping[tuple[str, str], Field] = {
    ("id", ""): Field("id", "uuid"),
    ("username", ""): Field("user_name"),
    ("externalid", ""): Field("external_id", "exact"),
    ("displayname", ""): Field("display_name"),
    ("active", ""): Field("active", "bool"),
    ("name", "givenname"): Field("given_name"),
    ("name", "familyname"): Field("family_name"),
    ("emails", ""): Field("email", ignore_where=frozenset({"type", "primary"})),
    ("emails", "value"): Field("email", ignore_where=frozenset({"type", "primary"})),
    ("meta", "created"): Field("created_at", "datetime"),
    ("meta", "lastmodified"): Field("modified_at", "datetime"),
}
GROUP_FIELDS: Mapping[tuple[str, str], Field] = {
    ("id", ""): Field("id", "uuid"),
    ("displayname", ""): Field("display_name"),
    ("externalid", ""): Field("external_id", "exact"),
    ("members", ""): Field("members", "member"),
    ("members", "value"): Field("members", "member"),
    ("meta", "created"): Field("created_at", "datetime"),
    ("meta", "lastmodified"): Field("modified_at", "datetime"),
}
TEXT_LOOKUPS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}
ORDER_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def to_q(
    node: Node,
    fields: Mapping[tuple[str, str], Field],
    members: Callable[[uuid.UUID | None], Q] | None = None,
) -> Q:
    """The filter as a query on ScimUser (USER_FIELDS) or ScimGroup
    (GROUP_FIELDS); `members(user_id)` gives the groups holding that user, and
    `members(None)` those holding anyone."""
    if isinstance(node, Logic):
        parts = [to_q(part, fields, members) for part in node.parts]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if node.op == "and" else combined | part
        return combined
    if isinstance(node, Not):
        return ~to_q(node.part, fields, members)
    if isinstance(node, Within):
        return to_q(_inside(node), fields, members)
    return _compare_q(node, fields, members)


def _inside(node: Within) -> Node:
    """`members[value eq "x"]` read as `members.value eq "x"`."""

    def lift(part: Node) -> Node:
        if isinstance(part, Compare):
            if part.sub or part.uri or part.where is not None:
                raise invalid_filter("a filter in brackets names sub-attributes only")
            return Compare(node.attr, part.attr, node.uri, part.op, part.value)
        if isinstance(part, Logic):
            return Logic(part.op, tuple(lift(item) for item in part.parts))
        if isinstance(part, Not):
            return Not(lift(part.part))
        raise invalid_filter("brackets cannot nest")

    return lift(node.part)


def _compare_q(
    node: Compare,
    fields: Mapping[tuple[str, str], Field],
    members: Callable[[uuid.UUID | None], Q] | None,
) -> Q:
    if node.uri:
        raise invalid_filter(f"attributes of {node.uri} cannot be filtered on")
    field = fields.get((node.attr, node.sub))
    if field is None:
        name = f"{node.attr}.{node.sub}" if node.sub else node.attr
        raise invalid_filter(f"filtering on {name!r} is not supported")
    if node.where is not None:
        _check_where(node.where, field)
    if field.kind == "member" and members is None:
        raise invalid_filter("filtering on members is not supported here")
    if node.op == "pr":
        if field.kind == "member":
            assert members is not None
            return members(None)
        return Q() if field.kind in ("uuid", "bool", "datetime") else _present(field)
    value = node.value if node.value is not None else ""
    if field.kind == "bool":
        return _bool_q(field, node.op, value)
    if field.kind == "uuid":
        return _uuid_q(node.op, value, lambda wanted: Q(pk=wanted))
    if field.kind == "member":
        assert members is not None
        return _uuid_q(node.op, value, members)
    if field.kind == "datetime":
        return _datetime_q(field, node.op, value)
    return _text_q(field, node.op, value)


def _check_where(where: Node, field: Field) -> None:
    """Brackets before a sub-attribute may only test what `ignore_where` names."""
    if isinstance(where, Compare):
        if where.sub or where.uri or where.attr not in field.ignore_where:
            raise invalid_filter(f"this filter cannot test {where.attr!r} in brackets")
        return
    if isinstance(where, Logic):
        for part in where.parts:
            _check_where(part, field)
        return
    if isinstance(where, Not):
        _check_where(where.part, field)
        return
    raise invalid_filter("brackets cannot nest")


def _present(field: Field) -> Q:
    return ~Q(**{field.column: ""})


def _bool_q(field: Field, op: str, value: str) -> Q:
    wanted = {"true": True, "false": False}.get(value.lower())
    if wanted is None or op not in ("eq", "ne"):
        raise invalid_filter("a boolean compares with eq or ne and true or false")
    query = Q(**{field.column: wanted})
    return query if op == "eq" else ~query


def _uuid_q(op: str, value: str, match: Callable[[uuid.UUID], Q]) -> Q:
    if op not in ("eq", "ne"):
        raise invalid_filter("an id compares with eq or ne")
    try:
        query = match(uuid.UUID(value))
    except ValueError:
        query = Q(pk__in=[])  # no resource has an id that is not ours
    return query if op == "eq" else ~query


def _datetime_q(field: Field, op: str, value: str) -> Q:
    try:
        moment: datetime | None = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise invalid_filter(f"{value[:40]!r} is not a date and time with a zone")
    if op == "eq":
        return Q(**{field.column: moment})
    if op == "ne":
        return ~Q(**{field.column: moment})
    if op not in ORDER_LOOKUPS:
        raise invalid_filter(f"a date and time cannot be compared with {op!r}")
    return Q(**{f"{field.column}__{ORDER_LOOKUPS[op]}": moment})


def _text_q(field: Field, op: str, value: str) -> Q:
    if op in ORDER_LOOKUPS:
        raise invalid_filter(f"text attributes cannot be compared with {op!r}")
    lookup = TEXT_LOOKUPS["eq" if op == "ne" else op]
    if field.kind != "exact":
        lookup = "i" + lookup
    query = Q(**{f"{field.column}__{lookup}": value})
    return ~query if op == "ne" else query


# Matching one value of a multi-valued attribute (PATCH paths) ----------------


def matches(node: Node, item: Any) -> bool:
    """Whether one value of a multi-valued attribute (a member, an e-mail)
    matches the filter of a PATCH path's brackets, compared without case."""
    if isinstance(node, Logic):
        results = (matches(part, item) for part in node.parts)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not matches(node.part, item)
    if isinstance(node, Within) or node.uri or node.where is not None:
        raise invalid_filter("a PATCH path's brackets test sub-attributes only")
    found = _value_in(item, node.attr, node.sub)
    if node.op == "pr":
        return found not in (None, "", [], {})
    if isinstance(found, bool):
        text = "true" if found else "false"
    elif found is None:
        text = "null"
    elif isinstance(found, str | int | float):
        text = str(found)
    else:
        return False
    have, want = text.casefold(), (node.value or "").casefold()
    return {
        "eq": have == want,
        "ne": have != want,
        "co": want in have,
        "sw": have.startswith(want),
        "ew": have.endswith(want),
        "gt": have > want,
        "ge": have >= want,
        "lt": have < want,
        "le": have <= want,
    }[node.op]


def _value_in(item: Any, attr: str, sub: str) -> Any:
    if not isinstance(item, dict):
        return item if attr == "value" and not sub else None
    value = next((v for k, v in item.items() if k.lower() == attr), None)
    if sub:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == sub), None)
    return value
