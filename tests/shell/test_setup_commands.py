"""The setup commands, run as the real `natteravn` program: each can run again and then changes
nothing and says so; bad input is refused with a sentence, a non-zero exit and nothing stored."""

from __future__ import annotations

import pytest

from tests.shell import program


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """One upgraded database for the module; the tests use regions and numbers of their own."""
    folder = tmp_path_factory.mktemp("setup")
    with program.fresh_database(folder, "natteravn_setup") as url:
        upgraded = program.run(url, folder, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        yield url, folder
        assert program.unlabelled_audit_entries(url) == []


@pytest.fixture
def natteravn(database):
    url, folder = database

    def run(*argv: str):
        return program.run(url, folder, *argv)

    return run


@pytest.fixture
def query(database):
    return lambda sql: program.query(database[0], sql)


def ok(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def refused(result) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()[-1]


def test_a_region_is_created_then_found_then_given_one_more_municipality(natteravn, query):
    create = ["region", "create", "--slug", "solor", "--name", "Solør"]
    three = ["--municipality", "Grue", "--municipality", "Åsnes", "--municipality", "Våler"]
    assert ok(natteravn(*create, *three)) == [
        "Created region solor: Solør (time zone Europe/Oslo).",
        "Added municipality Grue to solor.",
        "Added municipality Åsnes to solor.",
        "Added municipality Våler to solor.",
    ]
    assert ok(natteravn(*create, *three)) == [
        "Region solor already exists: Solør (time zone Europe/Oslo).",
        "Municipality Grue is already in solor.",
        "Municipality Åsnes is already in solor.",
        "Municipality Våler is already in solor.",
        "Nothing changed.",
    ]
    assert (
        ok(natteravn(*create, *three, "--municipality", "Kongsvinger"))[1] == "Added municipality Kongsvinger to solor."
    )
    names = query("SELECT m.name FROM municipality m JOIN region r ON r.id = m.region_id WHERE r.slug = 'solor'")
    assert sorted(name for (name,) in names) == ["Grue", "Kongsvinger", "Våler", "Åsnes"]
    actors = query(
        "SELECT DISTINCT actor_id FROM audit_event WHERE action LIKE 'region.%' OR action LIKE 'municipality.%'"
    )
    assert actors == [(None,)]


def test_municipalities_given_in_one_option_are_refused_for_an_existing_region_too(natteravn, query):
    create = ["region", "create", "--slug", "vest-telemark", "--name", "Vest-Telemark", "--municipality", "Tokke"]
    assert ok(natteravn(*create))
    said = refused(natteravn(*create, "--municipality", "Kviteseid, Seljord"))
    assert said.endswith("Give each municipality its own --municipality: Kviteseid and Seljord are 2 municipalities.")
    names = query(
        "SELECT m.name FROM municipality m JOIN region r ON r.id = m.region_id WHERE r.slug = 'vest-telemark'"
    )
    assert names == [("Tokke",)]


def test_a_region_is_renamed_only_when_asked(natteravn, query):
    assert ok(natteravn("region", "create", "--slug", "odal", "--name", "Odal", "--timezone", "Europe/Oslo"))
    message = refused(natteravn("region", "create", "--slug", "odal", "--name", "Odalen"))
    assert message.endswith("The region odal is called Odal, not Odalen. Add --rename to call it Odalen.")
    assert ok(natteravn("region", "create", "--slug", "odal", "--name", "Odalen", "--rename")) == [
        "Renamed region odal from Odal to Odalen."
    ]
    assert query("SELECT name FROM region WHERE slug = 'odal'") == [("Odalen",)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--slug", "Hamar", "--name", "Hamar"], "Invalid value for --slug: The short name Hamar will not do"),
        (["--slug", "hamar", "--name", ""], "Invalid value for --name: Write the region's name."),
        (
            ["--slug", "hamar", "--name", "Hamar", "--municipality", "Hamar", "--municipality", "HAMAR"],
            "Invalid value for --municipality: The municipality HAMAR is named twice.",
        ),
        (
            ["--slug", "hamar", "--name", "Hamar", "--municipality", "Hamar, Stange; Løten"],
            "Invalid value for --municipality: Give each municipality its own --municipality: "
            "Hamar, Stange and Løten are 3 municipalities.",
        ),
        (
            ["--slug", "hamar", "--name", "Hamar", "--municipality", "Hamar,"],
            "Invalid value for --municipality: A municipality's name has no comma or semicolon.",
        ),
        (
            ["--slug", "hamar", "--name", "Hamar", "--timezone", "Europe/Hamar"],
            "Invalid value for --timezone: Europe/Hamar is not a time zone. Write one like Europe/Oslo.",
        ),
    ],
)
def test_bad_region_input_is_refused_and_nothing_is_made(natteravn, query, argv, message):
    assert message in refused(natteravn("region", "create", *argv))
    assert query("SELECT slug FROM region WHERE slug LIKE 'ha%'") == []


@pytest.fixture(scope="module")
def kongsvinger(database):
    """A region of its own for the coordinator tests."""
    url, folder = database
    glamdal = ["region", "create", "--slug", "glamdal", "--name", "Glåmdal"]
    ok(program.run(url, folder, *glamdal, "--municipality", "Kongsvinger", "--municipality", "Eidskog"))


def test_a_coordinator_is_registered_granted_and_granted_again_without_change(natteravn, query, kongsvinger):
    grant = ["coordinator", "grant", "--region", "glamdal", "--phone", "+47 900 00 011", "--name", "Kari Koordinator"]
    assert ok(natteravn(*grant)) == [
        "Registered Kari Koordinator (+4790000011); they answer the first-time questions when they first log in.",
        "Kari Koordinator (+4790000011) is now coordinator of the whole of Glåmdal.",
    ]
    assert ok(natteravn(*grant)) == [
        "Found Kari Koordinator (+4790000011).",
        "Kari Koordinator (+4790000011) is already coordinator of the whole of Glåmdal.",
        "Nothing changed.",
    ]
    assert ok(natteravn(*grant, "--municipality", "eidskog"))[1] == (
        "Kari Koordinator (+4790000011) already coordinates the whole of Glåmdal."
    )
    rows = query("SELECT p.name, r.kind, r.municipality_id FROM role r JOIN person p ON p.id = r.person_id")
    assert ("Kari Koordinator", "COORDINATOR", None) in rows
    assert query("SELECT conduct_accepted_at, municipality_id FROM person WHERE phone = '+4790000011'") == [
        (None, None)
    ]
    (told,) = query("SELECT body FROM sms_message WHERE purpose = 'COORDINATOR' AND \"to\" = '+4790000011'")
    assert "Glåmdal" in told[0] and told[0].endswith("/login")  # told once, granted twice


def test_a_coordinator_of_one_municipality_is_granted_and_revoked(natteravn, query, kongsvinger):
    grant = ["coordinator", "grant", "--region", "glamdal", "--phone", "90000012", "--name", "Kai"]
    assert ok(natteravn(*grant, "--municipality", "Eidskog"))[1] == (
        "Kai (+4790000012) is now coordinator of Eidskog in Glåmdal."
    )
    revoke = ["coordinator", "revoke", "--region", "glamdal", "--phone", "+4790000012"]
    assert ok(natteravn(*revoke)) == [
        "Kai (+4790000012) is not coordinator of the whole of Glåmdal.",
        "Nothing changed.",
    ]
    assert ok(natteravn(*revoke, "--municipality", "Eidskog")) == [
        "Kai (+4790000012) is no longer coordinator of Eidskog in Glåmdal."
    ]
    assert ok(natteravn(*revoke, "--municipality", "Eidskog"))[-1] == "Nothing changed."
    assert query("SELECT r.id FROM role r JOIN person p ON p.id = r.person_id WHERE p.phone = '+4790000012'") == []
    actions = query("SELECT action FROM audit_event WHERE object_type = 'person' ORDER BY id")
    assert [a for (a,) in actions][-3:] == [
        "person.registered",
        "person.coordinator_granted",
        "person.coordinator_revoked",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["grant", "--region", "nowhere", "--phone", "90000013", "--name", "Nils"],
            "Invalid value for --region: There is no region nowhere. The regions are: ",
        ),
        (
            ["grant", "--region", "glamdal", "--phone", "90000013", "--name", "Nils", "--municipality", "Oslo"],
            "Invalid value for --municipality: Glåmdal has no municipality Oslo. Its municipalities are: ",
        ),
        (
            ["grant", "--region", "glamdal", "--phone", "12345", "--name", "Nils"],
            "Invalid value for --phone: That is not a valid phone number.",
        ),
        (
            ["grant", "--region", "glamdal", "--phone", "90000013"],
            "Invalid value for --name: Nobody has this number yet: write their name.",
        ),
        (
            ["revoke", "--region", "glamdal", "--phone", "90000013"],
            "Invalid value for --phone: Nobody is registered with the number +4790000013.",
        ),
        (
            ["revoke", "--region", "glamdal", "--phone", "90000011", "--municipality", "Åsnes"],
            "Invalid value for --municipality: Glåmdal has no municipality Åsnes.",
        ),
    ],
)
def test_bad_coordinator_input_is_refused_and_nothing_is_made(natteravn, query, kongsvinger, argv, message):
    said = refused(natteravn("coordinator", *argv))
    assert message in said
    assert query("SELECT id FROM person WHERE phone = '+4790000013'") == []
    if "The regions are: " in said:
        assert "glamdal" in said.split("The regions are: ")[1]
    if "Its municipalities are: " in said:
        assert {"Eidskog", "Kongsvinger"} == set(said.split("Its municipalities are: ")[1].rstrip(".").split(", "))


def test_an_administrator_is_granted_and_revoked_once(natteravn, query):
    grant = ["admin", "grant", "--phone", "90000021", "--name", "Anne Admin"]
    assert ok(natteravn(*grant)) == [
        "Registered Anne Admin (+4790000021).",
        "Anne Admin (+4790000021) is now administrator.",
    ]
    assert ok(natteravn(*grant))[-1] == "Nothing changed."
    assert query(
        "SELECT r.kind, r.region_id FROM role r JOIN person p ON p.id = r.person_id WHERE p.phone = '+4790000021'"
    ) == [("ADMIN", None)]
    assert ok(natteravn("admin", "revoke", "--phone", "90000021")) == [
        "Anne Admin (+4790000021) is no longer administrator."
    ]
    assert ok(natteravn("admin", "revoke", "--phone", "90000021")) == [
        "Anne Admin (+4790000021) is not administrator.",
        "Nothing changed.",
    ]
    assert "Nobody has this number yet" in refused(natteravn("admin", "grant", "--phone", "90000022"))
    assert "Nobody is registered" in refused(natteravn("admin", "revoke", "--phone", "90000022"))
