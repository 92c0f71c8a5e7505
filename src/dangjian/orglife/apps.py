from django.apps import AppConfig


class OrgLifeConfig(AppConfig):
    name = "dangjian.orglife"
    verbose_name = "Organization life"
