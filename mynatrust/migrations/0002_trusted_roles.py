from django.db import migrations

ROLES = [
    "service_manager",
    "service_administrator",
    "service_operator",
    "reception",
    "auditor",
    "maintenance",
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    # Permissions are attached after migrate (mynatrust.signals.sync_role_permissions), once every
    # app's permissions exist.
    dependencies = [("mynatrust", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
