"""The provider's WSGI application, for gunicorn (server.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oidc.settings")
application = get_wsgi_application()
