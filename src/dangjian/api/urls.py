from django.urls import path

from dangjian.api.api import api

urlpatterns = [path("", api.urls)]
