"""A local fake git host (GitHub, GitLab, Gitea, Bitbucket Cloud, Bitbucket DC).

A real HTTP server on 127.0.0.1 answering each host's REST API with its recorded
response shapes (shapes/, sources in shapes/SOURCES.md) and serving real bare
git repositories over smart HTTP (`git http-backend`).
"""

from tests.support.fakehost.host import FakeHost
from tests.support.fakehost.model import FakePull, FakeRepo, FakeRequest

__all__ = ["FakeHost", "FakePull", "FakeRepo", "FakeRequest"]
