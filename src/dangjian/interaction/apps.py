from django.apps import AppConfig


class InteractionConfig(AppConfig):
    name = "dangjian.interaction"
    verbose_name = "Activity record and interaction"
