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


def restore_roles() -> None:
    """Put the role groups back, as the roles migration writes them.

    For a TransactionTestCase without serialized_rollback: its flush keeps
    content types and permissions (post_migrate makes them again) but not
    the groups. Restoring serialized contents instead fails after another
    TransactionTestCase's flush has made the content types anew, with other
    ids (pytest-django runs them all last, in file order).
    """
    import importlib

    from django.contrib.auth.models import Permission

    roles = importlib.import_module("claims.migrations.0002_roles")
    for name, perms in roles.role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in perms
        )
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(Permission.objects.all())
