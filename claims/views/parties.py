"""Moderators record which sources are parties to a topic (interested parties, issue 14).

One page per topic, `/moderation/topics/<slug>/parties/`: the current and
withdrawn parties, a form to add one (a source and the reason), and one to
withdraw a party with a reason. Nothing is deleted: a party wrongly recorded
is withdrawn, and a withdrawn party added again is restored with the new
reason; the history of each keeps who and when. Gated on `moderate_claim`:
who is a party decides how every claim on the topic is grouped and counted.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from claims.models import Topic, TopicParty
from claims.submissions import submitted_once
from crosscheck.text import REASON_MAX_LENGTH, TextPolicyForm
from sources.models import Source


class PartyForm(TextPolicyForm, forms.Form):
    source = forms.ModelChoiceField(queryset=Source.objects.order_by("name"))
    reason = forms.CharField(
        max_length=1000,
        label="Why is it a party?",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 50}),
    )


class WithdrawForm(TextPolicyForm, forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label="Why withdraw it?",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 50}),
    )


@login_required
@permission_required("claims.moderate_claim", raise_exception=True)
@require_http_methods(["GET", "HEAD", "POST"])
@submitted_once
def topic_parties(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    add_form, withdraw_form = PartyForm(), None
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            withdraw_form = WithdrawForm(request.POST)
            if withdraw_form.is_valid():
                with transaction.atomic():
                    party = get_object_or_404(
                        TopicParty.objects.select_for_update(),
                        pk=withdraw_form.cleaned_data["party"],
                        topic=topic,
                    )
                    if party.withdrawn:
                        messages.error(request, "This party is already withdrawn: nothing changed.")
                    else:
                        party.withdrawn = True
                        party.withdrawn_reason = withdraw_form.cleaned_data["reason"]
                        party._change_reason = f"Withdrawn: {party.withdrawn_reason}"
                        party._history_user = request.user
                        party.save()
                        messages.success(request, f"{party.source} is no longer a party.")
                return redirect("claims:topic_parties", slug=topic.slug)
        else:
            add_form = PartyForm(request.POST)
            if add_form.is_valid():
                source, reason = add_form.cleaned_data["source"], add_form.cleaned_data["reason"]
                with transaction.atomic():
                    party = (
                        TopicParty.objects.select_for_update()
                        .filter(topic=topic, source=source)
                        .first()
                    )
                    if party is not None and not party.withdrawn:
                        messages.error(request, f"{source} is already a party: nothing changed.")
                        return redirect("claims:topic_parties", slug=topic.slug)
                    party = party or TopicParty(topic=topic, source=source)
                    party.reason, party.withdrawn, party.withdrawn_reason = reason, False, ""
                    party._change_reason = f"Recorded as a party: {reason}"
                    party._history_user = request.user
                    party.save()
                messages.success(request, f"{source} recorded as a party to this topic.")
                return redirect("claims:topic_parties", slug=topic.slug)
    parties = list(topic.parties.select_related("source").order_by("withdrawn", "source__name"))
    return render(
        request,
        "claims/moderation/parties.html",
        {
            "topic": topic,
            "parties": parties,
            "add_form": add_form,
            "withdraw_form": withdraw_form,
        },
        status=400 if request.method == "POST" else 200,
    )
