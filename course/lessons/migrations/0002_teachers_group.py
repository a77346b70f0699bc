"""The auth group `Teachers`: membership is what makes a user a teacher (see quizzes)."""

from django.db import migrations

TEACHERS = "Teachers"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=TEACHERS)


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=TEACHERS, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("course", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
