from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from catalog.descriptor import loading
from catalog.descriptor.loading import (
    Document,
    FileRefused,
    Limits,
    load_documents,
    load_one,
)

BILLION_LAUGHS = b"""\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.fixture(params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with the C parser and again with the pure-Python fallback."""
    if request.param == "libyaml":
        if not yaml.__with_libyaml__:
            pytest.skip("PyYAML was built without libyaml")
        monkeypatch.setattr(loading, "_LOADER_CLASS", loading._CoreCLoader)
    else:
        monkeypatch.setattr(loading, "_LOADER_CLASS", loading._CorePurePythonLoader)
    return str(request.param)


def only(documents: list[Document]) -> Document:
    assert len(documents) == 1
    return documents[0]


def error_of(data: bytes, limits: Limits | None = None) -> str:
    document = only(load_documents(data, limits or Limits()))
    assert document.value is None
    assert document.error is not None
    return document.error


def nested_block_mappings(levels: int) -> bytes:
    lines = [f"{'  ' * level}k{level}:" for level in range(levels)]
    lines[-1] += " leaf"
    return ("\n".join(lines) + "\n").encode()


def many_documents(count: int) -> Iterator[str]:
    for number in range(count):
        yield f"---\nkind: Component\nmetadata: {{name: c{number}}}\n"


# --- documents, markers, empty documents -----------------------------------


def test_multi_document_file_with_comment_header_and_empty_documents(
    parser: str,
) -> None:
    data = (
        b"# catalog for the payments team\n"
        b"# owned by @payments\n"
        b"---\n"
        b"kind: Component\n"
        b"---\n"
        b"# nothing here yet\n"
        b"---\n"
        b"---\n"
        b"kind: API\n"
    )

    documents = load_documents(data)

    assert documents == [
        Document(index=0, value={"kind": "Component"}, error=None, line=3),
        Document(index=1, value=None, error=None, line=5),
        Document(index=2, value=None, error=None, line=7),
        Document(index=3, value={"kind": "API"}, error=None, line=8),
    ]


def test_leading_document_marker_gives_one_document() -> None:
    document = only(load_documents(b"---\nkind: Component\nmetadata: {name: a}\n"))

    assert document == Document(
        index=0,
        value={"kind": "Component", "metadata": {"name": "a"}},
        error=None,
        line=1,
    )


def test_implicit_first_document_followed_by_explicit_ones() -> None:
    documents = load_documents(b"a: 1\n---\nb: 2\n...\n---\nc: 3\n")

    assert [d.value for d in documents] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [d.line for d in documents] == [1, 2, 5]
    assert [d.index for d in documents] == [0, 1, 2]


def test_trailing_document_marker_gives_an_empty_document() -> None:
    documents = load_documents(b"a: 1\n---\n")

    assert [(d.value, d.error) for d in documents] == [({"a": 1}, None), (None, None)]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# just a comment\n# and another\n"])
def test_file_without_documents_gives_empty_list(data: bytes) -> None:
    assert load_documents(data) == []


def test_utf8_bom_is_stripped() -> None:
    document = only(load_documents("\ufeffname: café\n".encode()))

    assert document.value == {"name": "café"}
    assert document.error is None


def test_values_are_json_only() -> None:
    data = b"s: text\ni: 42\nhex: 0x1f\nf: 1.5\nb: true\nn: null\nl: [1, two]\n"

    value = only(load_documents(data)).value

    assert value == {
        "s": "text",
        "i": 42,
        "hex": 31,
        "f": 1.5,
        "b": True,
        "n": None,
        "l": [1, "two"],
    }
    json.dumps(value, allow_nan=False)


def test_aliases_within_limits_load() -> None:
    value = only(load_documents(b"base: &b {owner: team-a}\nother: *b\n")).value

    assert value == {"base": {"owner": "team-a"}, "other": {"owner": "team-a"}}


# --- whole-file refusals ----------------------------------------------------


def test_file_larger_than_max_bytes_is_refused() -> None:
    data = b"a: " + b"x" * 100 + b"\n"

    with pytest.raises(FileRefused, match=r"104 bytes.*limit of 100 bytes"):
        load_documents(data, Limits(max_bytes=100))
    assert only(load_documents(data, Limits(max_bytes=len(data)))).error is None


def test_size_is_checked_before_decoding() -> None:
    with pytest.raises(FileRefused, match="limit"):
        load_documents(b"\xff" * 101, Limits(max_bytes=100))


def test_invalid_utf8_is_refused_with_byte_offset() -> None:
    with pytest.raises(FileRefused, match=r"not valid UTF-8.*byte offset 8"):
        load_documents(b"a: 1\nb: \xff\n")


def test_invalid_utf8_offset_counts_the_bom() -> None:
    with pytest.raises(FileRefused, match=r"UTF-8.*byte offset 6"):
        load_documents(b"\xef\xbb\xbfa: \xc3\x28\n")


def test_utf16_file_is_refused_as_invalid_utf8() -> None:
    with pytest.raises(FileRefused, match="UTF-8"):
        load_documents("a: 1\n".encode("utf-16"))


def test_nul_byte_is_refused() -> None:
    with pytest.raises(FileRefused, match=r"NUL byte at byte offset 4"):
        load_documents(b"a: b\x00c\n")


def test_control_character_is_refused_with_position() -> None:
    with pytest.raises(FileRefused, match=r"U\+0007 at line 2, column 4"):
        load_documents(b"a: 1\nb: \x07\n")


def test_ten_thousand_documents_are_refused(parser: str) -> None:
    data = "".join(many_documents(10_000)).encode()
    assert len(data) < 1024 * 1024

    with pytest.raises(FileRefused, match=r"too many YAML documents.*1000"):
        load_documents(data, Limits(max_documents=1000))


def test_exactly_max_documents_is_allowed() -> None:
    data = "".join(many_documents(5)).encode()

    assert len(load_documents(data, Limits(max_documents=5))) == 5
    with pytest.raises(FileRefused, match="at most 4 allowed"):
        load_documents(data, Limits(max_documents=4))


# --- syntax errors ----------------------------------------------------------


def test_syntax_error_in_second_of_three_documents_keeps_the_first(
    parser: str,
) -> None:
    data = b"kind: A\n---\nkind: [B, C\n---\nkind: D\n"

    documents = load_documents(data)

    assert documents[0] == Document(0, {"kind": "A"}, None, 1)
    assert len(documents) == 2
    broken = documents[1]
    assert (broken.index, broken.value, broken.line) == (1, None, 2)
    assert broken.error is not None
    assert broken.error.startswith("YAML syntax error at line 4, column 1:")


def test_syntax_error_reports_line_and_column(parser: str) -> None:
    error = error_of(b"kind: Component\nmetadata:\n  name: a: b\n")

    assert error.startswith("YAML syntax error at line 3, column 10:")


def test_syntax_error_between_documents_opens_a_new_document() -> None:
    documents = load_documents(b"a: 1\n...\n]\n")

    assert documents[0].value == {"a": 1}
    assert documents[1].index == 1
    assert documents[1].line == 3
    assert documents[1].error is not None
    assert "line 3, column 1" in documents[1].error


# --- per-document refusals ----------------------------------------------------


def test_duplicate_top_level_key_is_refused(parser: str) -> None:
    error = error_of(b"kind: Component\nname: a\nkind: API\n")

    assert error == "duplicate key 'kind' at line 3"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"spec:\n  owner: a\n  type: x\n  owner: b\n", 4),
        (b"items:\n  - name: a\n    name: b\n", 3),
        (b"a:\n  b:\n    c: {d: 1, d: 2}\n", 3),
    ],
)
def test_duplicate_nested_key_is_refused(data: bytes, line: int) -> None:
    error = error_of(data)

    assert error.startswith("duplicate key")
    assert error.endswith(f"at line {line}")


def test_keys_that_collide_as_json_strings_are_duplicates() -> None:
    assert error_of(b"1: a\n'1': b\n") == "duplicate key '1' at line 2"


def test_duplicate_key_refuses_only_its_document() -> None:
    documents = load_documents(b"a: 1\na: 2\n---\nb: 1\n")

    assert documents[0].error == "duplicate key 'a' at line 2"
    assert documents[1] == Document(1, {"b": 1}, None, 3)


def test_deep_flow_nesting_is_refused(parser: str) -> None:
    error = error_of(b"[" * 1000 + b"]" * 1000)

    assert "nesting deeper than 50 levels" in error


def test_deep_block_nesting_is_refused(parser: str) -> None:
    error = error_of(nested_block_mappings(60))

    assert error == "nesting deeper than 50 levels at line 51"


def test_nesting_at_the_limit_is_allowed() -> None:
    value = only(load_documents(b"[" * 50 + b"]" * 50)).value

    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    assert depth == 50


def test_nesting_through_aliases_counts() -> None:
    data = b"a: &x [[[1]]]\nb: [[*x]]\n"

    assert only(load_documents(data, Limits(max_depth=6))).error is None
    assert "nesting deeper than 5" in error_of(data, Limits(max_depth=5))


def test_unbalanced_deep_flow_nesting_stays_cheap(parser: str) -> None:
    # No closing brackets: the parser itself must give up early rather than
    # scan a megabyte of nesting.
    error = error_of(b"[" * 1_000_000, Limits(max_bytes=2_000_000))

    assert "nesting" in error


def test_billion_laughs_is_rejected_quickly(parser: str) -> None:
    started = time.perf_counter()
    error = error_of(BILLION_LAUGHS)
    elapsed = time.perf_counter() - started

    assert "too many YAML nodes" in error
    assert "alias expansion" in error
    assert elapsed < 2.0


def test_node_limit_is_shared_by_the_documents_of_a_file() -> None:
    data = b"[1, 2, 3, 4, 5]\n---\n[1, 2, 3, 4, 5]\n---\n[1, 2]\n"

    documents = load_documents(data, Limits(max_nodes=10))

    assert documents[0].value == [1, 2, 3, 4, 5]
    assert documents[1].error is not None
    assert "more than 10" in documents[1].error
    assert documents[2].value == [1, 2]


def test_recursive_alias_is_refused() -> None:
    assert "recursive alias '*a'" in error_of(b"a: &a [1, *a]\n")


def test_undefined_alias_is_refused() -> None:
    assert error_of(b"a: *nowhere\n") == "undefined alias '*nowhere' at line 1"


def test_python_tag_is_refused_and_not_run(parser: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = f'!!python/object/apply:os.system ["touch {marker}"]\n'.encode()

    error = error_of(data)

    assert "unsupported YAML tag '!!python/object/apply:os.system'" in error
    assert not marker.exists()


@pytest.mark.parametrize(
    ("data", "tag"),
    [
        (b"a: !!python/name:os.system\n", "!!python/name:os.system"),
        (b"a: !!binary aGVsbG8=\n", "!!binary"),
        (b"a: !!set {x, y}\n", "!!set"),
        (b"a: !!omap [{x: 1}]\n", "!!omap"),
        (b"a: !Ref other\n", "!Ref"),
        (b"a: !!str [1]\n", "!!str"),
        (b"a: !!merge x\n", "!!merge"),
    ],
)
def test_other_tags_are_refused(data: bytes, tag: str) -> None:
    assert f"unsupported YAML tag '{tag}'" in error_of(data)


def test_standard_tags_are_allowed() -> None:
    data = b"a: !!str 123\nb: !!int '7'\nc: !!float 1\nd: !!null ''\ne: !!map {}\n"

    assert only(load_documents(data)).value == {
        "a": "123",
        "b": 7,
        "c": 1.0,
        "d": None,
        "e": {},
    }


@pytest.mark.parametrize("data", [b"a: !!int abc\n", b"a: !!bool maybe\n"])
def test_standard_tag_on_wrong_text_is_refused(data: bytes) -> None:
    assert error_of(data).startswith("invalid !!")


def test_merge_key_is_refused(parser: str) -> None:
    data = b"base: &base {owner: a}\nthing:\n  <<: *base\n  type: service\n"

    assert "merge keys are not supported" in error_of(data)


def test_merge_key_in_flow_mapping_is_refused() -> None:
    assert "merge keys are not supported" in error_of(b"x: {<<: {a: 1}}\n")


def test_quoted_merge_key_and_plain_merge_value_are_text() -> None:
    value = only(load_documents(b"'<<': a\nb: <<\nc: =\n")).value

    assert value == {"<<": "a", "b": "<<", "c": "="}


@pytest.mark.parametrize("data", [b"? [a, b]\n: 1\n", b"? {a: 1}\n: 1\n"])
def test_non_scalar_key_is_refused(data: bytes) -> None:
    assert "mapping keys must be scalars" in error_of(data)


@pytest.mark.parametrize("data", [b"a: .nan\n", b"a: -.inf\n"])
def test_non_finite_float_is_refused(data: bytes) -> None:
    assert "cannot be represented in JSON" in error_of(data)


def test_bad_document_does_not_stop_the_next_ones() -> None:
    data = (
        b"a: !!python/name:os.system\n---\n"
        + nested_block_mappings(60)
        + b"---\nok: 1\n"
    )

    documents = load_documents(data)

    assert [d.error is not None for d in documents] == [True, True, False]
    assert documents[2].value == {"ok": 1}


# --- JSON conversions --------------------------------------------------------


def test_dates_stay_as_written_and_tagged_timestamps_become_iso_strings() -> None:
    data = (
        b"day: 2024-01-01\nat: 2024-01-01 10:30:00Z\n"
        b"tagged: !!timestamp 2024-01-01 10:30:00Z\n"
    )

    value = only(load_documents(data)).value

    assert value == {
        "day": "2024-01-01",
        "at": "2024-01-01 10:30:00Z",
        "tagged": "2024-01-01T10:30:00+00:00",
    }
    json.dumps(value, allow_nan=False)


def test_date_keys_become_strings() -> None:
    assert only(load_documents(b"2024-01-01: release\n")).value == {
        "2024-01-01": "release"
    }


def test_scalar_keys_become_strings_as_json_would() -> None:
    value = only(load_documents(b"1: a\ntrue: b\n~: c\n1.5: d\nno: e\n")).value

    assert value == {"1": "a", "true": "b", "null": "c", "1.5": "d", "no": "e"}


# --- load_one -----------------------------------------------------------------


def test_load_one_returns_the_value() -> None:
    assert load_one(b"site_name: Docs\nnav: [index.md]\n") == {
        "site_name": "Docs",
        "nav": ["index.md"],
    }


def test_load_one_of_empty_file_is_none() -> None:
    assert load_one(b"# nothing\n") is None


def test_load_one_refuses_several_documents() -> None:
    with pytest.raises(FileRefused, match="too many YAML documents.*at most 1"):
        load_one(b"a: 1\n---\nb: 2\n")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"a: [1\n", "YAML syntax error"),
        (b"a: 1\na: 2\n", "duplicate key 'a'"),
        (b"<<: {a: 1}\n", "merge keys are not supported"),
        (b"a: !!python/name:os.system\n", "unsupported YAML tag"),
        (b"\xff", "UTF-8"),
    ],
)
def test_load_one_raises_file_refused_for_any_error(data: bytes, words: str) -> None:
    with pytest.raises(FileRefused, match=words):
        load_one(data)


def test_plain_scalars_follow_the_yaml_1_2_core_schema_as_backstage_does(
    parser: str,
) -> None:
    text = (
        b"a: yes\nb: on\nc: 12:30\nd: 2024-01-01\ne: 017\nf: 0o17\ng: 0x1F\n"
        b"h: true\ni: ~\nj: 1.5\nk: 1_000\nl: No\n"
    )
    (doc,) = load_documents(text)
    assert doc.value == {
        "a": "yes",
        "b": "on",
        "c": "12:30",
        "d": "2024-01-01",
        "e": 17,
        "f": 15,
        "g": 31,
        "h": True,
        "i": None,
        "j": 1.5,
        "k": "1_000",
        "l": "No",
    }
