from django.apps import AppConfig


class ThemedaysConfig(AppConfig):
    name = "dangjian.themedays"
    verbose_name = "Theme days"
