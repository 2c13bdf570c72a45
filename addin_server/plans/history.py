"""Versions and diffs: RFC 6902 patches between plan documents, with human labels."""

from __future__ import annotations

import copy

import jsonpatch

from ..errors import ValidationError

SOURCES = ("seller_edit", "customer_reply", "meeting_update", "import")

# How a field is named to a person; keys not listed are shown with underscores as spaces.
FIELD_NAMES = {
    "desired_outcome": "Desired outcome",
    "why_fit": "Why this approach fits",
    "next_meeting": "Next meeting",
    "this_means": "this means",
    "as_a_result": "as a result",
    "measured_by": "measured by",
    "kpis": "KPIs",
    "kpi": "KPI",
}


def make_patch(old: dict, new: dict) -> list[dict]:
    """The RFC 6902 operations that turn old into new."""
    return jsonpatch.make_patch(old, new).patch


def apply_patch(doc: dict, patch: list[dict]) -> dict:
    """A new document: doc with the patch applied (doc itself is left alone)."""
    return jsonpatch.apply_patch(doc, patch, in_place=False)


def _split(path: str) -> list[str]:
    if not path:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def _field_name(key: str) -> str:
    return FIELD_NAMES.get(key, key.replace("_", " "))


def _item_name(item, fallback: str) -> str:
    if isinstance(item, dict):
        return item.get("name") or fallback
    if isinstance(item, str):
        return item[:40] + ("…" if len(item) > 40 else "")
    return fallback


def label_for(path: str, *docs: dict) -> str:
    """A human label for a JSON pointer, e.g. '/milestones/4/date' -> 'Go-live · date'.

    The docs (old and new) are searched in order for the named item, so that a
    deleted milestone is still labelled by its name.
    """
    parts = _split(path)
    if not parts:
        return "Plan"
    head = parts[0]
    if head in ("milestones", "stakeholders", "challenges", "negotiables", "assumptions") and len(
        parts
    ) >= 2:
        item = _lookup(docs, parts[:2])
        singular = {"milestones": "Milestone", "stakeholders": "Stakeholder"}.get(
            head, _field_name(head).capitalize()
        )
        name = _item_name(item, f"{singular} {_index_label(parts[1])}")
        rest = [_field_name(p) for p in parts[2:]]
        return " · ".join([name, *rest]) if rest else name
    if head == "impact" and len(parts) >= 3 and parts[1] == "kpis":
        item = _lookup(docs, parts[:3])
        name = _item_name(item, f"KPI {_index_label(parts[2])}")
        rest = [_field_name(p) for p in parts[3:]]
        return " · ".join(["KPI " + name if item else name, *rest])
    words = [_field_name(p) for p in parts if not p.isdigit()]
    text = " · ".join(words)
    return text[:1].upper() + text[1:]


def _index_label(part: str) -> str:
    return str(int(part) + 1) if part.isdigit() else part


def _lookup(docs, parts):
    for doc in docs:
        node = doc
        try:
            for p in parts:
                node = node[int(p)] if isinstance(node, list) else node[p]
            return node
        except (KeyError, IndexError, ValueError, TypeError):
            continue
    return None


def _get(doc, parts, default=None):
    node = doc
    try:
        for p in parts:
            node = node[int(p)] if isinstance(node, list) else node[p]
    except (KeyError, IndexError, ValueError, TypeError):
        return default
    return node


def _keyed(items: list) -> dict | None:
    """Map id -> item when every item is a dict with a unique id, else None."""
    if not all(isinstance(i, dict) and i.get("id") for i in items):
        return None
    ids = [i["id"] for i in items]
    return dict(zip(ids, items, strict=True)) if len(set(ids)) == len(ids) else None


def field_changes(old: dict, new: dict) -> list[dict]:
    """Field-level changes between two plans: [{path, old, new, label}].

    Milestones and stakeholders are matched by id, so a reordered or inserted
    item shows as what really changed, not as every index shifting.
    """
    changes: list[dict] = []
    _walk(old, new, [], changes, old, new)
    return changes


def _walk(a, b, parts, out, root_a, root_b):
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            _walk(a.get(key, _MISSING), b.get(key, _MISSING), parts + [key], out, root_a, root_b)
        return
    if isinstance(a, list) and isinstance(b, list):
        _walk_list(a, b, parts, out, root_a, root_b)
        return
    _emit(a, b, parts, out, root_a, root_b)


def _walk_list(a, b, parts, out, root_a, root_b):
    ka, kb = _keyed(a), _keyed(b)
    if ka is not None and kb is not None:
        index_b = {item["id"]: i for i, item in enumerate(b)}
        for i, item in enumerate(a):
            j = index_b.get(item["id"])
            if j is None:
                _emit(item, _MISSING, parts + [i], out, root_a, root_b)
            else:
                _walk(item, b[j], parts + [j], out, root_a, root_b)
        for j, item in enumerate(b):
            if item["id"] not in ka:
                _emit(_MISSING, item, parts + [j], out, root_a, root_b)
        return
    for i in range(max(len(a), len(b))):
        left = a[i] if i < len(a) else _MISSING
        right = b[i] if i < len(b) else _MISSING
        _walk(left, right, parts + [i], out, root_a, root_b)


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _emit(a, b, parts, out, root_a, root_b):
    from .model import pointer

    path = pointer(parts)
    out.append(
        {
            "path": path,
            "old": None if a is _MISSING else copy.deepcopy(a),
            "new": None if b is _MISSING else copy.deepcopy(b),
            # A removed item's index points into the old plan; everything else into the new.
            "label": label_for(path, *((root_a, root_b) if b is _MISSING else (root_b, root_a))),
            "kind": "added" if a is _MISSING else "removed" if b is _MISSING else "changed",
        }
    )


def date_slips(versions: list[tuple[int, dict]]) -> list[dict]:
    """How often each milestone's date moved across versions, and by how many days in all."""
    import datetime as dt

    slips: dict[str, dict] = {}
    previous: dict[str, str] = {}
    for number, plan in versions:
        for milestone in plan.get("milestones") or []:
            ident = milestone.get("id") or milestone["name"]
            date = milestone["date"]
            entry = slips.setdefault(
                ident,
                {"id": ident, "name": milestone["name"], "moves": 0, "days": 0, "history": []},
            )
            entry["name"] = milestone["name"]
            if ident in previous and previous[ident] != date:
                delta = (dt.date.fromisoformat(date) - dt.date.fromisoformat(previous[ident])).days
                entry["moves"] += 1
                entry["days"] += delta
                entry["history"].append({"version": number, "from": previous[ident], "to": date})
            previous[ident] = date
    return list(slips.values())


def check_source(source: str) -> str:
    """The version source, checked against the known ones."""
    if source not in SOURCES:
        raise ValidationError(f"source must be one of: {', '.join(SOURCES)}.", field="/source")
    return source


def set_at(doc: dict, path: str, value) -> dict:
    """A copy of doc with the value at the JSON pointer replaced (or added)."""
    parts = _split(path)
    op = "replace" if _get(doc, parts, _MISSING) is not _MISSING else "add"
    return apply_patch(doc, [{"op": op, "path": path, "value": value}])
