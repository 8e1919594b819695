"""The API plumbing every app's API shares: the base view, errors in Backstage's
shape, bodies, parameters and the OpenAPI helpers."""
