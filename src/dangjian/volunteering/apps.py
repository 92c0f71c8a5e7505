from django.apps import AppConfig


class VolunteeringConfig(AppConfig):
    name = "dangjian.volunteering"
    verbose_name = "Volunteering"
