from django.urls import path

from dangjian.mobile import views

app_name = "mobile"
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
]
