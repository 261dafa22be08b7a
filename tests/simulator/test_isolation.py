import httpx


def test_each_user_lists_only_their_own_roles_and_channels(
    andreas: httpx.Client, bea: httpx.Client
) -> None:
    assert [role["id"] for role in andreas.get("/role").json()] == [10, 11, 12]
    assert [role["id"] for role in bea.get("/role").json()] == [20]
    assert andreas.get("/channel").json() == [
        {"id": 100, "type": "EMAIL", "status": "OK"},
        {"id": 101, "type": "LINKEDIN", "status": "OK"},
    ]
    assert [channel["id"] for channel in bea.get("/channel").json()] == [200, 201]


def test_another_users_role_does_not_exist(bea: httpx.Client) -> None:
    for path in ("/role/10", "/role/10/candidate"):
        response = bea.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "NOT_FOUND"


def test_own_role_and_its_candidates_are_visible(andreas: httpx.Client) -> None:
    role = andreas.get("/role/10").json()
    assert role["title"] == "Software Engineer with Startup Experience"
    candidates = {c["id"]: c for c in andreas.get("/role/10/candidate").json()}
    assert {1001, 1002, 1003, 1006} <= candidates.keys()
    assert candidates[1002]["linkedin"] is None
    assert candidates[1003]["email"] is None
    assert set(candidates[1001]) == {"id", "firstName", "lastName", "email", "linkedin", "cv"}


def test_posting_through_another_users_channel_is_not_found(bea: httpx.Client) -> None:
    response = bea.post("/channel/100/chat/2001/message", json={"body": "Hi", "subject": None})
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_posting_to_another_users_candidate_is_not_found(bea: httpx.Client) -> None:
    response = bea.post("/channel/200/chat/1001/message", json={"body": "Hi", "subject": None})
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_reading_another_users_chat_is_not_found(andreas: httpx.Client, bea: httpx.Client) -> None:
    andreas.post("/channel/100/chat/1001/message", json={"body": "Hi", "subject": "s"})
    assert bea.get("/channel/100/chat/1001/message").status_code == 404
