from django.urls import path

from guanxi.commerce import views

app_name = "commerce"
urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("products/", views.product_list, name="product_list"),
]
