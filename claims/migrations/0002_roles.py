"""Create the four roles as groups, so that a fresh database has them.

Reader: reads everything (matters when reading requires a login).
Editor: adds and edits sources, documents, topics, detainees, notes and claims.
Moderator: an editor who also approves, rejects and retracts claims, resolves
conflicts and hides notes.
Admin: every permission; admins also get is_staff to use the Django admin.
"""

from django.db import migrations

MODELS = {
    "sources": ["source", "credibilitynote"],
    "claims": ["document", "topic", "detainee", "claim", "conflict"],
}
EDITABLE = {
    "sources": ["source", "credibilitynote"],
    "claims": ["document", "topic", "detainee", "claim"],
}
MODERATION = [
    ("claims", "moderate_claim"),
    ("claims", "resolve_conflict"),
    ("claims", "change_conflict"),
    ("sources", "hide_credibilitynote"),
]


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    view = [(app, f"view_{model}") for app, models in MODELS.items() for model in models]
    edit = [
        (app, f"{action}_{model}")
        for app, models in EDITABLE.items()
        for model in models
        for action in ("add", "change")
    ]
    return {
        "Reader": view,
        "Editor": view + edit,
        "Moderator": view + edit + MODERATION,
    }


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the roles
    # need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in perms
        )
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(Permission.objects.all())


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Reader", "Editor", "Moderator", "Admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0001_initial"),
        ("sources", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
