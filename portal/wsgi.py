from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Import every view now, then move what is loaded out of the garbage collector's
# sight: full collections over the modules' objects cost tens of milliseconds,
# stalling whichever request triggers them (seen as p99 spikes in bench/api.py).
get_resolver().url_patterns  # noqa: B018 - loads the URLconf and its views
gc.freeze()
