from django.urls import path, re_path

from guanxi.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_new, name="new"),
    path("builder/", views.builder_update, name="builder"),
    path("preview/", views.preview, name="preview"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/refresh/", views.segment_refresh, name="refresh"),
    path("<int:pk>/upload/", views.segment_upload, name="upload"),
    re_path(r"^(?P<pk>\d+)/export\.(?P<fmt>csv|xlsx)$", views.segment_export, name="export"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
]
