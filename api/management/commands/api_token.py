"""Print a user's API token, creating it if needed; --reset replaces it.

Tokens are handed out here (and in the Django admin), not by an endpoint that
takes a password: logging in stays behind the login page, where django-axes
limits attempts. A token carries its user's role, no more.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print USER's API token (Authorization: Token <key>), creating it if needed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--reset", action="store_true", help="Replace the token: the old one stops working."
        )

    def handle(self, *args, username: str, reset: bool, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is named “{username}”.")
        if not user.is_active:
            raise CommandError(f"“{username}” is inactive: an inactive user's token is refused.")
        with transaction.atomic():
            if reset:
                Token.objects.filter(user=user).delete()
            token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
