# One image for web, worker and beat (docker-compose.yml picks the command).
# tests/ops/test_container.py keeps this file correct (no Docker engine runs there).
FROM python:3.11-slim

# The code runs from /app as copied (no site-packages copy of it, whose BASE_DIR
# would have no templates). Static files live in the image, not in the /data
# volume: a volume keeps its first contents, so an upgrade would serve old ones.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app \
    GREENROOM_DATA_DIR=/data GREENROOM_STATIC_ROOT=/app/static
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 greenroom \
    && mkdir /data && chown greenroom /data

WORKDIR /app
# Dependencies first, so their layer is reused while only the code changes; exactly
# the locked versions, every file checked against its hash.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

# The whole tree, less what .dockerignore leaves out: every app INSTALLED_APPS names.
COPY . .
# DATABASE_URL makes these production settings (not LOCAL), so collectstatic writes
# the hashed manifest CompressedManifestStaticFilesStorage reads at run time. The
# settings connect to no database at import; this key signs nothing.
RUN DATABASE_URL=postgres://build/none SECRET_KEY=build-only-not-a-secret \
    python manage.py collectstatic --noinput

USER greenroom
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
