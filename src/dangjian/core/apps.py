from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    verbose_name = "Core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from dangjian.core import site  # noqa: F401 (registers the deploy check)
        from dangjian.core.lockout import record_last_login

        # Django's auth app (earlier in INSTALLED_APPS, so ready first) connects its
        # `update_last_login` under this dispatch_uid; core.lockout's receiver replaces it.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(record_last_login, dispatch_uid="dangjian.record_last_login")
