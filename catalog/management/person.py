"""Commands that may run as a person: `manage.py <command> --as USERNAME`.

With `--as`, the command sees what that person may see (restricted entities,
catalog/visibility.py) and may do only what they may do (catalog/permissions.py);
each refusal stops it with an error and is on record in the audit log as
`access.refused`, like a refusal on a page, and its writes are recorded as theirs.
Without `--as`, a command runs as the system: whoever runs it holds the server.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import log as audit
from audit.models import AuditEntry
from catalog import permissions
from catalog.models import Location
from catalog.viewers import viewer_for
from catalog.visibility import viewing
from core.roles import can_edit, has_role


class PersonCommand(BaseCommand):
    person: Any = None

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser: CommandParser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="Run as this person: see and do only what they may.",
        )
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        username = options.get("as_user")
        if not username:
            return super().execute(*args, **options)
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"no active user named {username!r}")
        self.person = user
        with (
            audit.acting(user.get_username(), AuditEntry.Source.CLI, user),
            viewing(viewer_for(user)),
        ):
            if not has_role(user):
                self.refuse(f"{username} has no role in Greenroom")
            return super().execute(*args, **options)

    def require(self, action: str, location: Location | None = None) -> None:
        """Stop unless the person (if any) may take `action` on `location`."""
        if self.person is None:
            return
        try:
            permissions.require(self.person, action, location)
        except PermissionDenied as exc:
            self.refuse(str(exc))

    def require_editor(self, what: str) -> None:
        if self.person is not None and not can_edit(self.person):
            self.refuse(f"{what} needs the role editor")

    def refuse(self, reason: str) -> None:
        audit.record("access.refused", f"manage.py {self._name()}", reason=reason)
        raise CommandError(reason)

    def _name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]
