from django.core.management.base import BaseCommand, CommandError

from course import page_cache
from course.content import ContentError
from course.sync import sync_content


class Command(BaseCommand):
    help = "Validate every lesson and quiz file, then load them into the database in one go."

    def handle(self, *args, **options) -> None:
        try:
            report = sync_content()
        except ContentError as error:
            raise CommandError(
                "content has problems; nothing was written:\n" + str(error)
            ) from None
        page_cache.clear()
        for line in report.lines:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"Content in sync ({report.changed} change{'s' if report.changed != 1 else ''})."
            )
        )
