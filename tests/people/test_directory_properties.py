"""Whatever a source reads, its descriptors validate or are refused one by one:
never an exception, never an entity under another name."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.descriptor import parse_documents
from people.directory import Directory, Person, Team, documents

NAME = re.compile(r"[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?")
text = st.text(max_size=80)
names = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True), text)


def valid(name: str) -> bool:
    return len(name) <= 63 and NAME.fullmatch(name) is not None


people = st.builds(Person, name=names, display_name=text, email=text, picture=text)
teams = st.builds(
    Team,
    name=names,
    display_name=text,
    description=text,
    parent=st.one_of(st.just(""), names),
    members=st.lists(names, max_size=5),
    maintainers=st.lists(names, max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(people, max_size=6), st.lists(teams, max_size=6))
def test_descriptors_of_any_directory_validate_or_are_refused(
    found_people, found_teams
):
    found = Directory(people=found_people, teams=found_teams)
    result = parse_documents(documents(found), "test:provider")
    produced = {(e.kind, e.name) for e in result.entities}
    for kind, name in produced:
        assert valid(name), (kind, name)
    listed = {("User", p.name) for p in found_people} | {
        ("Group", t.name) for t in found_teams
    }
    assert produced <= listed
    assert (
        found.fingerprint()
        == Directory(
            people=list(reversed(found_people)), teams=list(reversed(found_teams))
        ).fingerprint()
    )
