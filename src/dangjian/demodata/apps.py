from django.apps import AppConfig


class DemodataConfig(AppConfig):
    name = "dangjian.demodata"
    verbose_name = "Demo and city data"
