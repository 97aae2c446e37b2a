from io import StringIO

from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from claims.management.commands.create_demo_users import DEMO_USERS

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_demo_users(*args) -> str:
    out = StringIO()
    call_command("create_demo_users", *args, stdout=out)
    return out.getvalue()


# Django's test runner turns DEBUG off; the command is meant for DEBUG on.
# A fast hasher: these tests check passwords, not hashing.
@override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS)
class DemoUserTests(TestCase):
    def test_it_creates_one_user_per_role_with_the_printed_password(self):
        output = create_demo_users()

        for username, password, group, _ in DEMO_USERS:
            with self.subTest(username):
                user = User.objects.get(username=username)
                self.assertTrue(user.check_password(password))
                self.assertEqual([g.name for g in user.groups.all()], [group])
                self.assertIn(username, output)
                self.assertIn(password, output)

    def test_the_admin_is_a_superuser_and_staff_and_no_one_else_is(self):
        create_demo_users()

        self.assertEqual(
            list(User.objects.filter(is_superuser=True).values_list("username", flat=True)),
            ["admin"],
        )
        self.assertEqual(
            list(User.objects.filter(is_staff=True).values_list("username", flat=True)),
            ["admin"],
        )

    def test_it_is_idempotent(self):
        create_demo_users()
        before = list(User.objects.order_by("pk").values_list("pk", "username", "password"))

        output = create_demo_users()

        after = list(User.objects.order_by("pk").values_list("pk", "username", "password"))
        self.assertEqual(after, before)
        self.assertNotIn("(created)", output)

    def test_it_puts_back_a_changed_password_and_role(self):
        create_demo_users()
        editor = User.objects.get(username="editor")
        editor.set_password("changed")
        editor.is_superuser = True
        editor.save()
        editor.groups.clear()

        create_demo_users()

        editor.refresh_from_db()
        self.assertTrue(editor.check_password("editor-demo-2015"))
        self.assertFalse(editor.is_superuser)
        self.assertEqual([g.name for g in editor.groups.all()], ["Editor"])

    @override_settings(DEBUG=False)
    def test_it_refuses_to_run_with_debug_off(self):
        with self.assertRaisesMessage(CommandError, "Refusing to create demo users with DEBUG off"):
            create_demo_users()

        self.assertFalse(User.objects.exists())

    @override_settings(DEBUG=False)
    def test_force_overrides_the_refusal(self):
        create_demo_users("--force")

        self.assertEqual(User.objects.count(), 4)

    def test_each_demo_user_gets_what_its_role_allows(self):
        create_demo_users()
        queue = reverse("claims:moderation_queue")

        for username, expected in [("reader", 403), ("editor", 403), ("moderator", 200)]:
            with self.subTest(username):
                self.client.force_login(User.objects.get(username=username))
                self.assertEqual(self.client.get(queue).status_code, expected)
        self.client.force_login(User.objects.get(username="admin"))
        self.assertEqual(self.client.get(reverse("admin:index")).status_code, 200)
