"""Order and product pages: thin views over the commerce models."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render

from guanxi.commerce.forms import OrderFilterForm, ProductFilterForm
from guanxi.commerce.models import Order, Product
from guanxi.core.pages import paginate, render_page


@permission_required("commerce.view_order", raise_exception=True)
def order_list(request):
    form = OrderFilterForm(request.GET)
    orders = form.filter(Order.objects.select_related("customer")).order_by("-ordered_at", "-id")
    context = {"form": form, "page": paginate(request, orders)}
    return render_page(request, "commerce/order_list.html", context, partial="results")


@permission_required("commerce.view_order", raise_exception=True)
def order_detail(request, pk):
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    context = {
        "order": order,
        "lines": order.lines.select_related("product").order_by("line_no"),
        "returns": order.returns.select_related("order_line").order_by("-returned_at", "-id"),
    }
    return render(request, "commerce/order_detail.html", context)


@permission_required("commerce.view_product", raise_exception=True)
def product_list(request):
    form = ProductFilterForm(request.GET)
    products = form.filter(Product.objects.select_related("category")).order_by("sku")
    context = {"form": form, "page": paginate(request, products)}
    return render_page(request, "commerce/product_list.html", context, partial="results")
