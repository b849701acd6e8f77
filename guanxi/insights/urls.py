from django.urls import path

from guanxi.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("start/", views.start, name="start"),
]
