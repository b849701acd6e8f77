from django.urls import path

from guanxi.campaigns import flow_views, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/send/", views.campaign_send, name="send"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("errors/", views.error_queue, name="errors"),
    path("errors/retry/", views.error_retry, name="retry"),
    path("fatigue/", views.fatigue, name="fatigue"),
    path("flows/", flow_views.flow_list, name="flows"),
    path("flows/presets/", flow_views.flow_presets, name="flow_presets"),
    path("flows/new/", flow_views.flow_new, name="flow_new"),
    path("flows/errors/", flow_views.flow_errors, name="flow_errors"),
    path("flows/retry/", flow_views.enrolment_retry, name="flow_retry"),
    path("flows/<int:pk>/", flow_views.flow_detail, name="flow_detail"),
    path("flows/<int:pk>/", flow_views.flow_detail, name="flow"),  # the name Flow.get_absolute_url reverses
    path("flows/<int:pk>/settings/", flow_views.flow_settings, name="flow_settings"),
    path("flows/<int:pk>/edit/", flow_views.flow_edit, name="flow_edit"),
    path("flows/<int:pk>/editor/", flow_views.flow_editor, name="flow_editor"),
    path("flows/<int:pk>/pause/", flow_views.flow_pause, name="flow_pause"),
]
