from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "dangjian.learning"
    verbose_name = "Learning"
