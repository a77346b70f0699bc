from django.core.management.base import BaseCommand

from quizzes.teach.lti.grades import retry_pending


class Command(BaseCommand):
    help = (
        "Send again the scores an LMS did not take when they were submitted (run it from cron; "
        "a score waits until its platform accepts it or a newer one replaces it)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("retry", help="Send every waiting score once more.")

    def handle(self, *args, **options):
        sent, waiting = retry_pending()
        self.stdout.write(f"{sent} score(s) sent; {waiting} still waiting.")
