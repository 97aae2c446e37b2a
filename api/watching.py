"""
The API of watching (docs/watching.md): one's own watches and notifications.

- Only for a logged-in user (token or session), whatever
  READING_REQUIRES_LOGIN: an anonymous call answers 401. Each user sees and
  changes only their own rows: another user's watch or notification answers
  404, as if it did not exist.
- `GET /api/watches/` lists one's active watches, newest first;
  `GET /api/watches/{id}/` reads one. `POST /api/watches/` with
  `{"kind": "topic", "target": 5}` watches what the user may see
  (unpublished research: 404, as the web's watch button): 201 with the
  watch, or 200 with it when it was already watched. `DELETE
  /api/watches/{id}/` stops watching (204): nothing is deleted, the row
  keeps `stopped_at` and history keeps who stopped it and when; a stopped
  watch is no longer listed or read (404), and watching again restarts it.
  This is the one DELETE of the API, and it deletes nothing.
- `GET /api/notifications/` lists one's notifications, newest first, read
  and unread (`read_at` null), with the one-line summary the page shows.
  `POST /api/notifications/{id}/read/` marks one read (idempotent: a read
  one keeps its first `read_at`; no body); `POST /api/notifications/read/`
  with `{"all": true}` or `{"notifications": [ids]}` marks every unread one,
  or those named (one's own only), read and says how many.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.timezone import now
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.serializers import DetailSerializer
from claims.models import Conflict, Detainee, Topic
from sources.models import Source
from watching import actions
from watching.models import KINDS, Notification, Watch

MODELS = {"topic": Topic, "detainee": Detainee, "source": Source, "conflict": Conflict}

NOT_LOGGED_IN = OpenApiResponse(DetailSerializer, description="Not logged in (no or bad token).")
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such record, or not yours.")
TOO_LARGE = OpenApiResponse(
    DetailSerializer,
    description="The body is larger than the server reads (DATA_UPLOAD_MAX_MEMORY_SIZE).",
)
PAGE_PAST_LAST = OpenApiResponse(DetailSerializer, description="A page past the last.")
ERRORS = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="The body is refused: the messages by field.",
)


class LoggedIn(permissions.BasePermission):
    """Every call, reads too: one's watches and notifications are nobody else's."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)


def whole_number(pk) -> int:
    if isinstance(pk, str) and pk.isascii() and pk.isdigit() and len(pk) <= 18:
        return int(pk)
    raise NotFound


def flat(errors: dict) -> dict[str, list[str]]:
    """Return a serializer's errors in the API's one shape, a list of messages per field.

    A list's errors come by item (`{"3": [...]}`): each message names its item.
    """
    shaped = {}
    for name, messages in errors.items():
        if isinstance(messages, dict):
            messages = [f"Item {int(i) + 1}: {m}" for i, item in messages.items() for m in item]
        shaped[name] = [str(m) for m in messages]
    return shaped


def no_body(payload: dict) -> dict[str, list[str]]:
    return {name: ["Unknown field: this action takes no body."] for name in payload}


class TargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The topic's title, the detainee's or source's name.")
    url = serializers.CharField(help_text="Its page on the site.")


class WatchSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=KINDS, read_only=True)
    target = serializers.SerializerMethodField()

    class Meta:
        model = Watch
        fields = ["id", "kind", "target", "started_at"]

    @extend_schema_field(TargetSerializer)
    def get_target(self, watch: Watch) -> dict:
        target = watch.target
        return {
            "id": target.pk,
            "name": str(target),
            "url": settings.SITE_URL + target.get_absolute_url(),
        }


class WatchBodySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    target = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of the thing to watch."
    )


class NotificationSerializer(serializers.ModelSerializer):
    summary = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="The claim's or the conflict's page.")

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "summary",
            "url",
            "topic",
            "claim",
            "conflict",
            "created_at",
            "read_at",
        ]


MARKED = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})
LARGEST = 2**63 - 1


class ReadBodySerializer(serializers.Serializer):
    """Which notifications to mark read: every unread one, or those named."""

    all = serializers.BooleanField(required=False, help_text="true: every unread one.")
    notifications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=LARGEST),
        required=False,
        max_length=500,
        help_text="The ids to mark read (one's own; others are ignored).",
    )


@extend_schema_view(
    list=extend_schema(
        responses={
            200: WatchSerializer(many=True),
            400: ERRORS,
            401: NOT_LOGGED_IN,
            404: PAGE_PAST_LAST,
        }
    ),
    retrieve=extend_schema(responses={200: WatchSerializer, 401: NOT_LOGGED_IN, 404: NOT_FOUND}),
    create=extend_schema(
        request=WatchBodySerializer,
        responses={
            200: OpenApiResponse(WatchSerializer, description="Already watched."),
            201: WatchSerializer,
            400: ERRORS,
            401: NOT_LOGGED_IN,
            404: NOT_FOUND,
            413: TOO_LARGE,
        },
    ),
    destroy=extend_schema(
        responses={
            204: OpenApiResponse(description="Stopped watching; the watch is kept, stopped."),
            401: NOT_LOGGED_IN,
            404: NOT_FOUND,
        }
    ),
)
class WatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """One's active watches: watch (POST), stop watching (DELETE, which deletes nothing)."""

    serializer_class = WatchSerializer
    permission_classes = [LoggedIn]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # The schema's look at the id's type.
            return Watch.objects.none()
        return (
            Watch.objects.active()
            .filter(user=self.request.user)
            .select_related("topic", "detainee", "source", "conflict__topic")
            .order_by("-started_at", "-pk")
        )

    def get_object(self):
        found = self.get_queryset().filter(pk=whole_number(self.kwargs["pk"])).first()
        if found is None:
            raise NotFound
        return found

    def create(self, request):
        unknown = {k: ["Unknown field."] for k in request.data if k not in ("kind", "target")}
        body = WatchBodySerializer(data=request.data)
        if unknown or not body.is_valid():
            return Response({**(flat(body.errors) if not unknown else {}), **unknown}, status=400)
        kind, pk = body.validated_data["kind"], body.validated_data["target"]
        model = MODELS[kind]
        objects = model.objects
        visible = objects.all() if model is Conflict else objects.visible_to(request.user)
        target = visible.filter(pk=pk).first()
        if target is None:
            raise NotFound(f"No {kind} #{pk} you may see.")
        watch, started = actions.start(request.user, target)
        shown = self.get_queryset().get(pk=watch.pk)
        done = status.HTTP_201_CREATED if started else status.HTTP_200_OK
        return Response(self.get_serializer(shown).data, status=done)

    def destroy(self, request, pk=None):
        actions.stop(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        responses={
            200: NotificationSerializer(many=True),
            400: ERRORS,
            401: NOT_LOGGED_IN,
            404: PAGE_PAST_LAST,
        }
    ),
    read=extend_schema(
        request=None,
        responses={
            200: NotificationSerializer,
            400: ERRORS,
            401: NOT_LOGGED_IN,
            404: NOT_FOUND,
            413: TOO_LARGE,
        },
    ),
    read_many=extend_schema(
        operation_id="notifications_read_many",
        request=ReadBodySerializer,
        responses={200: MARKED, 400: ERRORS, 401: NOT_LOGGED_IN, 413: TOO_LARGE},
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """One's notifications, newest first; mark one, or all, read. Nothing is deleted."""

    serializer_class = NotificationSerializer
    permission_classes = [LoggedIn]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return (
            Notification.objects.filter(user=self.request.user)
            .for_display()
            .order_by("-created_at", "-pk")
        )

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (a read one keeps its first read_at)."""
        if request.data:
            return Response(no_body(request.data), status=status.HTTP_400_BAD_REQUEST)
        found = self.get_queryset().filter(pk=whole_number(pk)).first()
        if found is None:
            raise NotFound
        if found.read_at is None:
            Notification.objects.filter(pk=found.pk, read_at=None).update(read_at=now())
            found = self.get_queryset().get(pk=found.pk)
        return Response(self.get_serializer(found).data)

    @action(detail=False, methods=["post"], url_path="read", url_name="read-many")
    def read_many(self, request):
        """Mark read every unread notification (`all`), or those named (`notifications`)."""
        unknown = {k: ["Unknown field."] for k in request.data if k not in ("all", "notifications")}
        body = ReadBodySerializer(data=request.data)
        if unknown or not body.is_valid():
            return Response({**({} if unknown else flat(body.errors)), **unknown}, status=400)
        chosen = body.validated_data
        if bool(chosen.get("all")) == ("notifications" in chosen):
            return Response(
                {"non_field_errors": ["Send either `all: true` or `notifications`, not both."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        unread = Notification.objects.filter(user=request.user).unread()
        if not chosen.get("all"):
            unread = unread.filter(pk__in=chosen["notifications"])
        return Response({"marked": unread.update(read_at=now())})
