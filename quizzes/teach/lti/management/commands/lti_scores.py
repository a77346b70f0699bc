from django.core.management.base import BaseCommand

from quizzes.teach.lti.models import PendingScore
from quizzes.teach.lti.outbox import deliver_due


class Command(BaseCommand):
    help = (
        "Send the scores waiting for an LMS gradebook now. The scheduler process (make run, make "
        "serve) already sends them in the background and tries failed ones again with backoff; "
        "this is for an operator who does not want to wait."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        retry = sub.add_parser(
            "retry", help="Send every waiting score now, whatever its backoff says."
        )
        retry.add_argument(
            "--failed",
            action="store_true",
            help="also the scores given up after a day of failures",
        )

    def handle(self, *args, failed=False, **options):
        # No budget: an operator's run goes through the whole outbox.
        outcome = deliver_due(
            now_all=True, include_failed=failed, limit=10**9, budget_s=float("inf")
        )
        waiting = PendingScore.objects.waiting().count()
        given_up = PendingScore.objects.filter(failed_at__isnull=False).count()
        self.stdout.write(
            f"{outcome.sent} score(s) sent; {waiting} still waiting; {given_up} given up."
        )
