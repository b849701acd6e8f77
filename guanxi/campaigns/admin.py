"""Admin: templates and campaigns editable; the outbox and its events read-only
(they are the record of what was sent; the error queue page retries)."""

from django.contrib import admin

from guanxi.campaigns.models import (
    AttributedOrder,
    Campaign,
    Message,
    MessageEvent,
    MessageTemplate,
    TemplateContent,
)


class TemplateContentInline(admin.StackedInline):
    model = TemplateContent
    extra = 0


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "purpose", "default_language", "updated_at"]
    list_filter = ["channel", "purpose"]
    search_fields = ["name"]
    inlines = [TemplateContentInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "template", "status", "send_at", "queued_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    raw_id_fields = ["segment", "template", "template_b", "created_by"]
    readonly_fields = ["winner", "queued_at", "created_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["key", "channel", "purpose", "status", "reason", "not_before", "sent_at"]
    list_filter = ["status", "channel", "purpose", "reason"]
    search_fields = ["key", "address"]
    raw_id_fields = ["customer", "campaign", "template", "contact_point"]


@admin.register(MessageEvent)
class MessageEventAdmin(ReadOnlyAdmin):
    list_display = ["message", "kind", "reason", "at"]
    list_filter = ["kind", "reason"]
    raw_id_fields = ["message"]


@admin.register(AttributedOrder)
class AttributedOrderAdmin(ReadOnlyAdmin):
    list_display = ["order", "message", "touch", "attributed_at"]
    raw_id_fields = ["order", "message"]
