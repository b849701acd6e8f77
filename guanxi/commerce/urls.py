from django.urls import path

app_name = "commerce"
urlpatterns = []
