"""Create one demo user per role, with known passwords, for a development database.

The passwords are fixed and printed: anyone who reads this file knows them.
The command therefore refuses to run when DEBUG is off (a production
setting) unless given --force. Running it again changes nothing but puts
back a demo user's role, flags and password if someone changed them.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# (username, password, group, what the role may do)
DEMO_USERS = [
    ("reader", "reader-demo-2015", "Reader", "reads everything public"),
    ("editor", "editor-demo-2015", "Editor", "adds sources, notes and claims; submits claims"),
    (
        "moderator",
        "moderator-demo-2015",
        "Moderator",
        "approves or rejects claims, resolves conflicts, hides notes",
    ),
    ("admin", "admin-demo-2015", "Admin", "everything, including the Django admin"),
]


class Command(BaseCommand):
    help = "Create the demo users reader, editor, moderator and admin (development only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a production database: "
            "the passwords are public.",
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo users with DEBUG off: their passwords are public. "
                "Use --force only on a database that is not production."
            )
        User = get_user_model()
        with transaction.atomic():
            groups = {g.name: g for g in Group.objects.filter(name__in=[u[2] for u in DEMO_USERS])}
            missing = {u[2] for u in DEMO_USERS} - set(groups)
            if missing:
                raise CommandError(
                    f"The role groups {', '.join(sorted(missing))} do not exist: "
                    "run `manage.py migrate` first."
                )
            rows = []
            for username, password, group, does in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": "Demo", "last_name": group},
                )
                is_admin = group == "Admin"
                user.is_superuser = user.is_staff = is_admin
                user.is_active = True
                if created or not user.check_password(password):
                    user.set_password(password)
                user.save()
                user.groups.set([groups[group]])
                rows.append((username, password, group, does, created))

        self.stdout.write("Demo users (development only; the passwords are public):")
        for username, password, group, does, created in rows:
            status = "created" if created else "ready"
            self.stdout.write(
                f"  {username:<10} password {password:<22} {group}: {does} ({status})"
            )
