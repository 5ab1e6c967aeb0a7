"""Read-only outbox for operations: what left, what waits, what failed and why. Messages' content (patient
data) is not shown here; the only write is "re-queue", through the service (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from parcours.core.errors import DomainError
from parcours.notifications import services
from parcours.notifications.models import Notification, NotificationAttachment


class AttachmentInline(admin.TabularInline):
    model = NotificationAttachment
    fields = ("filename", "content_type", "size")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("to", "idempotency_key", "=external_id", "provider_message_id")
    date_hierarchy = "created_at"
    fields = (
        "external_id",
        "channel",
        "to",
        "recipient",
        "subject",
        "idempotency_key",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "sent_at",
        "provider_message_id",
        "patient_id",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (AttachmentInline,)
    actions = ("requeue",)
    list_select_related = ("recipient",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_notification")

    @admin.action(description=_("Remettre en file d'envoi"), permissions=("requeue",))
    def requeue(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        done = 0
        for pk, external_id in queryset.values_list("pk", "external_id"):
            try:
                services.notification_requeue(
                    actor=request.user,  # type: ignore[arg-type]
                    notification_id=pk,
                )
            except DomainError as exc:
                self.message_user(request, f"{external_id} : {exc.message}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(n)d notification remise en file d'envoi.",
                    "%(n)d notifications remises en file d'envoi.",
                    done,
                )
                % {"n": done},
                messages.SUCCESS,
            )
