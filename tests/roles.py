"""One user per role, for view tests. The groups come from the roles migration."""

from django.contrib.auth.models import Group, User


def user_in(username: str, group: str | None, **flags) -> User:
    """Create a user in one role group (or none)."""
    user = User.objects.create_user(username=username, **flags)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


class RoleCast:
    """Mixin for TestCase (put it before JanuaryCast): a user per role, built once per class.

    `admin` is a superuser in the Admin group, as `create_demo_users` makes
    it; `other_editor` is an editor whose drafts `editor` must not see.
    """

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.reader = user_in("rita", "Reader")
        cls.editor = user_in("ed", "Editor", first_name="Ed", last_name="Itor")
        cls.other_editor = user_in("edna", "Editor")
        cls.moderator = user_in("mona", "Moderator", first_name="Mona", last_name="Derator")
        cls.admin = user_in("ada", "Admin", is_superuser=True, is_staff=True)
