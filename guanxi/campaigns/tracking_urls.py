"""Public links inside messages: open pixel, click redirect, unsubscribe, preferences.
Signed tokens instead of logins (see tracking.py)."""

from django.urls import path

from guanxi.campaigns import tracking_views as views

app_name = "tracking"
urlpatterns = [
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("p/<str:token>/", views.preferences, name="preferences"),
]
