"""Write static/css/pygments.css, the code colours, from the markdown configuration's styles."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from course.lessons.markdown import pygments_css

TARGET = Path(settings.BASE_DIR) / "static" / "css" / "pygments.css"


class Command(BaseCommand):
    help = "Regenerate static/css/pygments.css (the code colours); --check only compares."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file is not what would be written."
        )

    def handle(self, *args, check: bool, **options) -> None:
        css = pygments_css()
        if check:
            if not TARGET.exists() or TARGET.read_text() != css:
                raise CommandError(f"{TARGET} is out of date: run make pygments-css")
            self.stdout.write(f"{TARGET} is up to date.")
            return
        TARGET.write_text(css)
        self.stdout.write(self.style.SUCCESS(f"Wrote {TARGET}."))
