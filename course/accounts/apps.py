from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "course.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from course.accounts import signals  # noqa: F401  (a profile for every new user)
