from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "discovery"
    verbose_name = "Git hosts and discovery"

    def ready(self) -> None:
        from core import credentials
        from discovery.credentials import git_header  # needs the models

        credentials.register(git_header)
