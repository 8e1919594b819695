"""Location globs: shell/gitignore semantics, in time linear in the path.

Patterns are the location's own path or a Location entity's target, so they are
written by whoever controls a repository; a regex translation backtracked
exponentially on `**/**/...` and on `*a*a*a*b`.
"""

from __future__ import annotations

import os
import re
import time

import git
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.descriptor import Limits
from catalog.ingest.git import CommitTree
from catalog.ingest.reader import compile_glob, read_location

# `make test` runs a few hundred fixed examples; HYPOTHESIS_PROFILE=long many more.
settings.register_profile(
    "glob-default", max_examples=400, derandomize=True, deadline=None
)
settings.register_profile(
    "glob-long", max_examples=50_000, derandomize=True, deadline=None
)
GLOB_PROFILE = settings.get_profile(
    "glob-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "glob-default"
)

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: deep}
spec: {type: service, lifecycle: production, owner: team-a}
"""
DEEP = "/".join(["d"] * 40)


def read(repo, pattern: str):
    tree = CommitTree(git.Repo(repo.path), repo.head(), 1024 * 1024)
    return read_location(
        tree, pattern, limits=Limits(), max_files=100, max_entities=100
    )


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


@pytest.mark.parametrize("stars", [8, 20])
def test_many_globstars_against_a_deep_path_finish_at_once(repos, stars):
    # Before: `**/` became `(?:.*/)?`; eight of them against a path 40 folders
    # deep did not finish in minutes (x7 per extra `**/`).
    repo = repos.create("deep", {f"{DEEP}/catalog-info.yaml": COMPONENT})
    missing, seconds = timed(read, repo, "**/" * stars + "nothing.yaml")
    assert seconds < 1
    assert missing.entities == []
    assert "no file in the repository matches" in missing.problems[0].message
    found, seconds = timed(read, repo, "**/" * stars + "catalog-info.yaml")
    assert seconds < 1
    assert [e.ref for e in found.entities] == ["component:default/deep"]


def test_many_stars_in_one_segment_finish_at_once(repos):
    # Before: `[^/]*a[^/]*a...b` backtracked len(name) ** stars times.
    name = "a" * 200
    repo = repos.create("stars", {name: COMPONENT, "aab": COMPONENT})
    result, seconds = timed(read, repo, "*a" * 12 + "*b")
    assert seconds < 1
    assert result.entities == []  # `aab` has two a's, the pattern wants twelve
    assert "no file in the repository matches" in result.problems[0].message


def test_matching_is_linear_in_the_path():
    glob = compile_glob("**/" * 50 + "x*y*z*?")
    path = "/".join(["a" * 50] * 500)
    _, seconds = timed(glob.match, path)
    assert seconds < 1


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("services/**/catalog-info.yaml", "services/a/catalog-info.yaml", True),
        ("services/**/catalog-info.yaml", "services/catalog-info.yaml", True),
        ("services/**/catalog-info.yaml", "services/a/b/c/catalog-info.yaml", True),
        ("services/**/catalog-info.yaml", "other/a/catalog-info.yaml", False),
        ("**/catalog-info.yaml", "catalog-info.yaml", True),
        ("**/catalog-info.yaml", "a/b/catalog-info.yaml", True),
        ("**/catalog-info.yaml", "a/b/xcatalog-info.yaml", False),
        ("*/catalog-info.yaml", "a/catalog-info.yaml", True),
        ("*/catalog-info.yaml", "a/b/catalog-info.yaml", False),
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "dir/a.yaml", False),
        ("?.yaml", "a.yaml", True),
        ("?.yaml", "ab.yaml", False),
        ("services/**", "services/a/b.yaml", True),
        ("services/**", "services", False),  # a trailing `**` names files inside
        ("**", "a/b/c", True),
        ("a/**/**/b", "a/b", True),
        ("**.yaml", "a.yaml", True),  # `**` inside a segment is `*`
        ("**.yaml", "dir/a.yaml", False),
        ("pages/[id]/catalog-info.yaml", "pages/[id]/catalog-info.yaml", True),
        ("pages/[id]/catalog-info.yaml", "pages/i/catalog-info.yaml", False),
    ],
)
def test_glob_semantics(pattern, path, matches):
    assert compile_glob(pattern).match(path) is matches


# ---------------------------------------------------------------------------
# Properties against simple references


def regex_reference(pattern: str) -> re.Pattern[str]:
    """The translation used before (exponential, but right on small inputs)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def recursive_reference(segments: list[str], names: list[str]) -> bool:
    """The rules written out: `**` takes any number of whole folders (at least
    one at the end), other segments match one name as fnmatch would."""
    if not segments:
        return not names
    head, rest = segments[0], segments[1:]
    if head == "**":
        least = 1 if not rest else 0
        return any(
            recursive_reference(rest, names[k:]) for k in range(least, len(names) + 1)
        )
    one = "".join(
        "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        for c in head.replace("**", "*")
    )
    return (
        bool(names)
        and re.fullmatch(one, names[0]) is not None
        and (recursive_reference(rest, names[1:]))
    )


names = st.text(alphabet="ab.", min_size=1, max_size=4).filter(
    lambda s: s not in (".", "..")
)
pattern_segments = st.one_of(
    st.just("**"),
    st.text(alphabet="ab*?.", min_size=1, max_size=5).filter(
        lambda s: s not in (".", "..") and "**" not in s
    ),
)
paths = st.lists(names, min_size=1, max_size=7).map("/".join)
patterns = st.lists(pattern_segments, min_size=1, max_size=6).map("/".join)


@settings(GLOB_PROFILE, suppress_health_check=[HealthCheck.filter_too_much])
@given(pattern=patterns, path=paths)
def test_same_answers_as_the_regex_translation(pattern, path):
    # Whole-segment `**` only: where the old translation was right.
    assert compile_glob(pattern).match(path) == bool(
        regex_reference(pattern).match(path)
    )


segments_with_inner_globstars = st.text(alphabet="ab*?.", min_size=1, max_size=6)


@settings(GLOB_PROFILE, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    segments=st.lists(
        st.one_of(st.just("**"), segments_with_inner_globstars), min_size=1, max_size=6
    ),
    path=paths,
)
def test_same_answers_as_the_rules_written_out(segments, path):
    segments = [s for s in segments if s not in (".", "..")] or ["*"]
    assert compile_glob("/".join(segments)).match(path) == recursive_reference(
        segments, path.split("/")
    )
