import httpx

from recruiting_platform import (
    Candidate,
    Channel,
    Message,
    OnBehalfOf,
    PlatformClient,
    PostMessageBody,
    Role,
    User,
    UserToken,
)

ANDREAS = OnBehalfOf(1)
EMAIL = 100
MILAN = 1001


async def test_user_token_and_on_behalf_of_identify_their_users(platform: PlatformClient) -> None:
    me = await platform.get_me(UserToken("tok-andreas"))
    assert me == User(id=1, firstName="Andreas", lastName="Berg", email="andreas.berg@example.com")
    assert (await platform.get_me(OnBehalfOf(2))).firstName == "Bea"


async def test_roles_parse_and_are_scoped_to_the_user(platform: PlatformClient) -> None:
    roles = await platform.list_roles(ANDREAS)
    assert [role.id for role in roles] == [10, 11, 12]
    assert all(isinstance(role, Role) for role in roles)
    role = await platform.get_role(OnBehalfOf(2), 20)
    assert role.title == "Data Scientist"


async def test_candidates_parse_with_optional_addresses(platform: PlatformClient) -> None:
    candidates = {c.id: c for c in await platform.list_candidates(ANDREAS, 10)}
    assert all(isinstance(c, Candidate) for c in candidates.values())
    assert candidates[1002].linkedin is None and candidates[1002].email
    assert candidates[1003].email is None and candidates[1003].linkedin
    assert candidates[MILAN].cv["headline"] == "Senior Software Engineer"
    assert len(await platform.list_candidates(ANDREAS, 12)) == 300


async def test_channels_parse(platform: PlatformClient) -> None:
    assert await platform.list_channels(ANDREAS) == [
        Channel(id=100, type="EMAIL", status="OK"),
        Channel(id=101, type="LINKEDIN", status="OK"),
    ]


async def test_posted_message_and_reply_read_back_as_typed_messages(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    posted = await platform.post_message(
        ANDREAS,
        channel_id=EMAIL,
        candidate_id=MILAN,
        body=PostMessageBody(body="Hi Milan", subject="Open to new opportunities?"),
    )
    await control.post(
        f"/_sim/candidates/{MILAN}/reply", json={"channelId": EMAIL, "deliverWebhook": False}
    )

    sent, answer = await platform.list_messages(ANDREAS, channel_id=EMAIL, candidate_id=MILAN)
    assert isinstance(sent, Message)
    assert (sent.id, sent.from_, sent.to) == (posted.messageId, 1, MILAN)
    assert sent.subject == "Open to new opportunities?"
    assert sent.sentAt is not None and sent.sentAt.utcoffset().total_seconds() == 0
    assert sent.openedAt is None
    assert (answer.from_, answer.to) == (MILAN, 1)


async def test_same_idempotency_key_returns_the_same_message_id(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    body = PostMessageBody(body="Hi", subject=None)
    ids = {
        (
            await platform.post_message(
                ANDREAS, channel_id=101, candidate_id=MILAN, body=body, idempotency_key="c1/n1"
            )
        ).messageId
        for _ in range(3)
    }
    assert len(ids) == 1
    assert len((await control.get("/_sim/messages")).json()) == 1


def test_message_accepts_from_by_alias_and_by_name() -> None:
    fields = {"id": 1, "to": 2, "body": "x", "subject": None, "sentAt": None, "openedAt": None}
    assert Message.model_validate({**fields, "from": 7}).from_ == 7
    assert Message(**fields, from_=7).model_dump(by_alias=True)["from"] == 7


def test_user_token_repr_hides_the_token() -> None:
    assert "tok-andreas" not in repr(UserToken("tok-andreas"))
