"""An entity's neighbourhood in the relation table, and a layered drawing of it.

The page renders the drawing as inline SVG on the server: no script, no CDN.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.fields.json import KT
from django.db.models.functions import RowNumber

from catalog.models import Entity, Relation
from catalog.refs_display import short_ref, split_ref

# The type drawn for each pair -> the type stored for the other direction.
PAIRS: dict[str, str] = {
    "ownedBy": "ownerOf",
    "partOf": "hasPart",
    "dependsOn": "dependencyOf",
    "providesApi": "apiProvidedBy",
    "consumesApi": "apiConsumedBy",
    "childOf": "parentOf",
    "memberOf": "hasMember",
}
REVERSE: dict[str, str] = {reverse: forward for forward, reverse in PAIRS.items()}
# Query strings are typed by people: accept any casing of either spelling.
_BY_LOWER: dict[str, str] = {
    **{forward.lower(): forward for forward in PAIRS},
    **{reverse.lower(): forward for reverse, forward in REVERSE.items()},
}
PHRASES: dict[str, str] = {
    "ownedBy": "is owned by",
    "partOf": "is part of",
    "dependsOn": "depends on",
    "providesApi": "provides the API",
    "consumesApi": "consumes the API",
    "childOf": "is a child of",
    "memberOf": "is a member of",
}
# Distinguishable on white and for common colour-vision deficiencies.
COLOURS: dict[str, str] = {
    "ownedBy": "#6b7280",
    "partOf": "#0b6e4f",
    "dependsOn": "#c2410c",
    "providesApi": "#1d4ed8",
    "consumesApi": "#7c3aed",
    "childOf": "#0e7490",
    "memberOf": "#be185d",
}
OTHER_COLOUR = "#4d5660"
PER_NODE = 60  # relations followed from one node


@dataclass(frozen=True, slots=True)
class Node:
    ref: str
    kind: str
    name: str
    label: str
    type: str
    missing: bool
    depth: int


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    source: str
    target: str
    type: str


@dataclass(frozen=True, slots=True)
class Graph:
    root: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    truncated: bool = False


def canonical_type(name: str) -> str | None:
    """The drawn type of a pair, from either spelling in any casing; None if unknown."""
    return _BY_LOWER.get(name.lower())


def canonical_edge(source: str, type_: str, target: str) -> Edge:
    """One edge per pair: the reverse row is turned around and given the forward type.

    Types outside the known pairs are kept as stored.
    """
    if type_ in REVERSE:
        return Edge(target, source, REVERSE[type_])
    return Edge(source, target, type_)


def stored_types(types: Collection[str] | None) -> set[str] | None:
    """Both spellings of every requested pair; None (no filter) for none requested."""
    if not types:
        return None
    wanted: set[str] = set()
    for name in types:
        forward = canonical_type(name)
        wanted.update((forward, PAIRS[forward]) if forward else (name,))
    return wanted


def neighbourhood(
    root_ref: str,
    depth: int,
    types: Collection[str] | None = None,
    max_nodes: int = 60,
) -> Graph:
    """Everything within `depth` relations of the root, breadth first.

    One relation query per level (plus one for the outer ring's edges among the
    drawn nodes) and one entity query in all, however many nodes.
    """
    root = root_ref.lower()
    wanted = stored_types(types)
    depths = {root: 0}
    edges: set[Edge] = set()
    truncated = False
    frontier = [root]
    for level in range(1, depth + 1):
        if not frontier:
            break
        found: set[str] = set()
        for source, type_, target in _relations_from(frontier, wanted):
            edges.add(canonical_edge(source, type_, target))
            if target not in depths:
                found.add(target)
        room = max(max_nodes - len(depths), 0)
        frontier = sorted(found)[:room]
        truncated = truncated or len(found) > room
        depths.update(dict.fromkeys(frontier, level))
    if frontier:  # the outer ring's relations among nodes already drawn
        for source, type_, target in _relations_from(frontier, wanted, among=depths):
            edges.add(canonical_edge(source, type_, target))
    kept = sorted(e for e in edges if e.source in depths and e.target in depths)
    return Graph(root, _nodes(depths), tuple(kept), truncated)


def _relations_from(
    refs: Iterable[str],
    wanted: set[str] | None,
    among: Collection[str] | None = None,
) -> list[tuple[str, str, str]]:
    # Both directions are stored, so following sources alone reaches every neighbour.
    rows = Relation.objects.filter(source_ref__in=list(refs))
    if among is not None:
        rows = rows.filter(target_ref__in=list(among))
    if wanted is not None:
        rows = rows.filter(type__in=sorted(wanted))
    # A hub (a team owning thousands) gives each node only its first relations:
    # the picture holds 60 nodes anyway, and reading thousands of rows would not.
    rank = Window(
        RowNumber(),
        partition_by=[F("source_ref")],
        order_by=[F("type"), F("target_ref")],
    )
    rows = rows.annotate(rank=rank).filter(rank__lte=PER_NODE)
    return sorted(rows.values_list("source_ref", "type", "target_ref"))


def _nodes(depths: dict[str, int]) -> tuple[Node, ...]:
    # Only the two JSON keys: an API's spec can hold a whole definition.
    rows = Entity.objects.filter(ref__in=list(depths)).values_list(
        "ref", "kind", KT("processed__metadata__title"), KT("processed__spec__type")
    )
    found = {ref: (kind, title, type_) for ref, kind, title, type_ in rows}
    nodes = []
    for ref in sorted(depths):
        ref_kind, _, name = split_ref(ref)
        kind, title, type_ = found.get(ref, (ref_kind, None, None))
        nodes.append(
            Node(
                ref=ref,
                kind=kind,
                name=name,
                label=title or short_ref(ref),
                type=type_ or "",
                missing=ref not in found,
                depth=depths[ref],
            )
        )
    return tuple(nodes)


# --- drawing -------------------------------------------------------------------

NODE_WIDTH, NODE_HEIGHT = 200, 40
COLUMN_GAP, ROW_GAP = 120, 16
MARGIN = 20
LABEL_CHARS, DETAIL_CHARS = 26, 32
CURVE = 48  # how far the control points pull an edge out of its box


@dataclass(frozen=True, slots=True)
class Box:
    node: Node
    x: int
    y: int
    width: int
    height: int
    label: str
    detail: str
    root: bool


@dataclass(frozen=True, slots=True)
class Line:
    edge: Edge
    source: Node
    target: Node
    d: str
    colour: str
    marker: str
    phrase: str


@dataclass(frozen=True, slots=True)
class LegendEntry:
    type: str
    phrase: str
    colour: str
    marker: str


@dataclass(frozen=True, slots=True)
class Drawing:
    width: int
    height: int
    view_box: str
    boxes: tuple[Box, ...]
    lines: tuple[Line, ...]
    legend: tuple[LegendEntry, ...]


def shorten(text: str, limit: int) -> str:
    """The text cut to `limit` characters, the last one an ellipsis if it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(graph: Graph) -> Drawing:
    """Columns by distance from the root (left), rows by kind then name."""
    columns: dict[int, list[Node]] = {}
    for node in graph.nodes:
        columns.setdefault(node.depth, []).append(node)
    tallest = max((len(c) for c in columns.values()), default=1)
    height = 2 * MARGIN + _column_height(tallest)
    boxes = {
        box.node.ref: box
        for depth, nodes in columns.items()
        for box in _column(depth, nodes, height, graph.root)
    }
    legend = _legend(graph.edges)
    markers = {entry.type: entry for entry in legend}
    lines = tuple(_line(edge, boxes, markers[edge.type]) for edge in graph.edges)
    # Room on the right for loops between boxes of the last column.
    width = 2 * MARGIN + len(columns) * (NODE_WIDTH + COLUMN_GAP)
    return Drawing(
        width=width,
        height=height,
        view_box=f"0 0 {width} {height}",
        boxes=tuple(sorted(boxes.values(), key=lambda b: b.node.ref)),
        lines=lines,
        legend=legend,
    )


def _column_height(rows: int) -> int:
    return rows * (NODE_HEIGHT + ROW_GAP) - ROW_GAP


def _column(depth: int, nodes: list[Node], height: int, root: str) -> list[Box]:
    nodes = sorted(nodes, key=lambda n: (n.kind.lower(), n.name, n.ref))
    x = MARGIN + depth * (NODE_WIDTH + COLUMN_GAP)
    top = (height - _column_height(len(nodes))) // 2  # centred on the tallest
    return [
        Box(
            node=node,
            x=x,
            y=top + row * (NODE_HEIGHT + ROW_GAP),
            width=NODE_WIDTH,
            height=NODE_HEIGHT,
            label=shorten(node.label, LABEL_CHARS),
            detail=shorten(_detail(node), DETAIL_CHARS),
            root=node.ref == root,
        )
        for row, node in enumerate(nodes)
    ]


def _detail(node: Node) -> str:
    parts = [node.kind, node.type, "not in the catalog" if node.missing else ""]
    return " · ".join(part for part in parts if part)


def _legend(edges: Iterable[Edge]) -> tuple[LegendEntry, ...]:
    present = sorted({edge.type for edge in edges})
    return tuple(
        LegendEntry(
            type=type_,
            phrase=PHRASES.get(type_, type_),
            colour=COLOURS.get(type_, OTHER_COLOUR),
            marker=f"graph-arrow-{index}",  # type names are not trusted as ids
        )
        for index, type_ in enumerate(present)
    )


def _line(edge: Edge, boxes: dict[str, Box], entry: LegendEntry) -> Line:
    source, target = boxes[edge.source], boxes[edge.target]
    return Line(
        edge=edge,
        source=source.node,
        target=target.node,
        d=_path(source, target),
        colour=entry.colour,
        marker=entry.marker,
        phrase=entry.phrase,
    )


def _path(source: Box, target: Box) -> str:
    """A cubic curve leaving and entering boxes sideways, the arrow at the target."""
    y1 = source.y + source.height // 2
    y2 = target.y + target.height // 2
    if source.x < target.x:  # rightwards: right side to left side
        x1, x2, c1, c2 = source.x + source.width, target.x, CURVE, -CURVE
    elif source.x > target.x:  # leftwards: left side to right side
        x1, x2, c1, c2 = source.x, target.x + target.width, -CURVE, CURVE
    else:  # same column: a loop out of the right sides
        x1 = x2 = source.x + source.width
        # Longer loops bulge further so that they do not all share one curve.
        c1 = c2 = min(CURVE + abs(y2 - y1) // 8, COLUMN_GAP * 3 // 4)
        if source is target:
            y1, y2 = y1 - 8, y2 + 8
    return f"M{x1},{y1} C{x1 + c1},{y1} {x2 + c2},{y2} {x2},{y2}"
