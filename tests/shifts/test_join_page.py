"""Each municipality's public "Bli natteravn" page: what walking is, its coming nights naming
nobody, a way to sign up, and a QR code of its address to print, for anyone, on a phone without
JavaScript."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import segno

from natteravn.places.models import Registration
from tests import factories

SVG = "{http://www.w3.org/2000/svg}"


def page_of(world, municipality=None) -> str:
    return f"/join/{world.region.slug}/{(municipality or world.asnes).id}"


def drawn_modules(svg: bytes) -> list[list[bool]]:
    """The dark modules an SVG from segno draws, read back from its path: "M x y" and "m dx dy"
    move, "h n" draws n dark modules along the row at y - 0.5."""
    root = ET.fromstring(svg)
    width = int(root.attrib["viewBox"].split()[2])
    path = root.find(f"{SVG}path").attrib["d"]
    grid = [[False] * width for _ in range(width)]
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x) + int(first)):
                grid[int(y - 0.5)][column] = True
            x += int(first)
    return grid


def expected_modules(address: str) -> list[list[bool]]:
    code = segno.make(address, error="m", micro=False)
    return [[bool(dark) for dark in row] for row in code.matrix_iter(border=4)]


def test_anyone_reads_what_walking_is_and_the_coming_nights(world, client):
    page = client.get(page_of(world))
    assert page.status_code == 200
    assert "Become a night walker in Åsnes" in page.text
    for promise in ("18 or older", "sober", "never walk alone", "never intervene", "112", "02800"):
        assert promise in page.text
    nights = page.text[page.text.index("Coming nights") : page.text.index("Sign up as a night walker")]
    assert nights.count('class="night"') == 6  # the next few, not the whole term
    assert "Friday 20 November 22:00–01:00" in nights and "Flisa sentrum" in nights and "Kjellmyra" in nights
    assert "Kirkenær" not in nights  # Grue's route


def test_the_nights_name_nobody(world, db, clock, client):
    night = world.night_on("Flisa sentrum", world.nights[0].starts_at.date())
    factories.signup(db, night, world.parent, clock())
    db.commit()
    page = client.get(page_of(world)).text
    assert "Kari" not in page and world.parent.phone not in page and "912 34 567" not in page


def test_drafts_cancelled_and_begun_nights_are_left_out(world, db, clock, client):
    first, second = sorted((n for n in world.nights if n.route.municipality == world.asnes), key=lambda n: n.starts_at)[
        :2
    ]
    second.cancelled_at = clock()
    db.commit()
    clock.set(first.starts_at + timedelta(minutes=5))
    page = client.get(page_of(world)).text
    assert "Friday 20 November" not in page and "Saturday 21 November" in page
    world.term.published_at = None
    db.commit()
    assert "No nights are published yet" in client.get(page_of(world)).text


def test_the_sign_up_link_leads_to_logging_in_with_the_municipality_chosen(world, client):
    page = client.get(page_of(world)).text
    assert f'href="/sign-up/{world.asnes.id}"' in page
    assert "A coordinator approves new walkers before their first night." in page


def test_an_open_region_says_nothing_about_approval(world, db, client):
    world.region.registration = Registration.OPEN
    db.commit()
    assert "approves new walkers" not in client.get(page_of(world)).text


def test_the_page_speaks_the_browsers_language(world, client):
    page = client.get(page_of(world), headers={"Accept-Language": "nb"})
    assert "Bli natteravn i Åsnes" in page.text


@pytest.mark.parametrize(
    "address", ["/join/hamar/{asnes}", "/join/solor/{hamar}", "/join/solor/999999", "/join/solor/{archived}"]
)
def test_only_an_open_municipality_under_its_own_regions_name_has_a_page(world, db, clock, client, address):
    hamar = factories.other_region(db, clock())[1]
    world.valer.archived = True
    db.commit()
    url = address.format(asnes=world.asnes.id, hamar=hamar.id, archived=world.valer.id)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/qr.svg").status_code == 404


def test_the_qr_code_draws_the_pages_address(world, client, links):
    response = client.get(f"{page_of(world)}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    address = links.join(world.region.slug, world.asnes.id)
    assert address == f"http://natteravn.test/join/solor/{world.asnes.id}"
    assert drawn_modules(response.data) == expected_modules(address)
    assert f'src="{page_of(world)}/qr.svg"' in client.get(page_of(world)).text
    assert "download=" in client.get(page_of(world)).text


def test_the_page_has_the_same_security_headers_and_is_cached_briefly_by_the_browser_only(world, client):
    ordinary = client.get("/login").headers
    response = client.get(page_of(world))
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert response.headers[header] == ordinary[header]
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert client.get(f"{page_of(world)}/qr.svg").headers["Cache-Control"] == "public, max-age=86400"


def test_a_logged_in_person_sees_the_page_but_it_is_not_kept(world, login, client):
    response = login(world.parent).get(page_of(world))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_the_places_page_links_each_municipalitys_public_page(world, login, client):
    page = login(world.coordinator).get("/coordinator/places").text
    for municipality in (world.grue, world.asnes, world.valer):
        assert f'href="{page_of(world, municipality)}"' in page


@pytest.mark.browser
def test_on_a_phone_the_page_fits_and_shows_the_qr_code(world, live_server, phone):
    from tests.test_browser import fits_the_screen

    phone.goto(live_server + page_of(world))
    assert phone.get_by_role("heading", level=1).inner_text() == "Become a night walker in Åsnes"
    assert fits_the_screen(phone)
    qr = phone.locator(".join-qr img")
    assert qr.get_attribute("alt").startswith("QR code for http://natteravn.test/join/solor/")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")  # allowed by the page's CSP
    phone.get_by_role("link", name="Sign up as a night walker").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "Join Natteravn in Åsnes"
    assert fits_the_screen(phone)
