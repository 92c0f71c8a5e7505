from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "dangjian.supervision"
    verbose_name = "Spot checks and rectification"
