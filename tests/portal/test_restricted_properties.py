"""Any catalog, any viewer: what the shared mechanism lets through is exactly what
is not restricted or is owned by the viewer, in every table that reads it, and a
visible entity's body names no relation a hidden one made."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from catalog.listing import Choices, facet_counts
from catalog.locations import register_location
from catalog.models import Entity, EntityRevision, EntitySummary, EntityTag, Relation
from catalog.serialize import served_texts, with_bodies
from catalog.visibility import Viewer, viewing
from tests.support.catalog import crawl

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
TEAMS = ["team-a", "team-b", "team-c"]
NAMES = [f"e{i}" for i in range(8)]


@st.composite
def catalogs(draw):
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True))
    return [
        {
            "name": name,
            "owner": draw(st.sampled_from(TEAMS)),
            "restricted": draw(st.booleans()),
            "tag": draw(st.sampled_from(["red", "blue"])),
            "depends": draw(st.lists(st.sampled_from(names), max_size=3, unique=True)),
        }
        for name in names
    ]


def descriptor(entities) -> str:
    documents = []
    for e in entities:
        annotations = {"greenroom.io/restricted": "true"} if e["restricted"] else {}
        documents.append(
            json.dumps(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {
                        "name": e["name"],
                        "tags": [e["tag"]],
                        "annotations": annotations,
                    },
                    "spec": {
                        "type": "service",
                        "lifecycle": "production",
                        "owner": e["owner"],
                        "dependsOn": [f"component:{d}" for d in e["depends"]],
                    },
                }
            )
        )
    return "\n---\n".join(documents) + "\n"


@pytest.fixture
def location(repos, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    repo = repos.create("props", {"catalog-info.yaml": "{}\n"})
    return repo, register_location(repo.url)[0]


@pytest.mark.django_db
@settings(
    max_examples=500 if LONG else 20,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    entities=catalogs(),
    owners=st.sets(st.sampled_from(TEAMS)),
)
def test_a_viewer_sees_exactly_what_is_open_or_theirs(location, entities, owners):
    repo, place = location
    repo.commit({"catalog-info.yaml": descriptor(entities)})
    crawl(place)
    refs = {f"component:default/{e['name']}": e for e in entities}
    assert set(Entity.every.values_list("ref", flat=True)) >= set(refs)
    owner_refs = frozenset(f"group:default/{team}" for team in owners)
    seen = {
        ref
        for ref, e in refs.items()
        if not e["restricted"] or f"group:default/{e['owner']}" in owner_refs
    }
    with viewing(Viewer(owners=owner_refs, subject="someone")):
        components = {"ref__startswith": "component:"}
        shown = Entity.objects.filter(**components).values_list("ref", flat=True)
        assert set(shown) == seen
        listed = EntitySummary.objects.filter(**components)
        assert set(listed.values_list("ref", flat=True)) == seen
        tags = Counter(EntityTag.objects.values_list("tag", flat=True))
        assert tags == Counter(refs[ref]["tag"] for ref in seen)
        facets = facet_counts(EntitySummary.objects.all(), Choices())
        owner_facet = {
            v["value"]: v["count"] for f in facets["facets"] if f["param"] == "owner"
            for v in f["values"]
        }  # fmt: skip
        assert owner_facet == dict(
            Counter(f"group:default/{refs[ref]['owner']}" for ref in seen)
        )
        origins = Relation.objects.filter(origin__ref__startswith="component:")
        assert set(origins.values_list("origin__ref", flat=True)) <= seen
        # History: hidden while the entity is, and where it was hidden then.
        hidden_now = {
            e.uid
            for e in Entity.every.all()
            if e.restricted and e.owner_ref not in owner_refs
        }
        expected = {
            r.pk
            for r in EntityRevision.every.all()
            if r.entity_uid not in hidden_now
            and (not r.restricted or r.owner_ref in owner_refs)
        }
        assert set(EntityRevision.objects.values_list("pk", flat=True)) == expected
        rows = list(with_bodies(Entity.objects.filter(**components).order_by("ref")))
        texts = served_texts(rows)
        for row in rows:
            body = json.loads(texts[row.pk])
            named = {r["targetRef"] for r in body["relations"]}
            # Relations come from this entity's own spec or from visible ones'.
            for target in named & set(refs):
                made_by_target = row.ref in {
                    f"component:default/{d}" for d in refs[target]["depends"]
                }
                made_by_row = target in {
                    f"component:default/{d}" for d in refs[row.ref]["depends"]
                }
                assert made_by_row or (made_by_target and target in seen), (
                    row.ref, target,
                )  # fmt: skip
