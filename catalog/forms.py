"""Forms for the pages that change the catalog."""

from __future__ import annotations

from typing import Any

from django import forms

from catalog.locations import RegistrationError, Target, validate_target


class RegisterForm(forms.Form):
    url = forms.CharField(
        label="Repository URL",
        max_length=2048,
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/acme/billing"}),
    )
    branch = forms.CharField(
        label="Branch", max_length=255, required=False, help_text="Empty: the default."
    )
    path = forms.CharField(
        label="File path or glob",
        max_length=1024,
        required=False,
        help_text="Empty: catalog-info.yaml. Globs like services/*/catalog-info.yaml.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.target = validate_target(
                data["url"], data.get("branch", ""), data.get("path", "")
            )
        except RegistrationError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data

    @property
    def validated(self) -> Target:
        return self.target
