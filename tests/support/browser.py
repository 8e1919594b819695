"""The browser suite's viewports, and signing in through the real login form."""

from __future__ import annotations

import re

DESKTOP = {"width": 1280, "height": 800}


PHONE = {"width": 390, "height": 844}


def log_in(page, user, then: str = "/catalog") -> None:
    """Sign in through the real form, as a person would, following a link to
    `then` (the catalog: where most browser tests start)."""
    from playwright.sync_api import expect

    username = user.get_username()
    page.goto(f"/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-" + username)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(
        re.compile(rf"^http://[^/]+{re.escape(then)}$")
    )  # no https
    expect(page.locator("form.account")).to_contain_text(username)
    # portal.css paints the header in the accent colour: the stylesheet loaded.
    expect(page.locator("header.top")).to_have_css(
        "background-color", "rgb(11, 110, 79)"
    )
