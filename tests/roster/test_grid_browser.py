"""The demo's roster grid on a 1280×800 laptop in a real browser: all six routes in sight without
scrolling sideways, the route names staying on top while the weekends scroll, and the gaps-only view."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from natteravn.demo import seed
from natteravn.shifts.models import Term
from tests.conftest import code_from

pytestmark = pytest.mark.browser

COORDINATOR = "+4740000001"  # Siri Koordinator in the demo

GEOMETRY = """() => {
    const box = document.querySelector(".grid-scroll");
    const heads = [...document.querySelectorAll("table.grid thead th")];
    const sixth = heads[6].getBoundingClientRect();
    return {
        page_fits: document.documentElement.scrollWidth <= window.innerWidth,
        box_fits: box.scrollWidth <= box.clientWidth,
        routes: heads.length - 1,
        sixth_right: sixth.right,
        sixth_text: heads[6].innerText,
        box_top: box.getBoundingClientRect().top,
    };
}"""


def test_the_demo_grid_shows_the_sixth_route_on_a_laptop_without_scrolling_sideways(
    app, db, gateway, live_server, laptop
):
    seed(app)
    term = db.scalar(select(Term).where(Term.name == "Vinter 2026/27"))
    db.commit()
    page = laptop
    page.goto(live_server + "/login")
    page.get_by_label("Mobile number").fill(COORDINATOR)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code from the SMS").fill(code_from(gateway, COORDINATOR))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/nights**")

    page.goto(f"{live_server}/coordinator/terms/{term.id}/grid")
    shape = page.evaluate(GEOMETRY)
    assert shape["routes"] == 6
    assert shape["page_fits"] and shape["box_fits"]
    assert shape["sixth_right"] <= 1280
    assert shape["sixth_text"].split() == ["Åsnes", "Kjellmyra"]
    assert page.locator("table.grid thead th").nth(6).is_visible()

    # The weekends scroll inside the box; the route names stay at its top.
    page.locator(".grid-scroll").evaluate("box => box.scrollBy(0, 600)")
    scrolled = page.evaluate(
        """() => ({
            header: document.querySelector("table.grid thead th:nth-child(2)").getBoundingClientRect().top,
            box: document.querySelector(".grid-scroll").getBoundingClientRect().top,
            moved: document.querySelector(".grid-scroll").scrollTop,
        })"""
    )
    assert scrolled["moved"] > 0
    assert abs(scrolled["header"] - scrolled["box"]) <= 2

    page.goto(f"{live_server}/coordinator/terms/{term.id}/grid?gaps=y")
    states = page.locator("a.cell").evaluate_all("cells => cells.map(c => c.className)")
    assert states and all(any(state in c for state in ("cell-empty", "cell-short", "cell-no_leader")) for c in states)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
