"""A school's list of parents imported in a real browser, as a coordinator does it on a laptop: the
file chosen, the preview read, the import confirmed, with the browser's own way of sending the
checked file back and CSRF protection on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from natteravn.accounts.models import Person
from tests.people.test_import_lists import school_list
from tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_a_coordinator_imports_a_school_list_of_two_thousand_parents(world, db, gateway, live_server, laptop, tmp_path):
    listing = tmp_path / "foreldre.csv"
    listing.write_text(school_list(2000), encoding="utf-8-sig")  # as Excel saves "CSV UTF-8"
    log_in(laptop, live_server, gateway, world.coordinator.phone, world.coordinator.phone)

    laptop.goto(live_server + "/coordinator/people/import")
    laptop.get_by_label("Spreadsheet (CSV file)").set_input_files(listing)
    laptop.get_by_role("button", name="Check the file").click()
    assert "2000 new people" in laptop.get_by_role("status").inner_text()
    laptop.get_by_role("button", name="Import these people").click()

    assert "Imported: 2000 new, 0 updated, 0 unchanged." in laptop.locator(".flashes").inner_text()
    assert db.scalar(select(func.count()).select_from(Person).where(Person.phone.like("+47459%"))) == 2000
