from django.db import migrations, models


class RunSQLOn(migrations.RunSQL):
    """RunSQL for one database vendor only: the index is each database's own kind."""

    def __init__(self, vendor: str, *args, **kwargs):
        self.vendor = vendor
        super().__init__(*args, **kwargs)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


PG_VECTOR = (
    "(setweight(to_tsvector('english', heading), 'A') || "
    "setweight(to_tsvector('english', body), 'B'))"
)


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Section",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("lesson_slug", models.SlugField(max_length=64)),
                ("lesson_title", models.CharField(max_length=200)),
                ("lesson_order", models.PositiveIntegerField()),
                (
                    "anchor",
                    models.CharField(
                        blank=True, help_text="Empty: the lesson's intro.", max_length=200
                    ),
                ),
                ("heading", models.CharField(max_length=300)),
                ("body", models.TextField()),
            ],
            options={"ordering": ["lesson_order", "pk"]},
        ),
        RunSQLOn(
            "sqlite",
            "CREATE VIRTUAL TABLE search_section_fts USING fts5("
            "heading, body, content='search_section', content_rowid='id', "
            "tokenize='porter unicode61')",
            "DROP TABLE search_section_fts",
        ),
        RunSQLOn(
            "postgresql",
            f"CREATE INDEX search_section_fts ON search_section USING GIN ({PG_VECTOR})",
            "DROP INDEX search_section_fts",
        ),
    ]
