"""The plan API as a pane uses it: create, read, revise, versions, diffs, isolation."""

from __future__ import annotations

import copy
import json
import threading

import pytest

from addin_server import create_app

pytestmark = pytest.mark.both_databases


def _create(client, plan, user=None):
    headers = {"X-Dev-User": user} if user else {}
    return client.post("/api/plans", json=plan, headers=headers)


def _put(client, plan_id, plan, version, user=None):
    headers = {"If-Match": f'"{version}"'}
    if user:
        headers["X-Dev-User"] = user
    return client.put(f"/api/plans/{plan_id}", json=plan, headers=headers)


def _strip_ids(plan: dict) -> dict:
    plan = copy.deepcopy(plan)
    for key in ("milestones", "stakeholders"):
        for item in plan.get(key) or []:
            item.pop("id", None)
    return plan


@pytest.mark.parametrize("name", ["plan-onboarding", "plan-logistics-de", "plan-weak"])
def test_each_example_round_trips_exactly(client, backend, examples, name):
    created = _create(client, examples[name])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["version"] == 1
    assert created.headers["ETag"] == '"1"'
    assert created.headers["Location"].endswith(f"/api/plans/{body['id']}")
    fetched = client.get(f"/api/plans/{body['id']}").get_json()
    assert _strip_ids(fetched["plan"]) == examples[name]
    assert fetched["plan"] == body["plan"]
    assert all(m["id"] for m in fetched["plan"]["milestones"])
    raw = client.get(f"/api/plans/{body['id']}").get_data(as_text=True)
    if name == "plan-logistics-de":
        assert "Müller & Söhne" in raw  # non-ASCII kept as written, not escaped


def test_given_ids_are_kept(client, backend, examples):
    plan = copy.deepcopy(examples["plan-onboarding"])
    plan["milestones"][0]["id"] = "kickoff-1"
    body = _create(client, plan).get_json()
    assert body["plan"]["milestones"][0]["id"] == "kickoff-1"


BAD_INPUTS = [
    ("unknown top-level field", lambda p: p.update(colour="red"), "/colour"),
    ("unknown nested field", lambda p: p["customer"].update(size=3), "/customer/size"),
    ("wrong type", lambda p: p.update(challenges="many"), "/challenges"),
    ("wrong nested type", lambda p: p["milestones"][1].update(name=5), "/milestones/1/name"),
    ("bad date format", lambda p: p["milestones"][2].update(date="08/02/2027"),
     "/milestones/2/date"),
    ("impossible date", lambda p: p["milestones"][2].update(date="2027-02-30"),
     "/milestones/2/date"),
    ("bad owner enum", lambda p: p["milestones"][0].update(owner="vendor"),
     "/milestones/0/owner"),
    ("bad kind enum", lambda p: p["milestones"][0].update(kind="party"), "/milestones/0/kind"),
    ("bad status enum", lambda p: p["milestones"][0].update(status="late"),
     "/milestones/0/status"),
    ("bad stakeholder side", lambda p: p["stakeholders"][0].update(side="them"),
     "/stakeholders/0/side"),
    ("bad role", lambda p: p["stakeholders"][0].update(role="boss"), "/stakeholders/0/role"),
    ("missing organization", lambda p: p["customer"].pop("organization"),
     "/customer/organization"),
    ("missing outcome", lambda p: p.pop("desired_outcome"), "/desired_outcome"),
    ("missing milestones", lambda p: p.pop("milestones"), "/milestones"),
    ("no milestone", lambda p: p.update(milestones=[]), "/milestones"),
    ("milestone without date", lambda p: p["milestones"][3].pop("date"), "/milestones/3/date"),
    ("bad next meeting date", lambda p: p["next_meeting"].update(date="soon"),
     "/next_meeting/date"),
    ("duplicate milestone id", lambda p: [m.update(id="same") for m in p["milestones"][:2]],
     "/milestones/1/id"),
]


@pytest.mark.parametrize("case,mutate,field", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_plan_is_refused_naming_the_field(client, backend, examples, case, mutate, field):
    plan = copy.deepcopy(examples["plan-onboarding"])
    mutate(plan)
    response = _create(client, plan)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid"
    assert body["field"] == field
    assert field in body["message"]
    assert client.get("/api/plans").get_json() == []  # nothing stored


def test_body_that_is_not_json_is_a_clear_400(client, backend):
    response = client.post("/api/plans", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"] == "The body is not valid JSON."
    response = client.post("/api/plans", data="plain", content_type="text/plain")
    assert response.status_code == 400
    assert "application/json" in response.get_json()["message"]
    response = client.post("/api/plans", json=[1, 2])
    assert response.status_code == 422


def test_oversized_request_gets_413_naming_the_limit(client, backend, examples):
    plan = copy.deepcopy(examples["plan-onboarding"])
    plan["notes"] = "x" * (3 * 1024 * 1024)
    response = _create(client, plan)
    assert response.status_code == 413
    assert "2,097,152 bytes" in response.get_json()["message"]


def test_put_makes_a_new_version_and_keeps_the_old_one(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    plan = created["plan"]
    plan["milestones"][4]["date"] = "2027-04-12"
    response = _put(client, created["id"], plan, 1)
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"2"'
    assert response.get_json()["version"] == 2
    v1 = client.get(f"/api/plans/{created['id']}/versions/1").get_json()
    assert v1["plan"]["milestones"][4]["date"] == "2027-03-22"
    v2 = client.get(f"/api/plans/{created['id']}/versions/2").get_json()
    assert v2["plan"]["milestones"][4]["date"] == "2027-04-12"
    versions = client.get(f"/api/plans/{created['id']}/versions").get_json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["source"] == "seller_edit"
    assert versions[1]["author"] == "demo@localhost"


def test_put_with_a_stale_version_is_412_and_loses_nothing(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    plan = created["plan"]
    plan["title"] = "First edit"
    assert _put(client, created["id"], plan, 1).status_code == 200
    plan["title"] = "Second edit on a stale base"
    stale = _put(client, created["id"], plan, 1)
    assert stale.status_code == 412
    assert stale.get_json()["error"] == "stale_version"
    assert "latest is version 2" in stale.get_json()["message"]
    current = client.get(f"/api/plans/{created['id']}").get_json()
    assert current["version"] == 2 and current["plan"]["title"] == "First edit"


def test_put_without_if_match_is_428(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    response = client.put(f"/api/plans/{created['id']}", json=created["plan"])
    assert response.status_code == 428
    assert response.get_json()["field"] == "If-Match"
    garbled = client.put(f"/api/plans/{created['id']}", json=created["plan"],
                         headers={"If-Match": "yesterday"})
    assert garbled.status_code == 400


def test_put_with_bad_plan_is_422_and_keeps_the_version(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    plan = created["plan"]
    plan["milestones"][0]["owner"] = "nobody"
    assert _put(client, created["id"], plan, 1).status_code == 422
    assert client.get(f"/api/plans/{created['id']}").get_json()["version"] == 1


def test_ten_threads_racing_on_one_version_give_exactly_one_success(app, backend, examples):
    client = app.test_client()
    created = _create(client, examples["plan-onboarding"]).get_json()
    results = []
    barrier = threading.Barrier(10)

    def edit(n):
        plan = copy.deepcopy(created["plan"])
        plan["title"] = f"Edit {n}"
        barrier.wait()
        results.append((n, _put(app.test_client(), created["id"], plan, 1).status_code))

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for _, code in results)
    assert codes == [200] + [412] * 9
    winner = next(n for n, code in results if code == 200)
    versions = client.get(f"/api/plans/{created['id']}/versions").get_json()
    assert [v["version"] for v in versions] == [1, 2]
    assert client.get(f"/api/plans/{created['id']}").get_json()["plan"]["title"] == f"Edit {winner}"


def test_diff_between_arbitrary_versions_lists_labelled_field_changes(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    plan, plan_id = created["plan"], created["id"]
    plan["milestones"][4]["date"] = "2027-04-12"  # v2
    _put(client, plan_id, plan, 1)
    plan["milestones"][5]["owner"] = "joint"  # v3
    _put(client, plan_id, plan, 2)
    plan["impact"]["kpis"][0]["target"] = "under 21 days"  # v4
    _put(client, plan_id, plan, 3)

    diff = client.get(f"/api/plans/{plan_id}/diff?from=1&to=4").get_json()
    assert diff["from"] == 1 and diff["to"] == 4
    changes = {(c["path"], c["label"], c["old"], c["new"]) for c in diff["changes"]}
    assert changes == {
        ("/milestones/4/date", "Go-live · date", "2027-03-22", "2027-04-12"),
        ("/milestones/5/owner", "Team enablement · owner", "seller", "joint"),
        ("/impact/kpis/0/target",
         "KPI Days from signed contract to first booked patient · target",
         "under 28 days", "under 21 days"),
    }
    backwards = client.get(f"/api/plans/{plan_id}/diff?from=3&to=2").get_json()
    assert [(c["old"], c["new"]) for c in backwards["changes"]] == [("joint", "seller")]
    same = client.get(f"/api/plans/{plan_id}/diff?from=2&to=2").get_json()
    assert same["changes"] == []
    missing = client.get(f"/api/plans/{plan_id}/diff?from=1&to=9")
    assert missing.status_code == 404
    assert client.get(f"/api/plans/{plan_id}/diff?from=1").status_code == 400


def test_diff_follows_milestones_by_id_when_one_is_inserted(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    plan = created["plan"]
    plan["milestones"].insert(1, {"name": "Security review", "kind": "custom",
                                  "date": "2027-01-18", "owner": "customer"})
    _put(client, created["id"], plan, 1)
    changes = client.get(f"/api/plans/{created['id']}/diff?from=1&to=2").get_json()["changes"]
    assert len(changes) == 1
    assert changes[0]["label"] == "Security review"
    assert changes[0]["old"] is None and changes[0]["new"]["date"] == "2027-01-18"


def test_list_is_newest_first_with_status(client, backend, examples):
    first = _create(client, examples["plan-onboarding"]).get_json()
    second = _create(client, examples["plan-logistics-de"]).get_json()
    _put(client, second["id"], second["plan"], 1)
    listed = client.get("/api/plans").get_json()
    assert [p["id"] for p in listed] == [second["id"], first["id"]]
    assert listed[0]["status"] == "draft" and listed[0]["version"] == 2
    assert listed[1]["title"] == "Faster customer onboarding"


def test_thread_link_finds_the_plan_of_a_conversation(client, backend, examples):
    created = _create(client, examples["plan-onboarding"]).get_json()
    linked = client.post(f"/api/plans/{created['id']}/threads",
                         json={"provider": "outlook", "thread_id": "AAQkAD=",
                               "message_id": "<a@b>"})
    assert linked.status_code == 201
    found = client.get("/api/plans?thread=outlook:AAQkAD=").get_json()
    assert [p["id"] for p in found] == [created["id"]]
    assert found[0]["status"] == "sent" and found[0]["sent_version"] == 1
    assert client.get("/api/plans?thread=gmail:AAQkAD=").get_json() == []
    bad = client.get("/api/plans?thread=teams:1")
    assert bad.status_code == 400 and bad.get_json()["field"] == "thread"
    refused = client.post(f"/api/plans/{created['id']}/threads", json={"provider": "fax"})
    assert refused.status_code == 422 and refused.get_json()["field"] == "/provider"


def test_drafts_are_saved_without_making_versions(client, backend, examples):
    saved = client.put("/api/drafts/outlook:item-1", json={"desired_outcome": "half typed"})
    assert saved.status_code == 200
    assert client.get("/api/drafts/outlook:item-1").get_json()["document"] == {
        "desired_outcome": "half typed"}
    client.put("/api/drafts/outlook:item-1", json={"desired_outcome": "typed"})
    assert client.get("/api/drafts/outlook:item-1").get_json()["document"]["desired_outcome"] == (
        "typed")
    assert client.get("/api/drafts/outlook:item-1", headers={"X-Dev-User": "eve@x.example"}
                      ).status_code == 404
    assert client.get("/api/plans").get_json() == []


def test_unknown_plan_id_is_404_in_the_error_shape(client, backend):
    for path in ("/api/plans/ZZZZZZZZ", "/api/plans/not-an-id", "/api/plans/../x"):
        response = client.get(path)
        assert response.status_code == 404
        assert set(response.get_json()) >= {"error", "message", "field"}


def test_dev_mode_refuses_clients_that_are_not_on_this_machine(client, backend):
    far = client.get("/healthz", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert far.status_code == 403
    assert "only clients on this machine" in far.get_json()["message"]
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "127.0.0.5"}).status_code == 200


def test_healthz_answers_when_the_database_does(client, backend):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_empty_database_is_upgraded_on_start(database_url, backend, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    app.extensions["addin"].engine.dispose()


def test_errors_carry_a_request_id(client, backend):
    response = client.get("/api/plans/ZZZZZZZZ")
    assert response.get_json()["request_id"] == response.headers["X-Request-Id"]


def test_bad_dev_user_header_is_400(client, backend):
    response = client.get("/api/plans", headers={"X-Dev-User": "not an email"})
    assert response.status_code == 400
    assert response.get_json()["field"] == "X-Dev-User"


def test_examples_json_is_accepted_byte_for_byte(client, backend, examples):
    from tests.conftest import shared_path

    raw = shared_path("examples", "plan-logistics-de.json").read_bytes()
    response = client.post("/api/plans", data=raw, content_type="application/json")
    assert response.status_code == 201
    assert _strip_ids(response.get_json()["plan"]) == json.loads(raw)


def test_people_get_a_short_page_and_programs_get_json_for_the_same_error(client, backend):
    page = client.get("/taskpane/nowhere", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "That did not work" in page.get_data(as_text=True)
    assert page.headers["X-Request-Id"] in page.get_data(as_text=True)
    api = client.get("/api/nowhere")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
