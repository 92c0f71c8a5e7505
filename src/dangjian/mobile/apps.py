from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "dangjian.mobile"
    verbose_name = "Member phone pages"
