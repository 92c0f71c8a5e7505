from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "dangjian.console"
    verbose_name = "Back office"
