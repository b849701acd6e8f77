from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from guanxi.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list"), name="home"),
    path("login/", login_not_required(auth_views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("guanxi.customers.urls")),
    path("", include("guanxi.commerce.urls")),
    path("imports/", include("guanxi.imports.urls")),
    path("insights/", include("guanxi.insights.urls")),
    path("reports/", include("guanxi.reports.urls")),
    path("segments/", include("guanxi.segments.urls")),
    path("campaigns/", include("guanxi.campaigns.urls")),
    path("m/", include("guanxi.campaigns.tracking_urls")),
    path("account/", include("guanxi.accounts.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
