"""Greenroom as a SCIM 2.0 service provider (RFC 7643, RFC 7644) at /scim/v2/.

Okta and Microsoft Entra ID push users and groups here; each SCIM provider
(`OrgProvider` of kind "scim") has its own bearer token (tokens.py) and sees only
its own users and groups. What they push is kept in `ScimUser` and `ScimGroup`,
and people/sources/scim.py reads those tables as the provider's directory, so
pushed people become User and Group entities through the same run as any other
provider (people/runs.py), started after each committed write.

Why not django-scim2: it authenticates a Django user through a middleware and a
global predicate (a provider is not a user), filters tenants in Python after a raw
SQL query over every tenant's rows, reads its settings once at import, and its
PATCH handlers cover neither Entra ID's `members[value eq "…"]` removals nor its
"False" strings, so little of it would have been used as it is. Filters are
parsed by scim2-filter-parser (the RFC grammar) and turned into queries here
(filters.py), over the attributes Greenroom keeps.
"""
