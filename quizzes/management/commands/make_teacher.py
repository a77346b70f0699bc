from django.core.management.base import BaseCommand, CommandError

from quizzes.teach import access


class Command(BaseCommand):
    help = "Make a user a teacher (a member of the Teachers group), or with --remove, not."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--remove", action="store_true", help="Take the user out of the Teachers group."
        )

    def handle(self, *args, username: str, remove: bool, **options) -> None:
        try:
            user, changed = access.set_teacher(username, not remove)
        except access.UnknownUser as error:
            raise CommandError(str(error)) from None
        name = user.get_username()
        if remove:
            message = f"{name} is no longer a teacher." if changed else f"{name} was not a teacher."
        elif changed:
            message = (
                f"{name} is now a teacher: /teach/ is open to them, and the Teach link shows "
                "from their next sign-in (or their next visit to /teach/)."
            )
        else:
            message = f"{name} is already a teacher."
        self.stdout.write(self.style.SUCCESS(message))
