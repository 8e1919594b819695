from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and teams"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from people.identity import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="people.identity")
