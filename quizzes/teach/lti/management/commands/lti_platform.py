from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from quizzes.teach.lti.platforms import PlatformError, add_platform


class Command(BaseCommand):
    help = "Register an LMS as an LTI 1.3 platform (idempotent for the same issuer and client id)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add or update a platform registration.")
        add.add_argument("--issuer", required=True)
        add.add_argument("--client-id", required=True)
        add.add_argument("--deployment-id", required=True)
        add.add_argument("--auth-url", required=True)
        add.add_argument("--token-url", required=True)
        add.add_argument("--keyset-url", required=True)
        add.add_argument("--name", default="")
        add.add_argument(
            "--frame-origin",
            default="",
            help="The LMS site that frames the tool, if not the login URL's (Canvas: your "
            "school's Canvas URL).",
        )

    def handle(self, *args, **options):
        try:
            platform, created = add_platform(
                issuer=options["issuer"],
                client_id=options["client_id"],
                deployment_id=options["deployment_id"],
                auth_url=options["auth_url"],
                token_url=options["token_url"],
                keyset_url=options["keyset_url"],
                name=options["name"],
                frame_origin=options["frame_origin"],
            )
        except PlatformError as error:
            raise CommandError(str(error)) from None
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} platform {platform} (deployment {options['deployment_id']}).")
        self.stdout.write(
            f"Tool URLs: login {reverse('lti:login')}, launch/redirect {reverse('lti:launch')}, "
            f"JWKS {reverse('lti:jwks')}"
        )
