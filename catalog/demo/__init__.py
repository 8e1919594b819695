"""Demo ("Acme Shop") and synthetic benchmark organisations as real local git repos."""

# No Django imports anywhere in this package on purpose: it is used by tests
# that run without a database and by stand-alone benchmark scripts.

from __future__ import annotations

from catalog.demo.acme import DEMO_EPOCH as DEMO_EPOCH
from catalog.demo.acme import build_demo_org, demo_repos
from catalog.demo.changes import COMMIT_FILE_STEP_SECONDS as COMMIT_FILE_STEP_SECONDS
from catalog.demo.changes import commit_file
from catalog.demo.descriptors import API_VERSION as API_VERSION
from catalog.demo.git import AUTHOR_EMAIL, AUTHOR_NAME, BRANCH, GitError
from catalog.demo.org_data import GITHUB_ORG as GITHUB_ORG
from catalog.demo.org_data import ORG_REPO as ORG_REPO
from catalog.demo.shas import expected_commit_sha
from catalog.demo.synthetic import SYNTHETIC_EPOCH as SYNTHETIC_EPOCH
from catalog.demo.synthetic import build_synthetic_org
from catalog.demo.synthetic_layout import SYNTHETIC_SYSTEMS as SYNTHETIC_SYSTEMS
from catalog.demo.synthetic_layout import SYNTHETIC_TEAMS as SYNTHETIC_TEAMS

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
