def test_the_front_page_sends_a_visitor_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_a_parent_logs_in_and_sees_the_nights(world, login, client):
    login(world.parent)
    page = client.get("/nights")
    assert page.status_code == 200
    assert "Flisa sentrum" in page.text
