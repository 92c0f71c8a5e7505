from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "dangjian.registry"
    verbose_name = "Registry"
