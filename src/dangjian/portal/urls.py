from django.urls import path

from dangjian.portal import photos, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("photos/<int:photo_id>/<str:variant>.jpg", photos.photo, name="photo"),
    path(
        "volunteering/photos/<int:photo_id>/<str:variant>.jpg",
        photos.order_photo,
        name="order_photo",
    ),
    path(
        "articles/<int:article_id>/cover/<str:variant>.jpg",
        photos.article_cover,
        name="article_cover",
    ),
]
