"""Setting up a region: created with its municipalities, set up again without changing anything,
renamed only when asked, and refused with a sentence saying what is wrong with the input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from natteravn.audit.models import AuditEvent
from natteravn.places import service
from natteravn.places.models import Municipality, Region


def events(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def set_up(db, clock, *, slug="solor", name="Solør", municipalities=("Grue", "Åsnes", "Våler"), **options):
    return service.set_up_region(
        db,
        slug=slug,
        name=name,
        municipalities=list(municipalities),
        timezone=options.pop("timezone", None),
        rename=options.pop("rename", False),
        actor=None,
        now=clock(),
    )


def test_a_new_region_is_created_with_its_municipalities_by_the_system(db, clock):
    setup = set_up(db, clock)
    assert (setup.created, setup.added, setup.found) == (True, ["Grue", "Åsnes", "Våler"], [])
    region = db.scalar(select(Region).where(Region.slug == "solor"))
    assert (region.name, region.timezone, region.nights_per_term_cap) == ("Solør", "Europe/Oslo", 2)
    assert sorted(m.name for m in region.municipalities) == ["Grue", "Våler", "Åsnes"]
    (created,) = events(db, "region.created")
    assert (created.actor_id, created.region_id, created.details["slug"]) == (None, region.id, "solor")
    assert [e.details["name"] for e in events(db, "municipality.created")] == ["Grue", "Åsnes", "Våler"]


def test_setting_up_again_changes_nothing_and_says_what_it_found(db, clock):
    set_up(db, clock)
    again = set_up(db, clock, municipalities=["grue", "Åsnes"])
    assert (again.created, again.renamed_from, again.added, again.found) == (False, None, [], ["Grue", "Åsnes"])
    assert db.scalar(select(func.count()).select_from(Municipality)) == 3
    assert len(db.scalars(select(AuditEvent)).all()) == 4


def test_one_more_municipality_adds_only_that_one(db, clock):
    set_up(db, clock)
    more = set_up(db, clock, municipalities=["Grue", "Åsnes", "Våler", "Kongsvinger"])
    assert (more.added, more.found) == (["Kongsvinger"], ["Grue", "Åsnes", "Våler"])
    assert len(events(db, "municipality.created")) == 4


def test_another_name_for_an_existing_region_is_refused_unless_renaming(db, clock):
    set_up(db, clock)
    with pytest.raises(service.RenameNeeded) as refused:
        set_up(db, clock, name="Solør og Odal")
    assert str(refused.value) == "The region solor is called Solør, not Solør og Odal."
    renamed = set_up(db, clock, name="Solør og Odal", rename=True)
    assert (renamed.renamed_from, renamed.region.name) == ("Solør", "Solør og Odal")
    (updated,) = events(db, "region.updated")
    assert updated.details["changed"] == {"name": ["Solør", "Solør og Odal"]}


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"slug": "Solor"}, "slug", "The short name Solor will not do"),
        ({"slug": "sol or"}, "slug", "The short name sol or will not do"),
        ({"slug": "-solor"}, "slug", "will not do"),
        ({"slug": "solør"}, "slug", "will not do"),
        ({"slug": "s" * 61}, "slug", "will not do"),
        ({"slug": ""}, "slug", "Write the region's short name, for example solor."),
        ({"name": "  "}, "name", "Write the region's name."),
        ({"municipalities": ["Grue", "grue"]}, "municipalities", "The municipality grue is named twice."),
        ({"municipalities": ["Grue", " "]}, "municipalities", "Write the municipality's name."),
        (
            {"municipalities": ["Gol, Hemsedal, Ål"]},
            "municipalities",
            "Write one municipality per line: Gol, Hemsedal and Ål are 3 municipalities.",
        ),
        ({"municipalities": ["Grue;Åsnes"]}, "municipalities", "Grue and Åsnes are 2 municipalities."),
        ({"municipalities": ["Grue,"]}, "municipalities", "A municipality's name has no comma or semicolon."),
        ({"timezone": "Europe/Nowhere"}, "timezone", "Europe/Nowhere is not a time zone. Write one like Europe/Oslo."),
        ({"timezone": "../etc/passwd"}, "timezone", "is not a time zone"),
    ],
)
def test_bad_input_is_refused_with_what_is_wrong_and_nothing_is_made(db, clock, given, field, message):
    with pytest.raises(service.PlaceRefused) as refused:
        set_up(db, clock, **given)
    assert message in str(refused.value)
    assert refused.value.field == field
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Region)) == 0


def test_a_list_of_municipalities_is_refused_for_an_existing_region_too(db, clock):
    set_up(db, clock)
    with pytest.raises(service.SeveralMunicipalities) as refused:
        set_up(db, clock, municipalities=["Grue", "Kongsvinger, Eidskog"])
    assert refused.value.names == ["Kongsvinger", "Eidskog"]
    assert db.scalar(select(func.count()).select_from(Municipality)) == 3


def test_a_name_another_region_has_is_refused(db, clock):
    set_up(db, clock)
    with pytest.raises(service.PlaceRefused, match="Another region is already called SOLØR."):
        set_up(db, clock, slug="hamar", name="SOLØR", municipalities=["Hamar"])


def test_an_existing_regions_time_zone_stays(db, clock):
    set_up(db, clock, timezone="Europe/Oslo")
    assert not set_up(db, clock, timezone="Europe/Oslo").created
    with pytest.raises(service.PlaceRefused, match="The region solor keeps its time zone, Europe/Oslo."):
        set_up(db, clock, timezone="Europe/Stockholm")


def test_creating_a_region_whose_short_name_is_taken_is_refused(db, clock):
    set_up(db, clock)
    with pytest.raises(service.PlaceRefused, match="There is already a region with the short name solor."):
        service.create_region(db, slug="solor", name="Hamar", municipalities=[], actor=None, now=clock())


def test_regions_and_municipalities_are_found_by_name_or_refused_listing_those_there_are(db, clock):
    with pytest.raises(service.PlaceRefused, match="There is no region solor, nor any other yet."):
        service.named_region(db, "solor")
    set_up(db, clock)
    set_up(db, clock, slug="hamar", name="Hamar", municipalities=["Hamar"])
    with pytest.raises(service.PlaceRefused, match="There is no region oslo. The regions are: hamar, solor."):
        service.named_region(db, "oslo")
    region = service.named_region(db, "solor")
    assert service.named_municipality(region, "åsnes").name == "Åsnes"
    with pytest.raises(service.PlaceRefused) as refused:
        service.named_municipality(region, "Hamar")
    assert str(refused.value).startswith("Solør has no municipality Hamar. Its municipalities are: ")
    assert all(name in str(refused.value) for name in ("Grue", "Åsnes", "Våler"))
