#!/usr/bin/env python
from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django
    from django.core.management import execute_from_command_line

    django.setup()
    from audit.log import command_line

    command_line()  # writes from commands are audited as the OS user's
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
