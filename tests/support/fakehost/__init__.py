"""A local fake git host (GitHub, GitLab, Gitea, Bitbucket Cloud, Bitbucket DC).

A real HTTP server on 127.0.0.1 answering each host's REST API with its recorded
response shapes (shapes/, sources in shapes/SOURCES.md) and serving real bare
git repositories over smart HTTP (`git http-backend`). GitHub and GitLab also
answer for organisations' people: teams, groups and their members.
"""

from tests.support.fakehost.host import FakeHost
from tests.support.fakehost.model import (
    FakeGroup,
    FakePerson,
    FakePull,
    FakeRepo,
    FakeRequest,
    FakeTeam,
)

__all__ = [
    "FakeGroup",
    "FakeHost",
    "FakePerson",
    "FakePull",
    "FakeRepo",
    "FakeRequest",
    "FakeTeam",
]
