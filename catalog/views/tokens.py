"""The person's API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views import View

from core import inputs
from core.roles import can_edit
from core.tokens import issue_token, revoke_token

TEMPLATE = "catalog/tokens.html"


class TokenForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="What it is for.")
    write = forms.BooleanField(
        label="Read and write (what your role or your teams' ownership allows)",
        required=False,
    )


class TokenListPage(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, TokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "revoke" in request.POST:
            try:
                token_id = inputs.integer(
                    request.POST["revoke"], "revoke", minimum=1, maximum=inputs.BIGINT
                )
            except inputs.InputRefused as exc:
                return HttpResponseBadRequest(str(exc), content_type="text/plain")
            if revoke_token(request.user, token_id):
                messages.success(request, "The token was revoked.")
            return redirect("catalog:tokens")
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        write = form.cleaned_data["write"]
        _, text = issue_token(request.user, form.cleaned_data["name"], write=write)
        return self._render(request, TokenForm(), new_token=text)

    def _render(
        self, request: HttpRequest, form: TokenForm, status: int = 200, **extra: object
    ) -> HttpResponse:
        tokens = request.user.api_tokens.filter(revoked_at=None)  # type: ignore[union-attr]
        context = {"form": form, "tokens": tokens, "editor": can_edit(request.user)}
        return render(request, TEMPLATE, context | extra, status=status)
