"""
Watching's pages: the watch button's POST, the notifications page (mark
read; nothing is deleted) and the e-mail settings. All for logged-in users;
what may be watched is what the user may see (unpublished research: 404).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims.models import Conflict, Detainee, Topic
from claims.views.moderation import back
from crosscheck.lists import paginate
from sources.models import Source
from watching import actions
from watching.models import EmailChoice, EmailPreference, Notification, Watch

MODELS = {"topic": Topic, "detainee": Detainee, "source": Source, "conflict": Conflict}


def watchable(request: HttpRequest, kind: str, pk: int):
    """Return the thing to watch, if this user may see it; else 404."""
    model = MODELS.get(kind)
    if model is None:
        raise Http404("Nothing of that kind can be watched.")
    objects = model.objects.all() if model is Conflict else model.objects.visible_to(request.user)
    return get_object_or_404(objects, pk=pk)


@login_required
@require_POST
def watch(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Start watching (watch=1, the default) or stop (watch=0); the row is kept either way."""
    target = watchable(request, kind, pk)
    if request.POST.get("watch", "1") != "0":
        actions.start(request.user, target)
        messages.success(
            request,
            f"You are watching {target}: changes reach your notifications"
            f"{'' if choice(request.user) == EmailChoice.NONE else ' and your e-mail'}.",
        )
    else:
        row = Watch.objects.active().filter(user=request.user, **{kind: target}).first()
        if row is not None:
            actions.stop(row)
        messages.success(request, f"You no longer watch {target}.")
    return back(request, target.get_absolute_url())


def choice(user) -> str:
    preference = EmailPreference.objects.filter(user=user).first()
    return preference.email if preference else EmailChoice.INSTANT


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, 50 a page; unread ones marked."""
    notifications = Notification.objects.filter(user=request.user).for_display()
    page, page_notice = paginate(request, notifications)
    watches = (
        Watch.objects.active()
        .filter(user=request.user)
        .select_related("topic", "detainee", "source", "conflict__topic")
    )
    context = {
        "page": page,
        "page_notice": page_notice,
        "watches": watches,
        "email_choice_label": EmailChoice(choice(request.user)).label,
    }
    return render(request, "watching/notification_list.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the notifications named (`notification`), or all (`all`), read. Never deletes."""
    mine = Notification.objects.filter(user=request.user).unread()
    if request.POST.get("all"):
        marked = mine.update(read_at=timezone.now())
    else:
        ids = [v for v in request.POST.getlist("notification") if v.isascii() and v.isdigit()]
        marked = mine.filter(pk__in=[int(v) for v in ids[:500] if len(v) <= 18]).update(
            read_at=timezone.now()
        )
    if marked:
        messages.success(request, f"Marked {marked} notification{'s' * (marked != 1)} read.")
    return back(request, reverse("watching:notifications"))


class EmailPreferenceForm(forms.ModelForm):
    class Meta:
        model = EmailPreference
        fields = ["email"]
        widgets = {"email": forms.RadioSelect}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """How the user is e-mailed about what they watch: at once, a daily digest, or not."""
    preference = EmailPreference.objects.filter(user=request.user).first() or EmailPreference(
        user=request.user
    )
    if request.method == "POST":
        form = EmailPreferenceForm(request.POST, instance=preference)
        if form.is_valid():
            form.save()
            messages.success(request, f"E-mail: {preference.get_email_display()}.")
            return redirect("watching:settings")
    else:
        form = EmailPreferenceForm(instance=preference)
    return render(
        request,
        "watching/settings.html",
        {"form": form, "has_address": bool(request.user.email)},
    )
