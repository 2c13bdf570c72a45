"""Stored JSON text spliced into responses: the same JSON as encoding the parsed value."""

from __future__ import annotations

import json

import pytest

from addin_server import jsontext
from addin_server.jsontext import RawJSON


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_raw_values_anywhere_decode_to_what_they_hold():
    plan = {"title": "Zürich onboarding “30%”", "items": [1, 2.5, None, True], "nested": {"a": []}}
    wrapper = {"id": "X", "plan": RawJSON(_compact(plan)),
               "list": [RawJSON("[1,2]"), {"deep": RawJSON('"text"')}], "after": 3}
    text = jsontext.dumps(wrapper, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(text) == {"id": "X", "plan": plan, "list": [[1, 2], {"deep": "text"}],
                                "after": 3}
    assert _compact(plan) in text  # written as stored, not re-encoded
    assert jsontext.dumps(RawJSON("[]")) == "[]"


def test_strings_that_look_like_the_stand_in_are_left_alone():
    mark = jsontext._MARK
    tricky = {"a": f"{mark}0", "b": "\x00raw-json-", "c": RawJSON('{"x":1}'), "d": f"{mark}1"}
    assert json.loads(jsontext.dumps(tricky)) == {
        "a": f"{mark}0", "b": "\x00raw-json-", "c": {"x": 1}, "d": f"{mark}1"}


def test_ten_or_more_raw_values_do_not_mix_up():
    values = {f"k{i}": RawJSON(str(i)) for i in range(12)}
    assert json.loads(jsontext.dumps(values)) == {f"k{i}": i for i in range(12)}


def test_other_unknown_types_still_go_to_default_or_fail():
    with pytest.raises(TypeError, match="set"):
        jsontext.dumps({"a": {1}})
    assert json.loads(jsontext.dumps({"a": {1}}, default=sorted)) == {"a": [1]}


def test_the_api_sends_the_stored_plan_text(client, examples):
    created = client.post("/api/plans", json=examples["plan-logistics-de"]).get_json()
    response = client.get(f"/api/plans/{created['id']}")
    assert response.get_json()["plan"] == created["plan"]
    assert response.get_data(as_text=True).count('"plan":{') == 1
