"""Demo ("Acme Shop") and synthetic benchmark organisations as real local git repos.

Modules, leaves first: ``documents`` (descriptor YAML, Markdown), ``repos``
(deterministic git repositories, follow-up commits), ``org`` (the acme.yaml table
and the acme-org repository of people and teams), ``apis`` (OpenAPI and AsyncAPI
definitions), ``docs`` (TechDocs sites), ``components`` (component repositories),
``acme`` (the demo organisation) and ``synthetic`` (the benchmarks' organisation).
"""

# No Django imports anywhere in this package on purpose: it is used by tests
# that run without a database and by stand-alone benchmark scripts.

from __future__ import annotations

from demo.acme import DEMO_EPOCH as DEMO_EPOCH
from demo.acme import build_demo_org, demo_repos
from demo.documents import API_VERSION as API_VERSION
from demo.org import GITHUB_ORG as GITHUB_ORG
from demo.org import ORG_REPO as ORG_REPO
from demo.repos import (
    AUTHOR_EMAIL,
    AUTHOR_NAME,
    BRANCH,
    GitError,
    commit_file,
    expected_commit_sha,
)
from demo.repos import COMMIT_FILE_STEP_SECONDS as COMMIT_FILE_STEP_SECONDS
from demo.synthetic import SYNTHETIC_EPOCH as SYNTHETIC_EPOCH
from demo.synthetic import SYNTHETIC_SYSTEMS as SYNTHETIC_SYSTEMS
from demo.synthetic import SYNTHETIC_TEAMS as SYNTHETIC_TEAMS
from demo.synthetic import build_synthetic_org

__all__ = [
    "AUTHOR_EMAIL",
    "AUTHOR_NAME",
    "BRANCH",
    "GitError",
    "build_demo_org",
    "build_synthetic_org",
    "commit_file",
    "demo_repos",
    "expected_commit_sha",
]
