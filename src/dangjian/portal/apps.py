from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "dangjian.portal"
    verbose_name = "Portal (login, home, health)"
