from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dangjian.notifications"
    verbose_name = "Notifications"
