from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "dangjian.attendance"
    verbose_name = "Attendance"
