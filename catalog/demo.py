"""Demo and benchmark organisations made of real local git repositories.

``build_demo_org`` writes "Acme Shop": about thirty small non-bare repositories
whose ``catalog-info.yaml`` files exercise every built-in kind, multi-document
files, ``$text`` substitutions, Location fan-out, TechDocs sites and a few
deliberate oddities (a deprecated component still depended upon, an owner that
does not exist).  ``build_synthetic_org`` writes many bare repositories quickly
for ingestion benchmarks, and ``commit_file`` turns either flavour into a
"changed repo".

Everything is deterministic: fixed author, fixed dates and a scrubbed git
environment make commit shas identical from run to run, which is what lets the
builders skip repositories that are already up to date (the expected commit sha
is computed in Python and compared with the branch tip before touching git).

No Django imports here on purpose: the module is used by tests that run without
a database and by stand-alone benchmark scripts.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

__all__ = [
    "AUTHOR_EMAIL",
    "AUTHOR_NAME",
    "BRANCH",
    "GitError",
    "build_demo_org",
    "build_synthetic_org",
    "commit_file",
    "expected_commit_sha",
]

AUTHOR_NAME = "Greenroom Demo"
AUTHOR_EMAIL = "demo@greenroom.invalid"
BRANCH = "main"
API_VERSION = "backstage.io/v1alpha1"
# 2024-03-01T09:00:00Z.  Each demo repo is committed an hour after the previous
# one so the history looks plausible while staying fixed.
DEMO_EPOCH = 1_709_283_600
SYNTHETIC_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
# commit_file moves time forward by this much relative to the parent commit, so
# follow-up commits are deterministic too and sort after their parents.
COMMIT_FILE_STEP_SECONDS = 60

Files = Mapping[str, bytes]
Doc = dict[str, Any]


class GitError(RuntimeError):
    """A git subprocess failed; the message carries git's stderr."""


# --------------------------------------------------------------------------
# git plumbing
# --------------------------------------------------------------------------


def _git_env(timestamp: int | None = None) -> dict[str, str]:
    # Drop inherited GIT_* variables (GIT_DIR, GIT_INDEX_FILE from a hook, ...)
    # and ignore the user's/system config: signing, hooks paths, autocrlf or a
    # different default branch would otherwise change the shas we promise.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=AUTHOR_NAME,
        GIT_AUTHOR_EMAIL=AUTHOR_EMAIL,
        GIT_COMMITTER_NAME=AUTHOR_NAME,
        GIT_COMMITTER_EMAIL=AUTHOR_EMAIL,
        LC_ALL="C",
    )
    if timestamp is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{timestamp} +0000"
    return env


def _git(
    args: Sequence[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    timestamp: int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    env = _git_env(timestamp)
    if extra_env:
        env.update(extra_env)
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(
            f"git {' '.join(args)} failed in {cwd} ({proc.returncode}): "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode()


def _hash_object(kind: bytes, body: bytes) -> bytes:
    # Same framing git uses for loose objects; only used to predict shas.
    header = kind + b" " + str(len(body)).encode() + b"\0"
    return hashlib.sha1(header + body, usedforsecurity=False).digest()


def _tree_sha(files: Files) -> bytes:
    nested: dict[str, Any] = {}
    for relpath, content in files.items():
        *dirs, leaf = relpath.split("/")
        node = nested
        for part in dirs:
            node = node.setdefault(part, {})
        node[leaf] = content
    return _tree_node_sha(nested)


def _tree_node_sha(node: Mapping[str, Any]) -> bytes:
    entries: list[tuple[bytes, bytes]] = []
    for name, value in node.items():
        raw = name.encode()
        if isinstance(value, dict):
            # git orders a subtree as if its name ended with "/".
            entries.append(
                (raw + b"/", b"40000 " + raw + b"\0" + _tree_node_sha(value))
            )
        else:
            entries.append(
                (raw, b"100644 " + raw + b"\0" + _hash_object(b"blob", value))
            )
    entries.sort()
    return _hash_object(b"tree", b"".join(entry for _, entry in entries))


def expected_commit_sha(files: Files, message: str, timestamp: int) -> str:
    """Sha of the root commit the builders create for ``files``.

    Mirrors git's object format exactly (regular files only, one root commit,
    fixed identity); tests assert it equals what git really produced, which is
    what makes the "already up to date" short-cut trustworthy.
    """
    ident = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {timestamp} +0000"
    body = (
        f"tree {_tree_sha(files).hex()}\n"
        f"author {ident}\ncommitter {ident}\n\n{_normalise_message(message)}"
    ).encode()
    return _hash_object(b"commit", body).hex()


def _normalise_message(message: str) -> str:
    # `git commit -m` strips trailing whitespace and ends with one newline;
    # the fast-import path writes the same bytes so both agree.
    return message.strip() + "\n"


def _read_branch_tip(git_dir: Path) -> str | None:
    # Reading the ref file directly avoids a subprocess per repo on re-runs.
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    if head != f"ref: refs/heads/{BRANCH}":
        return None
    try:
        return (git_dir / "refs" / "heads" / BRANCH).read_text().strip()
    except OSError:
        pass
    try:
        packed = (git_dir / "packed-refs").read_text()
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, ref = line.partition(" ")
        if ref == f"refs/heads/{BRANCH}":
            return sha
    return None


def _clear_for_rebuild(path: Path, git_dir: Path) -> None:
    if not path.exists():
        return
    # Only ever delete something that is recognisably a git repository; a
    # stray directory with other data in it is the caller's to sort out.
    if not (git_dir / "HEAD").is_file():
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
            return
        raise FileExistsError(f"{path} exists and is not a git repository")
    shutil.rmtree(path)


def _write_worktree_repo(
    path: Path, files: Files, message: str, timestamp: int
) -> bool:
    """Create a non-bare repo with one commit; return False if already there."""
    expected = expected_commit_sha(files, message, timestamp)
    if _read_branch_tip(path / ".git") == expected:
        return False
    _clear_for_rebuild(path, path / ".git")
    path.mkdir(parents=True)
    for relpath, content in files.items():
        target = path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    _git(["init", "-q", "-b", BRANCH], path)
    _git(["add", "-A"], path)
    _git(["commit", "-q", "--no-verify", "-m", message], path, timestamp=timestamp)
    return True


def _init_bare(path: Path) -> None:
    # --template= skips copying the sample hooks: a measurable saving over
    # thousands of repos, and a bare benchmark repo has no use for them.
    _git(["init", "-q", "--bare", "--template=", "-b", BRANCH, str(path)], path.parent)


def _write_bare_repo(
    path: Path, files: Files, message: str, timestamp: int, skeleton: Path | None = None
) -> bool:
    """Create a bare repo with one commit via fast-import; False if unchanged.

    ``skeleton`` is an empty repository made by ``git init --bare`` once;
    copying it is ~20x cheaper than starting ``git init`` for every repo.
    """
    expected = expected_commit_sha(files, message, timestamp)
    if _read_branch_tip(path) == expected:
        return False
    _clear_for_rebuild(path, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if skeleton is None:
        _init_bare(path)
    else:
        shutil.copytree(skeleton, path)
    ident = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {timestamp} +0000".encode()
    msg = _normalise_message(message).encode()
    stream = [
        b"commit refs/heads/" + BRANCH.encode() + b"\n",
        b"author " + ident + b"\n",
        b"committer " + ident + b"\n",
        b"data %d\n" % len(msg),
        msg,
    ]
    for relpath, content in sorted(files.items()):
        stream += [
            b"M 100644 inline " + relpath.encode() + b"\n",
            b"data %d\n" % len(content),
            content,
            b"\n",
        ]
    stream.append(b"\n")
    # unpackLimit=0 keeps the tiny pack as is; the default (100) would explode
    # it into loose objects through an extra unpack-objects process per repo.
    _git(
        ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet"],
        path,
        stdin=b"".join(stream),
    )
    return True


def _run_parallel(func: Callable[[int], object], count: int) -> None:
    # Threads are enough: the heavy lifting happens in git subprocesses, and
    # the Python part (YAML) interleaves with them even on two cores.
    workers = max(1, min(16, (os.cpu_count() or 1) * 2, count))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # list() re-raises the first worker exception here.
        list(pool.map(func, range(count)))


def commit_file(repo: Path, relpath: str, content: str | None, message: str) -> str:
    """Write (or, with ``content=None``, delete) ``relpath`` and commit it.

    Works on the current branch of both repository flavours made here:

    * non-bare (demo) repos: the working tree file is written/removed and
      committed with ``git add``/``git rm`` + ``git commit``, so the working
      tree, index and branch stay in sync;
    * bare (synthetic) repos: plumbing only -- a throw-away index file is
      loaded from HEAD, patched with ``update-index``, turned into a tree with
      ``write-tree`` and committed with ``commit-tree``/``update-ref``.

    A commit is always created (an unchanged file gives an empty commit) so the
    returned sha always differs from the previous tip.  The commit is dated one
    minute after its parent, keeping follow-up histories deterministic.
    """
    repo = Path(repo)
    path = PurePosixPath(relpath)
    if (
        path.is_absolute()
        or ".." in path.parts
        or not path.parts
        or path.parts[0] == ".git"
    ):
        raise ValueError(f"relpath must stay inside the repository: {relpath!r}")
    relpath = path.as_posix()
    parent = _git(["log", "-1", "--format=%H %ct", "HEAD"], repo).split()
    timestamp = int(parent[1]) + COMMIT_FILE_STEP_SECONDS
    if (repo / ".git").exists():
        target = repo / relpath
        if content is None:
            target.unlink(missing_ok=True)
            _git(["rm", "-q", "--cached", "--ignore-unmatch", "--", relpath], repo)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode())
            _git(["add", "--", relpath], repo)
        _git(
            ["commit", "-q", "--no-verify", "--allow-empty", "-m", message],
            repo,
            timestamp=timestamp,
        )
        return _git(["rev-parse", "HEAD"], repo).strip()
    with tempfile.TemporaryDirectory(prefix="greenroom-index-") as tmp:
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git(["read-tree", "HEAD"], repo, extra_env=index_env)
        if content is None:
            # Mode 0 removes the entry; `--force-remove` would want a work tree.
            entry = f"0 {'0' * 40}\t{relpath}\n"
        else:
            blob = _git(["hash-object", "-w", "--stdin"], repo, stdin=content.encode())
            entry = f"100644 {blob.strip()}\t{relpath}\n"
        _git(
            ["update-index", "--index-info"],
            repo,
            stdin=entry.encode(),
            extra_env=index_env,
        )
        tree = _git(["write-tree"], repo, extra_env=index_env).strip()
    sha = _git(
        ["commit-tree", tree, "-p", parent[0], "-m", message], repo, timestamp=timestamp
    ).strip()
    # Compare-and-swap against the parent so a concurrent writer is detected.
    _git(["update-ref", "-m", "commit_file", "HEAD", sha, parent[0]], repo)
    return sha


# --------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------


class _BlockDumper(yaml.SafeDumper):
    """SafeDumper that prints multi-line strings (inline API specs) as blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        # Shared sub-dicts (one response schema used twice) must not turn into
        # &id001/*id001 anchors: legal YAML, but noisy for people reading it.
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_BlockDumper.add_representer(str, _represent_str)


def _dump(docs: Iterable[Doc]) -> bytes:
    """Multi-document YAML, keys in insertion order, readable block strings."""
    text = yaml.dump_all(
        list(docs),
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return text.encode()


# libyaml's emitter is ~6x faster, which matters for 10,000 synthetic entities.
# Its output for these plain documents matches the pure-Python emitter, but the
# synthetic org only promises determinism on one machine anyway.
class _FastDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


_FastDumper.add_representer(str, _represent_str)


def _dump_fast(docs: Sequence[Doc]) -> bytes:
    return yaml.dump_all(docs, Dumper=_FastDumper, sort_keys=False, width=100).encode()


def _entity(kind: str, metadata: Doc, spec: Doc) -> Doc:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


# --------------------------------------------------------------------------
# Acme Shop: the declarative table
# --------------------------------------------------------------------------

ORG_REPO = "acme-org"
GITHUB_ORG = "acme"


def _c(
    repo: str,
    ctype: str,
    lifecycle: str,
    owner: str,
    system: str,
    lang: str,
    tags: str,
    description: str,
    **extra: Any,
) -> Doc:
    """One row of the component table; see the keys documented above it."""
    return {
        "name": repo,
        "repo": repo,
        "type": ctype,
        "lifecycle": lifecycle,
        "owner": owner,
        "system": system,
        "lang": lang,
        "tags": tags.split(),
        "description": description,
        **extra,
    }


# The tables below are kept hand-aligned: one row per line reads better than
# what the formatter would make of them.
# fmt: off

# Business unit -> (display name, teams); the organisation group `acme` sits
# above both business units.
_BUSINESS_UNITS: dict[str, tuple[str, list[str]]] = {
    "commerce": ("Commerce", ["team-checkout", "team-catalog", "team-payments",
                              "team-search", "team-web"]),
    "platform": ("Platform", ["team-infra", "team-sre", "team-data", "team-identity"]),
}

_TEAM_NAMES: dict[str, str] = {
    "team-checkout": "Checkout",
    "team-catalog": "Catalog",
    "team-payments": "Payments",
    "team-search": "Search & Discovery",
    "team-web": "Web Experience",
    "team-infra": "Infrastructure",
    "team-sre": "Site Reliability",
    "team-data": "Data Platform",
    "team-identity": "Identity",
}

# Groups that also list their members explicitly; for the others membership is
# only declared on the User side, so both relation sources get exercised.
_GROUPS_LISTING_MEMBERS = {
    "acme", "commerce", "platform",
    "team-checkout", "team-payments", "team-infra", "team-sre",
}

# (user name, display name, direct groups)
_USERS: list[tuple[str, str, list[str]]] = [
    ("amara.okafor",   "Amara Okafor",   ["acme"]),
    ("jonas.weber",    "Jonas Weber",    ["commerce"]),
    ("priya.raman",    "Priya Raman",    ["platform"]),
    ("lena.fischer",   "Lena Fischer",   ["team-checkout"]),
    ("mateo.garcia",   "Mateo García",   ["team-checkout"]),
    ("hannah.kim",     "Hannah Kim",     ["team-checkout"]),
    ("oliver.bennett", "Oliver Bennett", ["team-catalog"]),
    ("sofia.rossi",    "Sofia Rossi",    ["team-catalog"]),
    ("kwame.mensah",   "Kwame Mensah",   ["team-payments"]),
    ("elena.petrova",  "Elena Petrova",  ["team-payments"]),
    ("david.cohen",    "David Cohen",    ["team-payments"]),
    ("yuki.tanaka",    "Yuki Tanaka",    ["team-search"]),
    ("noah.schmidt",   "Noah Schmidt",   ["team-search"]),
    ("chloe.martin",   "Chloé Martin",   ["team-web"]),
    ("arjun.mehta",    "Arjun Mehta",    ["team-web"]),
    ("isabella.silva", "Isabella Silva", ["team-web", "team-search"]),
    ("tomasz.nowak",   "Tomasz Nowak",   ["team-infra", "team-sre"]),
    ("fatima.zahra",   "Fatima Zahra",   ["team-infra"]),
    ("liam.oconnor",   "Liam O'Connor",  ["team-sre"]),
    ("aisha.bello",    "Aisha Bello",    ["team-sre"]),
    ("ravi.shankar",   "Ravi Shankar",   ["team-data"]),
    ("emma.larsen",    "Emma Larsen",    ["team-data"]),
    ("marcus.johnson", "Marcus Johnson", ["team-identity"]),
    ("ines.duarte",    "Inês Duarte",    ["team-identity"]),
]

# (name, owner, description)
_DOMAINS: list[tuple[str, str, str]] = [
    ("commerce", "commerce",
     "Everything a shopper touches: browsing, cart, checkout and payment."),
    ("platform", "platform",
     "Shared infrastructure, identity and reliability tooling for all teams."),
    ("data", "team-data",
     "Analytics, reporting and the event pipelines that feed them."),
]

# (name, domain, owner, description)
_SYSTEMS: list[tuple[str, str, str, str]] = [
    ("storefront", "commerce", "team-web",
     "Customer-facing web shop, mobile backend and design system."),
    ("catalog", "commerce", "team-catalog", "Products, stock levels and prices."),
    ("checkout", "commerce", "team-checkout",
     "Cart, checkout flow, orders and customer notifications."),
    ("payments", "commerce", "team-payments",
     "Card payments, fraud screening, invoicing and tax."),
    ("search", "commerce", "team-search",
     "Product search, indexing and recommendations."),
    ("identity", "platform", "team-identity",
     "Customer and staff authentication and sessions."),
    ("infrastructure", "platform", "team-infra",
     "Clusters, Terraform modules and deployment tooling."),
    ("observability", "platform", "team-sre",
     "Metrics, logs, alerting and the public status page."),
    ("data-platform", "data", "team-data",
     "Event ingestion, warehouse and business dashboards."),
]

# OpenAPI APIs: the document is generated from this model description and
# stored next to the descriptor, which embeds it with `$text`.  Field types:
# string, integer, number, boolean, uuid, date-time, <type>[] for arrays,
# enum:a|b; a trailing "?" marks an optional property.
# name -> (title, version, model, collection path, operations, query params,
#          "field:type" list)
_OPENAPI: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "product-catalog-api": (
        "Product Catalog API", "2.3.0", "Product", "products", "list create get",
        "category",
        "id:uuid sku:string name:string description:string? priceCents:integer "
        "currency:string categories:string[]"),
    "inventory-api": (
        "Inventory API", "1.8.1", "StockLevel", "stock-levels", "list get",
        "warehouse",
        "id:string sku:string warehouse:string available:integer "
        "reserved:integer updatedAt:date-time"),
    "pricing-api": (
        "Pricing API", "0.4.0", "Price", "prices", "list get", "sku market",
        "id:string sku:string market:string amountCents:integer currency:string "
        "validUntil:date-time?"),
    "cart-api": (
        "Cart API", "3.1.0", "Cart", "carts", "create get", "",
        "id:uuid customerId:string? items:string[] subtotalCents:integer "
        "currency:string"),
    "checkout-api": (
        "Checkout API", "2.0.0", "CheckoutSession", "checkout-sessions",
        "create get", "",
        "id:uuid cartId:uuid status:enum:open|paid|expired|failed "
        "totalCents:integer createdAt:date-time"),
    "payments-api": (
        "Payments API", "4.2.0", "Payment", "payments", "list create get",
        "orderId",
        "id:uuid orderId:string amountCents:integer currency:string "
        "method:enum:card|paypal|klarna status:enum:pending|captured|refunded|failed"),
    "fraud-api": (
        "Fraud Screening API", "0.9.0", "RiskAssessment", "risk-assessments",
        "create get", "",
        "id:uuid paymentId:uuid score:number decision:enum:approve|review|decline "
        "reasons:string[]?"),
    "search-api": (
        "Search API", "1.12.0", "SearchHit", "search", "list", "q category",
        "id:string sku:string title:string score:number highlight:string?"),
    "identity-api": (
        "Identity API", "1.5.2", "Session", "sessions", "create get", "",
        "id:uuid subject:string scopes:string[] expiresAt:date-time mfa:boolean"),
}

# Event APIs: title, version, description, then (topic, message, payload
# "field:type" list) per channel.
_ASYNCAPI: dict[str, tuple[str, str, str, list[tuple[str, str, str]]]] = {
    "order-events": (
        "Order events", "1.4.0",
        "Lifecycle events for customer orders, published to Kafka.",
        [("orders.order-placed.v1", "OrderPlaced",
          "orderId:string customerId:string totalCents:integer"),
         ("orders.order-cancelled.v1", "OrderCancelled",
          "orderId:string reason:string")]),
    "inventory-events": (
        "Inventory events", "1.1.0",
        "Stock level changes, published whenever availability moves.",
        [("inventory.stock-changed.v1", "StockChanged",
          "sku:string warehouse:string available:integer")]),
}

# fmt: on

_GRAPHQL: dict[str, tuple[str, str]] = {
    "storefront-graphql": (
        "Backend-for-frontend schema used by the web shop and the mobile apps.",
        """\
type Query {
  product(id: ID!): Product
  search(query: String!, first: Int = 20, after: String): ProductConnection!
  cart(id: ID!): Cart
  me: Customer
}

type Mutation {
  addToCart(cartId: ID!, sku: String!, quantity: Int!): Cart!
  removeFromCart(cartId: ID!, sku: String!): Cart!
  startCheckout(cartId: ID!): CheckoutSession!
}

type Product {
  id: ID!
  sku: String!
  name: String!
  price: Money!
  available: Boolean!
}

type ProductConnection {
  edges: [Product!]!
  endCursor: String
  hasNextPage: Boolean!
}

type Cart {
  id: ID!
  items: [CartItem!]!
  subtotal: Money!
}

type CartItem {
  sku: String!
  quantity: Int!
}

type CheckoutSession {
  id: ID!
  redirectUrl: String!
}

type Customer {
  id: ID!
  displayName: String!
}

type Money {
  amountCents: Int!
  currency: String!
}
""",
    ),
}

# The component repositories, one _c() row each: repo, type, lifecycle, owner,
# system, language, tags, description; optional keywords: title, provides /
# consumes (API names), depends (full refs: dependsOn has no default kind),
# resources ((name, type, description[, dependsOn refs]) declared in the same
# file), docs (True -> mkdocs site), notes (prose used in the docs), url (a
# live site).  A row with `subcomponents` is a monorepo whose root descriptor
# is a Location pointing at one descriptor per ./services/<name> folder.
# fmt: off
_COMPONENTS: list[Doc] = [
    # -- storefront ---------------------------------------------------------
    _c("storefront-web", "website", "production", "team-web", "storefront",
       "typescript", "typescript react nextjs",
       "The customer-facing web shop at www.acme.example, server-rendered "
       "with Next.js.",
       title="Acme web shop", consumes=["storefront-graphql"],
       depends=["component:storefront-gateway", "component:design-system"],
       url="https://www.acme.example", docs=True,
       notes="Pages are rendered on the edge and cached for 60 seconds; cart "
       "and account pages are never cached."),
    _c("storefront-gateway", "service", "production", "team-web", "storefront",
       "typescript", "typescript graphql apollo",
       "GraphQL backend-for-frontend that fans out to catalog, cart, checkout "
       "and search.",
       provides=["storefront-graphql"],
       consumes=["product-catalog-api", "cart-api", "checkout-api", "search-api",
                 "identity-api"]),
    _c("mobile-app", "website", "production", "team-web", "storefront",
       "typescript", "react-native typescript ios android",
       "React Native shopping app for iOS and Android.",
       title="Acme Shop mobile app", consumes=["storefront-graphql"]),
    _c("design-system", "library", "production", "team-web", "storefront",
       "typescript", "typescript react storybook",
       "Shared React components, design tokens and Storybook for every Acme "
       "front end.",
       title="Acme design system", docs=True,
       notes="Tokens are the source of truth for colour and spacing; components "
       "never hard-code values."),
    # -- catalog ------------------------------------------------------------
    _c("product-catalog", "service", "production", "team-catalog", "catalog",
       "java", "java spring-boot postgres",
       "Source of truth for products, categories and product media.",
       provides=["product-catalog-api"],
       depends=["resource:catalog-db", "resource:product-images"],
       resources=[
           ("catalog-db", "database",
            "PostgreSQL 15 cluster holding products and categories."),
           ("product-images", "s3-bucket",
            "Original and resized product photos served via the CDN."),
       ],
       docs=True,
       notes="Writes go to the primary; list endpoints read from a replica and "
       "may lag by a few seconds."),
    _c("inventory-service", "service", "production", "team-catalog", "catalog",
       "go", "go postgres kafka",
       "Tracks stock per warehouse and publishes availability changes.",
       provides=["inventory-api", "inventory-events"],
       depends=["resource:inventory-db"],
       resources=[("inventory-db", "database",
                   "PostgreSQL database with stock levels per warehouse.")]),
    _c("pricing-service", "service", "experimental", "team-catalog", "catalog",
       "kotlin", "kotlin ktor",
       "Market-specific prices and promotions; replacing the price columns in "
       "the catalog.",
       provides=["pricing-api"], consumes=["product-catalog-api"]),
    # -- checkout -----------------------------------------------------------
    _c("cart-service", "service", "production", "team-checkout", "checkout",
       "go", "go redis",
       "Shopping carts for guests and signed-in customers.",
       provides=["cart-api"],
       consumes=["product-catalog-api", "pricing-api", "inventory-api"],
       depends=["resource:cart-cache"],
       resources=[("cart-cache", "cache", "Redis cluster holding carts for 30 days.")],
       docs=True,
       notes="Guest carts are keyed by an opaque cookie and merged into the "
       "customer cart at sign-in."),
    _c("checkout-service", "service", "production", "team-checkout", "checkout",
       "java", "java spring-boot",
       "Turns a cart into an order: address, shipping, tax and payment "
       "orchestration.",
       provides=["checkout-api"],
       consumes=["cart-api", "payments-api", "inventory-api", "identity-api"],
       # The deprecated calculator is still a live dependency on purpose.
       depends=["component:order-service", "component:legacy-tax-calculator"],
       docs=True,
       notes="Tax is still computed by the deprecated legacy-tax-calculator "
       "until billing-service takes over."),
    _c("order-service", "service", "production", "team-checkout", "checkout",
       "java", "java spring-boot kafka",
       "Stores orders and publishes order lifecycle events.",
       provides=["order-events"],
       depends=["resource:orders-db", "resource:order-events-topic"],
       resources=[
           ("orders-db", "database",
            "PostgreSQL database with orders and order lines."),
           ("order-events-topic", "kafka-topic",
            "Kafka topics orders.* (12 partitions, 7 days retention)."),
       ]),
    _c("notification-service", "service", "production", "team-checkout",
       "checkout", "python", "python celery email",
       "Order confirmation and shipping e-mails and push notifications.",
       consumes=["order-events"], depends=["resource:notifications-queue"],
       resources=[("notifications-queue", "queue",
                   "SQS queue buffering outgoing notifications.")]),
    # -- payments -----------------------------------------------------------
    _c("payments-gateway", "service", "production", "team-payments", "payments",
       "java", "java spring-boot pci",
       "Single entry point for card, PayPal and Klarna payments.",
       provides=["payments-api"], consumes=["fraud-api"],
       depends=["resource:payments-db"],
       resources=[("payments-db", "database",
                   "PCI-scoped PostgreSQL database for payment records.")],
       docs=True,
       notes="Card data never touches this service: the browser tokenises "
       "cards directly with the payment provider."),
    _c("fraud-detection", "service", "experimental", "team-payments", "payments",
       "python", "python fastapi ml",
       "Scores payments for fraud risk with a gradient-boosted model.",
       provides=["fraud-api"], consumes=["order-events"],
       depends=["resource:fraud-models"],
       resources=[("fraud-models", "s3-bucket",
                   "Versioned model artefacts for fraud scoring.")]),
    _c("billing-service", "service", "production", "team-payments", "payments",
       "kotlin", "kotlin spring-boot",
       "Invoices, credit notes and (soon) tax calculation.",
       consumes=["order-events", "payments-api"], depends=["resource:billing-db"],
       resources=[("billing-db", "database",
                   "PostgreSQL database with invoices and credit notes.")]),
    _c("legacy-tax-calculator", "service", "deprecated", "team-payments",
       "payments", "java", "java legacy",
       "Deprecated VAT and sales-tax calculator; still called by "
       "checkout-service until the billing migration ends."),
    # -- search -------------------------------------------------------------
    _c("search-service", "service", "production", "team-search", "search",
       "python", "python fastapi elasticsearch",
       "Full-text and faceted product search.",
       provides=["search-api"], depends=["resource:search-index"],
       resources=[("search-index", "elasticsearch",
                   "Elasticsearch cluster with the products index.")],
       docs=True,
       notes="Ranking combines BM25 with popularity signals that search-indexer "
       "refreshes hourly."),
    _c("search-indexer", "service", "production", "team-search", "search",
       "python", "python kafka",
       "Keeps the search index in sync with the catalog and stock levels.",
       consumes=["product-catalog-api", "inventory-events"],
       depends=["resource:search-index", "component:product-catalog"]),
    # Deliberately dangling owner: team-personalization was never created in
    # acme-org, so compliance views have an unowned component to show.
    _c("recommendations", "service", "experimental", "team-personalization",
       "search", "python", "python ml",
       "\"Customers also bought\" recommendations; an experiment without an "
       "owning team yet.",
       consumes=["search-api", "order-events"], depends=["resource:warehouse"]),
    # -- identity -----------------------------------------------------------
    _c("identity-service", "service", "production", "team-identity", "identity",
       "go", "go oauth2 oidc",
       "OAuth 2.0 / OpenID Connect provider for customers and staff.",
       provides=["identity-api"], depends=["resource:identity-db"],
       resources=[("identity-db", "database",
                   "PostgreSQL database with accounts and sessions.")],
       docs=True,
       notes="Access tokens live 15 minutes; refresh tokens rotate on every use."),
    _c("auth-client-python", "library", "production", "team-identity",
       "identity", "python", "python oauth2",
       "Python client for the identity API with token caching and "
       "FastAPI/Django helpers.",
       consumes=["identity-api"]),
    # -- infrastructure -----------------------------------------------------
    _c("service-kit-python", "library", "production", "team-infra",
       "infrastructure", "python", "python opentelemetry",
       "Batteries for Python services: config, structured logging, tracing "
       "and health checks.",
       title="Python service kit", docs=True,
       notes="Every Python service at Acme is expected to start through "
       "`service_kit.run()`."),
    _c("terraform-modules", "library", "production", "team-infra",
       "infrastructure", "terraform", "terraform aws",
       "Versioned Terraform modules for databases, buckets, queues and service "
       "accounts.",
       docs=True,
       notes="Modules are released with semantic versions; pin them with "
       "`?ref=vX.Y.Z`."),
    {"repo": "platform-tools", "owner": "team-infra", "system": "infrastructure",
     "description": "Monorepo with small internal tools run by the "
                    "infrastructure team.",
     "subcomponents": [
         _c("deploy-bot", "service", "production", "team-infra", "infrastructure",
            "go", "go slack kubernetes",
            "Slack bot that promotes releases between environments."),
         _c("cost-reporter", "service", "experimental", "team-infra",
            "infrastructure", "python", "python aws finops",
            "Weekly AWS cost breakdown per team, posted to Slack."),
     ]},
    # -- observability ------------------------------------------------------
    _c("observability-stack", "service", "production", "team-sre",
       "observability", "yaml", "prometheus grafana loki",
       "Prometheus, Grafana and Loki configuration for all environments.",
       depends=["resource:metrics-store"],
       resources=[("metrics-store", "database",
                   "Long-term metrics storage (Thanos on S3).")],
       docs=True,
       notes="Dashboards are provisioned from this repo; edits made in the "
       "Grafana UI are overwritten."),
    _c("alert-router", "service", "production", "team-sre", "observability",
       "go", "go alertmanager pagerduty",
       "Routes Alertmanager alerts to the owning team's PagerDuty service.",
       depends=["component:observability-stack"]),
    _c("status-page", "website", "production", "team-sre", "observability",
       "typescript", "typescript astro",
       "Public status page at status.acme.example.",
       url="https://status.acme.example"),
    _c("engineering-handbook", "website", "production", "team-sre",
       "observability", "markdown", "docs handbook",
       "How Acme engineering works: on-call, incident response, code review.",
       title="Engineering handbook", docs=True,
       notes="Anyone may propose a change; the owning team merges after one "
       "review."),
    # -- data ---------------------------------------------------------------
    _c("orders-etl", "service", "production", "team-data", "data-platform",
       "python", "python airflow dbt",
       "Loads order events into the warehouse every fifteen minutes.",
       consumes=["order-events"],
       depends=["resource:data-lake", "resource:warehouse"],
       resources=[
           ("data-lake", "s3-bucket",
            "Raw event archive in Parquet, partitioned by day."),
           ("warehouse", "database", "Snowflake warehouse for reporting.",
            ["resource:data-lake"]),
       ]),
    _c("analytics-dashboard", "website", "experimental", "team-data",
       "data-platform", "python", "python streamlit",
       "Self-service sales dashboards on top of the warehouse.",
       depends=["resource:warehouse"]),
    _c("event-schemas", "library", "production", "team-data", "data-platform",
       "avro", "avro kafka schemas",
       "Avro schemas for every Kafka topic, with generated Java and Python "
       "bindings."),
]

_QUICKSTART: dict[str, str] = {
    "python": "uv sync\nuv run pytest\nuv run python -m app",
    "java": "./gradlew test\n./gradlew bootRun",
    "kotlin": "./gradlew test\n./gradlew run",
    "go": "go test ./...\ngo run ./cmd/server",
    "typescript": "pnpm install\npnpm test\npnpm dev",
    "terraform": "terraform fmt -check -recursive\n"
                 "terraform init -backend=false\nterraform validate",
    "markdown": "pip install mkdocs\nmkdocs serve",
    "yaml": "make lint\nmake render ENV=staging",
    "avro": "make validate\nmake bindings",
}

# lang -> (install command, code fence language, example); {repo} and
# {module} are filled in per library.
_LIBRARY_USAGE: dict[str, tuple[str, str, str]] = {
    "python": ("uv add {repo}", "python",
               'from {module} import setup\n\nsetup(service_name="orders-etl")'),
    "typescript": ("pnpm add @acme/{repo}", "tsx",
                   'import {{ Button }} from "@acme/{repo}";\n\n'
                   'export const Buy = () => <Button variant="primary">Buy</Button>;'),
    "terraform": ("# no install step: reference the module by git tag", "hcl",
                  'module "orders_db" {{\n'
                  '  source = "git::https://github.com/acme/{repo}.git'
                  '//postgres?ref=v4.2.0"\n'
                  '  name   = "orders"\n}}'),
}
# fmt: on


def _api_provider(name: str) -> Doc:
    for comp in _COMPONENTS:
        if name in comp.get("provides", ()):
            return comp
    raise KeyError(name)


def _fields(spec: str) -> tuple[Doc, list[str]]:
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


def _json_body(schema: Doc, description: str) -> Doc:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _openapi_document(api: str) -> Doc:
    title, version, model, collection, ops, query, fields = _OPENAPI[api]
    properties, required = _fields(fields)
    model_ref = {"$ref": f"#/components/schemas/{model}"}
    error = _json_body({"$ref": "#/components/schemas/Error"}, "Problem details")
    base = f"/{collection}"
    paths: Doc = {}
    schemas: Doc = {
        model: {"type": "object", "required": required, "properties": properties}
    }
    if "list" in ops:
        params: list[Doc] = [
            {
                "name": q,
                "in": "query",
                "required": q == "q",
                "schema": {"type": "string"},
            }
            for q in query.split()
        ]
        params += [
            {
                "name": "limit",
                "in": "query",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 100,
                    "default": 20,
                },
            },
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        ]
        page_ref = {"$ref": f"#/components/schemas/{model}Page"}
        paths.setdefault(base, {})["get"] = {
            "operationId": f"list{model}s",
            "summary": f"List {collection.replace('-', ' ')}",
            "parameters": params,
            "responses": {
                "200": _json_body(page_ref, "One page of results"),
                "400": error,
            },
        }
        schemas[f"{model}Page"] = {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {"type": "array", "items": model_ref},
                "nextCursor": {"type": "string", "nullable": True},
            },
        }
    if "create" in ops:
        paths.setdefault(base, {})["post"] = {
            "operationId": f"create{model}",
            "summary": f"Create a {model}",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": model_ref}},
            },
            "responses": {"201": _json_body(model_ref, "Created"), "422": error},
        }
    if "get" in ops:
        paths[f"{base}/{{id}}"] = {
            "get": {
                "operationId": f"get{model}",
                "summary": f"Fetch one {model}",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {"200": _json_body(model_ref, "Found"), "404": error},
            }
        }
    schemas["Error"] = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }
    provider = _api_provider(api)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": version,
            "description": provider["description"],
        },
        "servers": [{"url": f"https://api.acme.example/{provider['repo']}"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _asyncapi_text(api: str) -> str:
    title, version, description, channel_rows = _ASYNCAPI[api]
    channels: Doc = {}
    messages: Doc = {}
    for topic, message, payload in channel_rows:
        properties, required = _fields(payload + " occurredAt:date-time")
        # AsyncAPI 2.x is written from the client's side: "subscribe" means
        # consumers may subscribe, i.e. this service publishes the message.
        channels[topic] = {
            "subscribe": {
                "operationId": f"on{message}",
                "message": {"$ref": f"#/components/messages/{message}"},
            }
        }
        messages[message] = {
            "name": message,
            "contentType": "application/json",
            "payload": {
                "type": "object",
                "required": required,
                "properties": properties,
            },
        }
    doc = {
        "asyncapi": "2.6.0",
        "info": {"title": title, "version": version, "description": description},
        "servers": {
            "production": {"url": "kafka.acme.internal:9092", "protocol": "kafka"}
        },
        "channels": channels,
        "components": {"messages": messages},
    }
    return _dump([doc]).decode()


def _links(comp: Doc, repo: str) -> list[Doc]:
    links: list[Doc] = [
        {
            "url": f"https://github.com/{GITHUB_ORG}/{repo}",
            "title": "Source",
            "icon": "github",
        }
    ]
    if comp.get("url"):
        links.append({"url": comp["url"], "title": "Live site", "icon": "web"})
    if comp["type"] == "service":
        links.append(
            {
                "url": f"https://grafana.acme.example/d/{comp['name']}",
                "title": "Dashboard",
                "icon": "dashboard",
                "type": "dashboard",
            }
        )
    if comp.get("docs"):
        links.append(
            {
                "url": f"https://docs.acme.example/{repo}",
                "title": "Docs",
                "icon": "docs",
            }
        )
    return links


def _component_entity(comp: Doc, repo: str) -> Doc:
    annotations = {"github.com/project-slug": f"{GITHUB_ORG}/{repo}"}
    if comp.get("docs"):
        annotations["backstage.io/techdocs-ref"] = "dir:."
    metadata: Doc = {"name": comp["name"]}
    if "title" in comp:
        metadata["title"] = comp["title"]
    metadata |= {
        "description": comp["description"],
        "annotations": annotations,
        "tags": comp["tags"],
        "links": _links(comp, repo),
    }
    spec: Doc = {
        "type": comp["type"],
        "lifecycle": comp["lifecycle"],
        "owner": comp["owner"],
        "system": comp["system"],
    }
    for key, field in (
        ("provides", "providesApis"),
        ("consumes", "consumesApis"),
        ("depends", "dependsOn"),
    ):
        if comp.get(key):
            spec[field] = list(comp[key])
    return _entity("Component", metadata, spec)


def _component_documents(comp: Doc) -> list[Doc]:
    """Component + the APIs it provides + the resources it declares."""
    docs = [_component_entity(comp, comp["repo"])]
    openapi = [api for api in comp.get("provides", ()) if api in _OPENAPI]
    for api in comp.get("provides", ()):
        meta: Doc = {"name": api}
        definition: Any
        if api in _OPENAPI:
            api_type = "openapi"
            meta["title"] = _OPENAPI[api][0]
            meta["description"] = f"REST API of {comp['repo']}."
            definition = {"$text": _openapi_path(api, openapi)}
        elif api in _ASYNCAPI:
            api_type = "asyncapi"
            meta["description"] = _ASYNCAPI[api][2]
            definition = _asyncapi_text(api)
        else:
            api_type = "graphql"
            meta["description"], definition = _GRAPHQL[api]
        meta["tags"] = [api_type, comp["tags"][0]]
        spec: Doc = {
            "type": api_type,
            "lifecycle": comp["lifecycle"],
            "owner": comp["owner"],
            "system": comp["system"],
            "definition": definition,
        }
        docs.append(_entity("API", meta, spec))
    for name, res_type, description, *depends in comp.get("resources", ()):
        res_spec: Doc = {
            "type": res_type,
            "owner": comp["owner"],
            "system": comp["system"],
        }
        if depends:
            res_spec["dependsOn"] = list(depends[0])
        docs.append(
            _entity("Resource", {"name": name, "description": description}, res_spec)
        )
    return docs


def _openapi_path(api: str, openapi_apis: Sequence[str]) -> str:
    # One OpenAPI document sits at the repo root; several would get a folder.
    return "./openapi.yaml" if len(openapi_apis) == 1 else f"./openapi/{api}.yaml"


def _readme(title: str, description: str, comp: Doc) -> bytes:
    lines = [f"# {title}", "", description, ""]
    if comp.get("owner"):
        where = f", part of the `{comp['system']}` system" if comp.get("system") else ""
        lines += [f"Owned by `{comp['owner']}`{where}.", ""]
    if comp.get("lang") in _QUICKSTART:
        lines += [
            "## Getting started",
            "",
            "```sh",
            _QUICKSTART[comp["lang"]],
            "```",
            "",
        ]
    lines += ["The catalog entry lives in `catalog-info.yaml`.", ""]
    return "\n".join(lines).encode()


def _md(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _mkdocs_files(comp: Doc) -> dict[str, bytes]:
    repo: str = comp["repo"]
    title: str = comp.get("title", repo)
    lang: str = comp["lang"]
    if comp["type"] == "library":
        pages = {"Overview": "index.md", "Usage": "usage.md"}
    elif lang == "markdown":
        pages = {
            "Overview": "index.md",
            "On-call": "on-call.md",
            "Incidents": "incidents.md",
        }
    else:
        pages = {
            "Overview": "index.md",
            "Architecture": "architecture.md",
            "Runbook": "runbook.md",
        }
    mkdocs = {
        "site_name": title,
        "site_description": comp["description"],
        "repo_url": f"https://github.com/{GITHUB_ORG}/{repo}",
        "nav": [{label: page} for label, page in pages.items()],
        # Stock Python-Markdown extensions only (no techdocs-core plugin), so a
        # bare `mkdocs build` renders the demo sites.
        "markdown_extensions": [
            "admonition",
            "tables",
            "fenced_code",
            {"toc": {"permalink": True}},
        ],
    }
    files = {"mkdocs.yml": _dump([mkdocs])}
    files["docs/index.md"] = _md(
        f"# {title}",
        "",
        comp["description"],
        "",
        "!!! note",
        f"    {comp['notes']}",
        "",
        "## At a glance",
        "",
        "| | |",
        "|---|---|",
        f"| Type | {comp['type']} |",
        f"| Lifecycle | {comp['lifecycle']} |",
        f"| Owner | `{comp['owner']}` |",
        f"| System | `{comp['system']}` |",
        f"| Language | {lang} |",
        "",
        "## Local development",
        "",
        "```sh",
        _QUICKSTART[lang],
        "```",
    )
    if "usage.md" in pages.values():
        install, fence, example = _LIBRARY_USAGE.get(lang, _LIBRARY_USAGE["python"])
        fill = {"repo": repo, "module": repo.replace("-", "_")}
        files["docs/usage.md"] = _md(
            "# Usage",
            "",
            "## Install",
            "",
            "```sh",
            install.format(**fill),
            "```",
            "",
            "## Example",
            "",
            f"```{fence}",
            example.format(**fill),
            "```",
            "",
            "## Versioning",
            "",
            "| Change | Version bump |",
            "|---|---|",
            "| Bug fix | patch |",
            "| New option, default unchanged | minor |",
            "| Removed or renamed API | major |",
            "",
            "!!! warning",
            "    Major versions stay supported for six months after the next major.",
        )
    if "on-call.md" in pages.values():
        files["docs/on-call.md"] = _md(
            "# On-call",
            "",
            "Every production team runs a weekly rotation in PagerDuty.",
            "",
            "| Severity | Response time | Who is paged |",
            "|---|---|---|",
            "| SEV1 | 5 minutes | primary and incident commander |",
            "| SEV2 | 30 minutes | primary |",
            "| SEV3 | next business day | nobody, ticket only |",
            "",
            "!!! note",
            "    Hand-overs happen on Mondays at 10:00 CET in #oncall-handover.",
        )
        files["docs/incidents.md"] = _md(
            "# Incident response",
            "",
            "## Declaring an incident",
            "",
            "```text",
            '/incident declare sev2 "Checkout error rate above 2%"',
            "```",
            "",
            "## After the incident",
            "",
            "Write a blameless post-mortem within five working days and link it",
            "from the incident channel.",
        )
    if "architecture.md" in pages.values():
        deps = [("API (provides)", api) for api in comp.get("provides", ())]
        deps += [("API (consumes)", api) for api in comp.get("consumes", ())]
        for ref in comp.get("depends", ()):
            kind, name = ref.split(":", 1)
            deps.append((kind.capitalize(), name))
        env_prefix = repo.upper().replace("-", "_")
        files["docs/architecture.md"] = _md(
            "# Architecture",
            "",
            comp["notes"],
            "",
            "## Dependencies",
            "",
            "| Kind | Name |",
            "|---|---|",
            *[f"| {kind} | `{name}` |" for kind, name in deps],
            "",
            "## Configuration",
            "",
            "All settings come from environment variables; defaults suit local",
            "development.",
            "",
            "```sh",
            f"export {env_prefix}_LOG_LEVEL=debug",
            "```",
        )
        namespace = comp["system"]
        files["docs/runbook.md"] = _md(
            "# Runbook",
            "",
            "## Alerts",
            "",
            "| Alert | Meaning | First step |",
            "|---|---|---|",
            "| HighErrorRate | over 2% 5xx for 5 minutes | check the last deploy |",
            "| HighLatency | p99 above 800 ms | look for a slow dependency |",
            "",
            "## Rolling back",
            "",
            "```sh",
            f"kubectl -n {namespace} rollout undo deployment/{repo}",
            f"kubectl -n {namespace} rollout status deployment/{repo}",
            "```",
            "",
            "!!! warning",
            "    Announce every production rollback in #incidents before running it.",
        )
    return files


def _component_repo_files(comp: Doc) -> dict[str, bytes]:
    if "subcomponents" in comp:
        return _monorepo_files(comp)
    repo: str = comp["repo"]
    files = {
        "catalog-info.yaml": _dump(_component_documents(comp)),
        "README.md": _readme(comp.get("title", repo), comp["description"], comp),
    }
    openapi = [api for api in comp.get("provides", ()) if api in _OPENAPI]
    for api in openapi:
        files[_openapi_path(api, openapi)[2:]] = _dump([_openapi_document(api)])
    if comp.get("docs"):
        files.update(_mkdocs_files(comp))
    return files


def _monorepo_files(comp: Doc) -> dict[str, bytes]:
    repo: str = comp["repo"]
    subs: list[Doc] = comp["subcomponents"]
    # Explicit relative targets rather than a glob: file/git readers need not
    # support searching, and the list documents what the repo contains.
    targets = [f"./services/{sub['name']}/catalog-info.yaml" for sub in subs]
    location = _entity(
        "Location",
        {"name": repo, "description": comp["description"]},
        {"targets": targets},
    )
    files = {
        "catalog-info.yaml": _dump([location]),
        "README.md": _readme(repo, comp["description"], {}),
    }
    for sub in subs:
        name = sub["name"]
        # The slug names the monorepo: that is where the code lives on GitHub.
        entity = _component_entity({**sub, "repo": repo}, repo)
        files[f"services/{name}/catalog-info.yaml"] = _dump([entity])
        files[f"services/{name}/README.md"] = _readme(name, sub["description"], sub)
    return files


def _org_repo_files() -> dict[str, bytes]:
    members: dict[str, list[str]] = {}
    for user, _, groups in _USERS:
        for group in groups:
            members.setdefault(group, []).append(user)
    files: dict[str, bytes] = {}

    def add_group(
        name: str, gtype: str, display: str, parent: str | None, children: list[str]
    ) -> None:
        email = f"{name.removeprefix('team-')}@acme.example"
        spec: Doc = {"type": gtype, "profile": {"displayName": display, "email": email}}
        if parent:
            spec["parent"] = parent
        spec["children"] = children
        if name in _GROUPS_LISTING_MEMBERS and members.get(name):
            spec["members"] = members[name]
        meta = {"name": name, "description": f"{display} at Acme Shop."}
        files[f"groups/{name}.yaml"] = _dump([_entity("Group", meta, spec)])

    add_group("acme", "organization", "Acme Shop", None, list(_BUSINESS_UNITS))
    for unit, (display, teams) in _BUSINESS_UNITS.items():
        add_group(unit, "business-unit", display, "acme", teams)
        for team in teams:
            add_group(team, "team", f"{_TEAM_NAMES[team]} team", unit, [])
    files["users.yaml"] = _dump(
        _entity(
            "User",
            {"name": user},
            {
                "profile": {"displayName": display, "email": f"{user}@acme.example"},
                "memberOf": groups,
            },
        )
        for user, display, groups in _USERS
    )
    files["domains.yaml"] = _dump(
        _entity("Domain", {"name": name, "description": desc}, {"owner": owner})
        for name, owner, desc in _DOMAINS
    )
    files["systems.yaml"] = _dump(
        _entity(
            "System",
            {"name": name, "description": desc},
            {"owner": owner, "domain": domain},
        )
        for name, domain, owner, desc in _SYSTEMS
    )
    targets = [f"./{path}" for path in sorted(files) if path.startswith("groups/")]
    targets += ["./users.yaml", "./domains.yaml", "./systems.yaml"]
    location = _entity(
        "Location",
        {
            "name": ORG_REPO,
            "description": "The Acme Shop groups, users, domains and systems.",
        },
        {"targets": targets},
    )
    files["catalog-info.yaml"] = _dump([location])
    files["README.md"] = _md(
        "# acme-org",
        "",
        "The Acme Shop organisation as catalog entities: the group hierarchy,",
        "people, domains and systems. Edit the YAML files and open a pull",
        "request; the catalog picks the change up on its next refresh.",
    )
    return files


def _demo_repos() -> list[tuple[str, dict[str, bytes]]]:
    repos = [(ORG_REPO, _org_repo_files())]
    repos += [(comp["repo"], _component_repo_files(comp)) for comp in _COMPONENTS]
    return repos


def build_demo_org(root: Path) -> list[Path]:
    """Write the Acme Shop demo organisation under ``root``.

    One non-bare repository per directory (``root/<repo>``), each with a single
    commit on ``main`` by ``Greenroom Demo`` at a fixed date.  A repository whose
    ``main`` already points at the expected commit is left untouched; any other
    existing git repository at that path (edited, or built from older demo
    data) is deleted and rebuilt so the result is always the canonical demo.
    Returns the repository paths, ``acme-org`` first, then table order.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    repos = _demo_repos()

    def build(index: int) -> None:
        name, files = repos[index]
        message = f"Add catalog descriptors for {name}"
        _write_worktree_repo(root / name, files, message, DEMO_EPOCH + 3600 * index)

    _run_parallel(build, len(repos))
    return [root / name for name, _ in repos]


# --------------------------------------------------------------------------
# Synthetic organisation for benchmarks
# --------------------------------------------------------------------------

SYNTHETIC_TEAMS = 4
SYNTHETIC_SYSTEMS = 3
# Kind of each slot in a repo, repeating: 50% Components, 30% APIs, 20% Resources.
# Positional (not random) so any repo can name entities in any other repo
# without generating it, which keeps repos independent and parallelisable.
_SLOT_KINDS = "CACRCACRCA"
_SLOT_PREFIX = {"C": "svc", "A": "api", "R": "res"}
# synth-org + teams + systems, all written at the start of repo 0.
_FOUNDATION_SIZE = 1 + SYNTHETIC_TEAMS + SYNTHETIC_SYSTEMS


def _synthetic_foundation() -> list[Doc]:
    teams = [f"synth-team-{t}" for t in range(SYNTHETIC_TEAMS)]
    docs = [
        _entity(
            "Group", {"name": "synth-org"}, {"type": "organization", "children": teams}
        )
    ]
    docs += [
        _entity(
            "Group",
            {"name": team},
            {"type": "team", "parent": "synth-org", "children": []},
        )
        for team in teams
    ]
    docs += [
        _entity(
            "System",
            {"name": f"synth-system-{s}"},
            {"owner": teams[s % SYNTHETIC_TEAMS]},
        )
        for s in range(SYNTHETIC_SYSTEMS)
    ]
    return docs


def _slot_kind(slot: int) -> str:
    return _SLOT_KINDS[slot % len(_SLOT_KINDS)]


def _synthetic_name(repo: int, slot: int, entities_per_repo: int) -> str | None:
    # Repo 0 starts with the foundation documents; its low slots are not
    # regular entities, so references to them would dangle.
    if slot >= entities_per_repo or (repo == 0 and slot < _FOUNDATION_SIZE):
        return None
    return f"{_SLOT_PREFIX[_slot_kind(slot)]}-{repo:05d}-{slot:03d}"


_SYNTH_OPENAPI = """\
openapi: 3.0.3
info: {{title: {name}, version: 1.0.{minor}}}
paths:
  /items:
    get:
      operationId: list
      responses:
        '200': {{description: ok}}
"""

_SYNTH_ASYNCAPI = """\
asyncapi: 2.6.0
info: {{title: {name}, version: 1.0.{minor}}}
channels:
  {name}.changed:
    subscribe:
      message: {{payload: {{type: object}}}}
"""


def _synthetic_documents(
    repo: int, repos: int, entities_per_repo: int, seed: int
) -> list[Doc]:
    # A per-repo RNG seeded by a string is reproducible across processes
    # (str seeds are hashed with SHA-512, not PYTHONHASHSEED).
    rng = random.Random(f"greenroom-synthetic:{seed}:{repo}")
    docs: list[Doc] = _synthetic_foundation()[:entities_per_repo] if repo == 0 else []
    slug = f"synth/repo-{repo:05d}"
    names = [
        _synthetic_name(repo, slot, entities_per_repo)
        for slot in range(entities_per_repo)
    ]
    local_apis = [n for n in names if n and n.startswith("api-")]
    local_resources = [n for n in names if n and n.startswith("res-")]
    api_slots = [s for s in range(entities_per_repo) if _slot_kind(s) == "A"]
    for slot, name in enumerate(names):
        if name is None:
            continue
        kind = _slot_kind(slot)
        owner = f"synth-team-{rng.randrange(SYNTHETIC_TEAMS)}"
        system = f"synth-system-{rng.randrange(SYNTHETIC_SYSTEMS)}"
        meta: Doc = {
            "name": name,
            "description": f"Synthetic {name}",
            "annotations": {"github.com/project-slug": slug},
        }
        if kind == "C":
            meta["tags"] = rng.sample(
                ["python", "go", "java", "typescript", "kafka", "postgres"], 2
            )
            spec: Doc = {
                "type": rng.choices(["service", "website", "library"], [6, 2, 2])[0],
                "lifecycle": rng.choices(
                    ["production", "experimental", "deprecated"], [7, 2, 1]
                )[0],
                "owner": owner,
                "system": system,
            }
            if local_apis and rng.random() < 0.6:
                spec["providesApis"] = [rng.choice(local_apis)]
            # Cross-repo consumption so API relations span repositories.
            other = rng.randrange(repos)
            if api_slots and other != repo:
                slot_name = _synthetic_name(
                    other, rng.choice(api_slots), entities_per_repo
                )
                if slot_name:
                    spec["consumesApis"] = [slot_name]
            if local_resources and rng.random() < 0.5:
                spec["dependsOn"] = [f"resource:{rng.choice(local_resources)}"]
            docs.append(_entity("Component", meta, spec))
        elif kind == "A":
            template, api_type = (
                (_SYNTH_ASYNCAPI, "asyncapi")
                if rng.random() < 0.2
                else (_SYNTH_OPENAPI, "openapi")
            )
            definition = template.format(name=name, minor=rng.randrange(10))
            spec = {
                "type": api_type,
                "lifecycle": "production",
                "owner": owner,
                "system": system,
                "definition": definition,
            }
            docs.append(_entity("API", meta, spec))
        else:
            res_type = rng.choice(["database", "queue", "s3-bucket"])
            docs.append(
                _entity(
                    "Resource",
                    meta,
                    {"type": res_type, "owner": owner, "system": system},
                )
            )
    return docs


def build_synthetic_org(
    root: Path, repos: int = 1000, entities_per_repo: int = 10, *, seed: int = 1
) -> list[Path]:
    """Write ``repos`` bare repositories for ingestion benchmarks.

    Each ``root/repo-NNNNN.git`` is a bare repository (clone it with
    ``git clone file://...``) whose ``main`` branch (HEAD) has one commit with
    ``catalog-info.yaml`` holding exactly ``entities_per_repo`` documents:
    Components, APIs with small inline definitions and Resources, names unique
    across the org.  Repo 0 starts with the groups (``synth-org``,
    ``synth-team-0..3``) and systems (``synth-system-0..2``) that every owner
    and system reference points at; these count towards its quota (below
    eight entities per repo some of them are cut off and references dangle).
    A repo's content depends on ``repos`` and ``seed`` (cross-repo API
    consumers), so changing either rebuilds every repository.

    Written with one ``git init --bare`` (copied as a skeleton) + one
    ``git fast-import`` per repo, in a thread pool (about 6 s for 1,000 repos
    on two cores).  Same arguments give the same commit shas; repos already at
    the expected commit are skipped, so re-running a benchmark setup is cheap.
    """
    if repos < 1 or entities_per_repo < 1:
        raise ValueError("repos and entities_per_repo must be at least 1")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    paths = [root / f"repo-{i:05d}.git" for i in range(repos)]

    with tempfile.TemporaryDirectory(prefix="greenroom-skeleton-") as tmp:
        skeleton = Path(tmp) / "empty.git"
        _init_bare(skeleton)

        def build(index: int) -> None:
            docs = _synthetic_documents(index, repos, entities_per_repo, seed)
            files = {"catalog-info.yaml": _dump_fast(docs)}
            message = f"Synthetic catalog for repo {index}"
            timestamp = SYNTHETIC_EPOCH + index
            _write_bare_repo(paths[index], files, message, timestamp, skeleton)

        _run_parallel(build, repos)
    return paths
