from django.urls import path

from guanxi.insights import key_accounts, views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("start/", views.start, name="start"),
    path("key-accounts/", key_accounts.key_accounts, name="key_accounts"),
    path("key-accounts/<int:pk>/owner/", key_accounts.assign, name="assign_owner"),
]
