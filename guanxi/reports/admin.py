from django.contrib import admin

from guanxi.reports.models import ExchangeRate


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "rate", "updated_at")
    search_fields = ("currency",)
