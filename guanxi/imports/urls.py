from django.urls import path

from guanxi.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/rejects.csv", views.rejects_download, name="rejects"),
]
