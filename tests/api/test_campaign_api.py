"""The public API over real HTTP: real app, Temporal (time-skipping), worker, simulator and
both databases."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx
from google.protobuf import json_format
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import workflow_id_for
from db.engine import SessionFactory
from db.models import Campaign
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import DATA_CONVERTER, SERVICE_TOKEN
from tests.support.campaigns import (
    ANDREAS,
    BRIEF_EXAMPLE,
    MILAN,
    NO_EMAIL,
    NO_LINKEDIN,
    ROLE_SWE,
    eventually,
    send_phase_is,
    sent_messages,
    sim_post,
)

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hello"}
    ]
}


async def _get_status(api: ApiStack, path: str = CAMPAIGN) -> str | None:
    async with api.client() as http:
        response = await http.get(path)
    return response.json()["status"] if response.status_code == 200 else None


async def _status_becomes(api: ApiStack, status: str, path: str = CAMPAIGN) -> bool:
    return await _get_status(api, path) == status


async def _count_campaigns(api: ApiStack, candidate_id: int = MILAN) -> int:
    async with api.sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Campaign)
                .where(Campaign.candidate_id == candidate_id)
            )
            or 0
        )


async def test_brief_example_end_to_end_put_sends_at_once_and_reply_stops_it(
    api: ApiStack,
) -> None:
    async with api.client() as http:
        response = await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["Location"] == CAMPAIGN
        assert body["status"] == "RUNNING" and body["created"] is True
        campaign_id = body["campaignId"]

        sent = await eventually(lambda: _sent_at_least(api.simulator, MILAN, 2))
        assert [m["channelId"] for m in sent] == [
            ANDREAS["linkedin_channel"],
            ANDREAS["email_channel"],
        ]

        reply = await sim_post(
            api.simulator,
            f"/_sim/candidates/{MILAN}/reply",
            {"channelId": ANDREAS["email_channel"]},
        )
        assert reply["webhook"]["delivered"] is True, reply
        assert reply["webhook"]["statusCode"] == 200

        await eventually(lambda: _status_becomes(api, "REPLIED"))
        view = (await http.get(CAMPAIGN)).json()
    assert view["campaignId"] == campaign_id
    assert view["endReason"] == "REPLIED"
    assert view["reply"]["channelId"] == ANDREAS["email_channel"]
    assert [s["status"] for s in view["steps"]] == [
        "SENT",
        "SENT",
        "NOT_SENT",
        "NOT_SENT",
        "NOT_SENT",
        "NOT_SENT",
    ]
    assert view["steps"][1]["subject"] == "Open to new opportunities?"
    assert view["steps"][2]["delaySeconds"] == 172800
    assert view["temporalUiUrl"].startswith("http://127.0.0.1:8233/namespaces/default/workflows/")
    assert len(await sent_messages(api.simulator, MILAN)) == 2
    # The user's token never enters the workflow's input or history (nor does ours).
    history = await api.services.temporal.get_workflow_handle(
        view["workflowId"], run_id=view["runId"]
    ).fetch_history()
    recorded = history.to_json()
    payloads = " ".join(await _decoded_payloads(json.loads(recorded)))
    assert "Milan" in payloads  # the decoding works: the messages themselves are there
    for secret in ("tok-andreas", SERVICE_TOKEN, "Bearer"):
        assert secret not in recorded and secret not in payloads


async def test_same_definition_again_answers_200_with_the_same_campaign(api: ApiStack) -> None:
    async with api.client() as http:
        first = await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)
        again = await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)
        await http.delete(CAMPAIGN)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["campaignId"] == first.json()["campaignId"]
    assert again.json()["created"] is False


async def test_different_definition_conflicts_unless_replace(api: ApiStack) -> None:
    async with api.client() as http:
        first = (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).json()
        conflict = await http.put(CAMPAIGN, json=ONE_EMAIL)
        assert conflict.status_code == 409
        error = conflict.json()["error"]
        assert error["code"] == "CAMPAIGN_ACTIVE"
        assert error["details"][0]["campaignId"] == first["campaignId"]

        replaced = await http.put(CAMPAIGN, params={"replace": "true"}, json=ONE_EMAIL)
        assert replaced.status_code == 201
        assert replaced.json()["campaignId"] != first["campaignId"]
        await http.delete(CAMPAIGN)
    async with api.sessions() as session:
        old = await session.get(Campaign, first["campaignId"])
        assert old is not None and old.status == "CANCELLED"


async def test_put_after_the_campaign_ended_starts_a_new_one(api: ApiStack) -> None:
    async with api.client() as http:
        first = (await http.put(CAMPAIGN, json=ONE_EMAIL)).json()
        await http.delete(CAMPAIGN)
        second = await http.put(CAMPAIGN, json=ONE_EMAIL)
        await http.delete(CAMPAIGN)
    assert second.status_code == 201
    assert second.json()["campaignId"] != first["campaignId"]


async def test_invalid_definition_is_422_naming_node_and_field_and_starts_nothing(
    api: ApiStack,
) -> None:
    before = await _count_campaigns(api)
    bad = copy.deepcopy(BRIEF_EXAMPLE)
    bad["nodes"][2]["delaySeconds"] = -5
    bad["nodes"][3]["channel"] = "FAX"
    del bad["nodes"][1]["subject_line"]
    async with api.client() as http:
        response = await http.put(CAMPAIGN, json=bad)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_DEFINITION"
    problems = {(d["nodeId"], d["field"]) for d in error["details"]}
    assert {(2, "subject_line"), (3, "delaySeconds"), (4, "channel")} <= problems
    assert "allowed: LINKEDIN_MESSAGE" in error["message"]
    assert await _count_campaigns(api) == before
    assert await sent_messages(api.simulator, MILAN) == []


async def test_non_json_and_empty_bodies_are_422(api: ApiStack) -> None:
    async with api.client() as http:
        not_json = await http.put(
            CAMPAIGN, content=b"nodes", headers={"Content-Type": "text/plain"}
        )
        empty = await http.put(CAMPAIGN, json={"nodes": []})
    assert not_json.status_code == 422
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "nodes"


async def test_missing_or_rejected_token_is_401(api: ApiStack) -> None:
    async with api.client(token=None) as anonymous, api.client(token="stolen") as wrong:
        for http in (anonymous, wrong):
            for method in ("GET", "PUT", "DELETE"):
                response = await http.request(method, CAMPAIGN, json=BRIEF_EXAMPLE)
                assert response.status_code == 401
                assert response.json()["error"]["code"] == "UNAUTHORIZED"
            assert (await http.get(f"/role/{ROLE_SWE}/campaigns")).status_code == 401


async def test_users_never_see_or_change_each_others_campaigns(api: ApiStack) -> None:
    async with api.client() as andreas, api.client(token="tok-bea") as bea:
        (await andreas.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        for method in ("GET", "PUT", "DELETE"):
            response = await bea.request(method, CAMPAIGN, json=BRIEF_EXAMPLE)
            assert response.status_code == 404, (method, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
        assert (await bea.get(f"/role/{ROLE_SWE}/campaigns")).status_code == 404
        # Bea's own role does not list Andreas's candidates either.
        own = await bea.get("/role/20/campaigns")
        assert own.status_code == 200
        assert MILAN not in {row["candidateId"] for row in own.json()["items"]}
        assert await _get_status(api) == "RUNNING"
        await andreas.delete(CAMPAIGN)


async def test_candidate_outside_the_role_is_404(api: ApiStack) -> None:
    async with api.client() as http:
        response = await http.put("/role/11/candidate/1001/campaign", json=ONE_EMAIL)
    assert response.status_code == 404


async def test_twenty_concurrent_puts_start_exactly_one_campaign(api: ApiStack) -> None:
    before = await _count_campaigns(api)
    async with api.client() as http:
        responses = await asyncio.gather(
            *(http.put(CAMPAIGN, json=BRIEF_EXAMPLE) for _ in range(20))
        )
        statuses = sorted(r.status_code for r in responses)
        ids = {r.json()["campaignId"] for r in responses}
        await eventually(lambda: _sent_at_least(api.simulator, MILAN, 2))
        await http.delete(CAMPAIGN)
    assert statuses == [200] * 19 + [201]
    assert len(ids) == 1
    assert await _count_campaigns(api) == before + 1
    assert len(await sent_messages(api.simulator, MILAN)) == 2


async def test_delete_cancels_and_repeating_it_is_harmless(api: ApiStack) -> None:
    async with api.client() as http:
        started = (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).json()
        first = await http.delete(CAMPAIGN)
        again = await http.delete(CAMPAIGN)
        view = (await http.get(CAMPAIGN)).json()
        never = await http.delete(f"/role/{ROLE_SWE}/candidate/{NO_LINKEDIN}/campaign")
    assert first.status_code == 200
    assert first.json() == {
        "campaignId": started["campaignId"],
        "status": "CANCELLED",
        "cancelled": True,
    }
    assert again.status_code == 200 and again.json()["cancelled"] is False
    assert again.json()["status"] == "CANCELLED"
    assert view["status"] == "CANCELLED" and view["endReason"] == "CANCELLED"
    assert never.status_code == 404


async def test_a_cancel_that_outlasts_the_wait_answers_202_and_the_campaign_still_ends(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> None:
    # The platform takes 3 s to accept a post, and a cancel waits for a post under way to
    # finish (so the campaign knows whether it was sent): longer than CANCEL_WAIT_SECONDS.
    await sim_post(simulator, "/_sim/faults", {"latencyMs": 3000}, "PUT")
    async with (
        api_stack_on(
            dev_temporal_env.client, database_url, simulator, task_queue, sessions,
            cancel_wait_seconds=0.5,
        ) as api,
        api.client() as http,
    ):  # fmt: skip
        started = (await http.put(CAMPAIGN, json=ONE_EMAIL)).json()
        handle = dev_temporal_env.client.get_workflow_handle(workflow_id_for(MILAN))
        await eventually(lambda: send_phase_is(dev_temporal_env, handle, "posting"))
        cancel = await http.delete(CAMPAIGN)

        assert cancel.status_code == 202, cancel.text
        assert cancel.json() == {
            "campaignId": started["campaignId"],
            "status": "CANCELLING",
            "cancelled": True,
        }
        await eventually(lambda: _status_becomes(api, "CANCELLED"))
    # The post under way was finished, not abandoned: the candidate has it, once.
    assert len(await sent_messages(simulator, MILAN)) == 1


async def test_role_overview_lists_every_candidate_filters_and_paginates(api: ApiStack) -> None:
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        await eventually(lambda: _sent_at_least(api.simulator, MILAN, 2))
        # The read model has caught up with the first delay (recorded after the second send).
        await eventually(lambda: _step_is(api, 2, "IN_PROGRESS"))

        everything = (await http.get(f"/role/{ROLE_SWE}/campaigns")).json()
        running = (
            await http.get(f"/role/{ROLE_SWE}/campaigns", params={"status": "RUNNING"})
        ).json()
        none = (await http.get(f"/role/{ROLE_SWE}/campaigns", params={"status": "NONE"})).json()
        first_page = (await http.get(f"/role/{ROLE_SWE}/campaigns", params={"limit": 2})).json()
        second_page = (
            await http.get(
                f"/role/{ROLE_SWE}/campaigns",
                params={"limit": 2, "cursor": first_page["nextCursor"]},
            )
        ).json()
        bad_cursor = await http.get(f"/role/{ROLE_SWE}/campaigns", params={"cursor": "nope"})
        await http.delete(CAMPAIGN)

    by_id = {row["candidateId"]: row for row in everything["items"]}
    assert {MILAN, NO_LINKEDIN, NO_EMAIL} <= set(by_id)
    milan = by_id[MILAN]
    assert milan["status"] == "RUNNING"
    assert (milan["stepsTotal"], milan["stepsSent"], milan["stepsDone"]) == (6, 2, 2)
    assert milan["stepStatuses"] == ["SENT", "SENT", "IN_PROGRESS", "PENDING", "PENDING", "PENDING"]
    assert milan["lastAction"] == "Email (Gmail) sent"
    assert milan["nextAction"] == "Send Email (Gmail)"
    assert by_id[NO_EMAIL]["hasEmail"] is False and by_id[NO_EMAIL]["status"] == "NONE"
    assert [row["candidateId"] for row in running["items"]] == [MILAN]
    assert MILAN not in {row["candidateId"] for row in none["items"]}
    paged = [r["candidateId"] for r in first_page["items"] + second_page["items"]]
    assert paged == [r["candidateId"] for r in everything["items"]][:4]
    assert bad_cursor.status_code == 422


async def test_reply_webhook_checks_signature_and_age(api: ApiStack) -> None:
    from tests.api.conftest import signed

    payload = {"candidateId": MILAN, "channelId": 100, "userId": 1, "messageId": 5}
    async with httpx.AsyncClient(base_url=api.url) as http:
        unsigned = await http.post("/webhooks/reply", json=payload)
        wrong_key = await http.post("/webhooks/reply", **signed(payload, secret="guess"))
        too_old = await http.post("/webhooks/reply", **signed(payload, age=3600))
        ignored = await http.post("/webhooks/reply", **signed(payload))
        garbage = await http.post("/webhooks/reply", **signed({"candidateId": "x"}))
    for rejected in (unsigned, wrong_key, too_old):
        assert rejected.status_code == 401
        assert rejected.json()["error"]["code"] == "BAD_SIGNATURE"
    assert ignored.status_code == 200
    assert ignored.json()["outcome"] == "IGNORED_NO_RUNNING_CAMPAIGN"
    assert garbage.status_code == 422


async def test_reply_webhook_for_another_users_candidate_campaign_is_ignored(
    api: ApiStack,
) -> None:
    from tests.api.conftest import signed

    async with api.client() as http:
        (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        forged = {"candidateId": MILAN, "channelId": 200, "userId": 2, "messageId": 5}
        async with httpx.AsyncClient(base_url=api.url) as hook:
            response = await hook.post("/webhooks/reply", **signed(forged))
        assert response.json()["outcome"] == "IGNORED_NO_RUNNING_CAMPAIGN"
        assert await _get_status(api) == "RUNNING"
        await http.delete(CAMPAIGN)


async def test_channel_webhook_resumes_campaigns_waiting_for_that_channel(
    api: ApiStack,
) -> None:
    linkedin = ANDREAS["linkedin_channel"]
    await sim_post(
        api.simulator,
        f"/_sim/channels/{linkedin}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        await eventually(lambda: _status_becomes(api, "WAITING_FOR_CHANNEL"))
        view = (await http.get(CAMPAIGN)).json()
        assert view["waitingReason"] == "LinkedIn logged out — reconnect"
        assert view["steps"][0]["status"] == "WAITING_FOR_CHANNEL"

        changed = await sim_post(
            api.simulator, f"/_sim/channels/{linkedin}/status", {"status": "OK"}, method="PUT"
        )
        assert changed["webhook"]["statusCode"] == 200
        await eventually(lambda: _sent_at_least(api.simulator, MILAN, 2))
        await eventually(lambda: _status_becomes(api, "RUNNING"))
        await http.delete(CAMPAIGN)


async def test_openapi_documents_the_brief_example_and_error_shape(api: ApiStack) -> None:
    async with httpx.AsyncClient(base_url=api.url) as http:
        spec = (await http.get("/openapi.json")).json()
        docs = await http.get("/docs")
    put = spec["paths"]["/role/{roleId}/candidate/{candidateId}/campaign"]["put"]
    example = put["requestBody"]["content"]["application/json"]["examples"]["brief"]["value"]
    assert [n["type"] for n in example["nodes"]] == [
        "message",
        "message",
        "delay-step",
        "message",
        "delay-step",
        "message",
    ]
    assert {"200", "201", "401", "404", "409", "422", "503"} <= set(put["responses"])
    assert put["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorResponse"
    )
    assert docs.status_code == 200


async def test_health_and_readiness(api: ApiStack) -> None:
    async with httpx.AsyncClient(base_url=api.url) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "temporal": "ok"}


# --- helpers -------------------------------------------------------------------------------


async def _decoded_payloads(node: Any) -> list[str]:
    """Every payload's data in a history's JSON, decrypted with the tests' keys."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("data"), str) and "metadata" in node:
            [payload] = await DATA_CONVERTER.payload_codec.decode(
                [json_format.ParseDict(node, Payload())]
            )
            found.append(payload.data.decode(errors="replace"))
        for value in node.values():
            found.extend(await _decoded_payloads(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(await _decoded_payloads(value))
    return found


async def _sent_at_least(simulator: str, candidate_id: int, count: int) -> list[dict[str, Any]]:
    sent = await sent_messages(simulator, candidate_id)
    return sent if len(sent) >= count else []


async def _step_is(api: ApiStack, position: int, status: str) -> bool:
    async with api.client() as http:
        view = (await http.get(CAMPAIGN)).json()
    return view.get("steps", [{}] * (position + 1))[position].get("status") == status


_CAMPAIGNS = "campaign_executor_campaigns"


async def test_metrics_count_campaigns_by_status_without_auth(api: ApiStack) -> None:
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        text = (await anonymous.get("/metrics")).text
    async with api.client() as http:
        await http.delete(CAMPAIGN)
    (campaigns,) = [f for f in text_string_to_metric_families(text) if f.name == _CAMPAIGNS]
    by_status = {sample.labels["status"]: sample.value for sample in campaigns.samples}
    assert by_status["RUNNING"] >= 1
    assert by_status["REPLIED"] == 0


async def test_candidate_sourced_by_two_users_runs_one_campaign_and_hides_it_from_the_other(
    api: ApiStack,
) -> None:
    shared = 1008  # in Andreas's role 11 and Bea's role 20
    async with api.client() as andreas, api.client(token="tok-bea") as bea:
        started = await andreas.put(f"/role/11/candidate/{shared}/campaign", json=ONE_EMAIL)
        assert started.status_code == 201
        for params in ({}, {"replace": "true"}):
            refused = await bea.put(
                f"/role/20/candidate/{shared}/campaign", params=params, json=ONE_EMAIL
            )
            assert refused.status_code == 409
            assert refused.json()["error"]["code"] == "CANDIDATE_BUSY"
            assert "details" not in refused.json()["error"]  # nothing about Andreas's campaign
        assert (await bea.get(f"/role/20/candidate/{shared}/campaign")).status_code == 404
        await andreas.delete(f"/role/11/candidate/{shared}/campaign")


async def test_replace_moves_a_candidate_between_the_users_own_roles(api: ApiStack) -> None:
    both_roles = 1006  # in Andreas's roles 10 and 11
    async with api.client() as http:
        first = await http.put(f"/role/10/candidate/{both_roles}/campaign", json=ONE_EMAIL)
        conflict = await http.put(f"/role/11/candidate/{both_roles}/campaign", json=ONE_EMAIL)
        replaced = await http.put(
            f"/role/11/candidate/{both_roles}/campaign", params={"replace": "true"}, json=ONE_EMAIL
        )
        old = (await http.get(f"/role/10/candidate/{both_roles}/campaign")).json()
        await http.delete(f"/role/11/candidate/{both_roles}/campaign")
    assert first.status_code == 201
    assert conflict.status_code == 409
    assert conflict.json()["error"]["details"] == [
        {"campaignId": first.json()["campaignId"], "roleId": 10}
    ]
    assert replaced.status_code == 201
    assert old["status"] == "CANCELLED"
