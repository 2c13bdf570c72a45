"""Read the plan back out of a customer's message and turn their edits into proposals.

The plan the customer saw is rendered line by line with the same functions the
email used (``mailtext.render``); every line the customer's message holds is
compared with those expected lines. Identical lines are skipped at once, so an
untouched quoted plan costs almost nothing and proposes nothing; only lines
that differ are parsed (date in any format, owner as a company name, KPI
values, stakeholder names and titles, added and deleted timeline lines).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import json
import re
from html import unescape

from ..plans.history import label_for
from . import render
from .dates import find_dates, parse_date

_QUOTE_PREFIX = re.compile(r"^(?:\s*>)+ ?")
# The plan the customer saw sits near the top; a bound keeps a hostile 5 MB body cheap.
_MAX_CHARS = 400_000
_MAX_LINES = 4_000
_MAX_CHANGED = 600  # lines that differ from the plan; a real reply has a few dozen
_MAX_DEPTH = 12  # deeper quoting is written as 12 levels: nesting bombs stay linear
_HAS_DIGIT_OR_PAREN = re.compile(r"[\d(]")
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f\u2009\u200b\ufeff]+")
_PLAN_REF = re.compile(r"MAP\s?-\s?([A-Z0-9]{4,40})[^A-Za-z0-9\n]{0,8}v\s?(\d{1,6})\b")
_OWNER_PAREN = re.compile(r"\(\s*([^():]{1,40}):\s*([^()]{1,200})\)\s*$")
_ARROW = re.compile(r"\s(?:→|->|=>|–>|—>|\?|>)\s")
_STAKEHOLDER = re.compile(
    r"^(?P<name>[^,()]{2,120}?)(?:,\s*(?P<title>[^()]{1,200}?))?\s*\((?P<org>[^()]{1,200})\)"
    r"(?:\s*[–—-]\s*(?P<role>.{1,60}))?$"
)
_JOINT_WORDS = {
    "joint",
    "jointly",
    "both",
    "together",
    "shared",
    "gemeinsam",
    "beide",
    "zusammen",
    "conjoint",
    "commun",
    "ensemble",
    "conjunto",
    "ambos",
    "compartido",
    "congiunto",
    "gezamenlijk",
    "gemensam",
    "wspólnie",
}
_CUSTOMER_WORDS = {"customer", "client", "kunde", "cliente", "us", "we", "wir", "nous", "nosotros"}
_SELLER_WORDS = {
    "seller",
    "vendor",
    "supplier",
    "you",
    "anbieter",
    "lieferant",
    "fournisseur",
    "vendeur",
    "proveedor",
    "vendedor",
}


# ---- the plan reference ------------------------------------------------------------------


def find_plan_ref(text: str) -> tuple[str, int] | None:
    """(plan_id, version) from the first 'Plan ref MAP-<id> · v<n>' footer in a message."""
    if not text or "MAP" not in text:
        return None
    joined = " ".join(_QUOTE_PREFIX.sub("", line).strip() for line in text.splitlines())
    match = _PLAN_REF.search(joined)
    if not match:
        return None
    return match.group(1), int(match.group(2))


# ---- HTML to text -------------------------------------------------------------------------


_BLOCKS = frozenset(
    "address article aside blockquote body div dl dt dd fieldset figure footer form h1 h2 h3 h4 "
    "h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr td th ul br".split()
)
_SKIP = frozenset("script style title head template noscript xml".split())
_TAG = re.compile(
    r"<!--.*?(?:-->|$)|<!\[CDATA\[.*?(?:\]\]>|$)|<[!?][^>]*>?|<(/?)([A-Za-z][\w:-]*)"
    r"(?:[^<>\"']|\"[^\"]{0,4000}\"|'[^']{0,4000}')*>?",
    re.S,
)


def html_to_text(html: str) -> str:
    """An HTML body as plain text lines (quoted blocks keep '> ' prefixes); never raises.

    A tag tokenizer rather than html.parser: the email's heavy inline styles make
    the full parser several times slower, and only block boundaries matter here.
    """
    html = html or ""
    lines: list[str] = []
    current: list[str] = []
    depth = skip = 0
    pos = 0

    def flush() -> None:
        text = _SPACES.sub(" ", unescape("".join(current)).replace("\n", " ")).strip()
        if text:
            lines.append("> " * min(depth, _MAX_DEPTH) + text)
        current.clear()

    for m in _TAG.finditer(html):
        if not skip and m.start() > pos:
            current.append(html[pos : m.start()])
        pos = m.end()
        tag = (m.group(2) or "").lower()
        if not tag:
            continue
        closing = bool(m.group(1))
        if tag in _SKIP:
            skip = max(0, skip - 1) if closing else skip + 1
        elif tag in _BLOCKS and not skip:
            flush()
            if tag == "blockquote":
                depth = max(0, depth - 1) if closing else depth + 1
    if not skip and pos < len(html):
        current.append(html[pos:])
    flush()
    return "\n".join(lines)


# ---- reading the lines -------------------------------------------------------------------


def _squeeze(text: str) -> str:
    """Runs of any whitespace (no-break and thin spaces included) as one space."""
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())  # str.split knows Unicode spaces and beats a regex here


def _clean(line: str) -> str:
    if line[:1] in (">", " ", "\t"):
        line = _QUOTE_PREFIX.sub("", line)
    line = line.replace("*", "") if line.count("*") >= 2 else line  # Gmail's *bold* in text
    return _squeeze(line)


def _key(text: str) -> str:
    return _squeeze(text).casefold().replace("—", "–")


def body_lines(text: str) -> list[str]:
    """The message's lines, unquoted and tidied, up to the first plan footer (the plan seen).

    Older plan versions quoted further down the thread are left out, and a line
    wrapped inside an owner parenthesis is joined back to its first half.
    """
    lines: list[str] = []
    pending = ""
    for raw in (text or "")[:_MAX_CHARS].splitlines()[:_MAX_LINES]:
        line = _clean(raw)
        if not line:
            if pending:
                lines.append(pending)
                pending = ""
            continue
        if pending:
            line = pending + " " + line
            pending = ""
        if line.count("(") > line.count(")") and len(line) < 300:
            pending = line
            continue
        lines.append(line)
        if "MAP" in line and _PLAN_REF.search(line):
            break
    if pending:
        lines.append(pending)
    return lines


class _Context:
    """The seen plan's expected lines and the names we compare against."""

    def __init__(self, plan: dict):
        self.plan = plan
        self.language = render.language_of(plan)
        self.milestones = plan.get("milestones") or []
        self.kpis = (plan.get("impact") or {}).get("kpis") or []
        self.people = plan.get("stakeholders") or []
        self.timeline = [render.timeline_line(plan, m) for m in self.milestones]
        self.kpi_lines = [render.kpi_line(plan, k) for k in self.kpis]
        self.people_lines = [render.stakeholder_line(plan, s) for s in self.people]
        bridges = [render.bridge_line(plan, m) for m in self.milestones]
        self.expected = {_key(x) for x in self.timeline + self.kpi_lines + self.people_lines}
        self.expected |= {_key(b) for b in bridges if b}
        self.order = sorted(
            range(len(self.milestones)), key=lambda i: self.milestones[i]["date"], reverse=True
        )  # the email's order: latest first


@functools.lru_cache(maxsize=64)
def _cached_context(fingerprint: str) -> _Context:
    return _Context(json.loads(fingerprint))


def _context_for(plan: dict) -> _Context:
    """The expected lines of a plan, rendered once per distinct plan (a pure cache)."""
    try:
        return _cached_context(json.dumps(plan, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError):
        return _Context(plan)


def read_edits(body_text: str, seen_plan: dict) -> list[dict]:
    """Proposals for every edit the customer made to the plan as it reads in their message.

    ``seen_plan`` is a valid plan as stored (normalised: milestones and stakeholders
    have ids, which the proposals carry as ``item_id``).
    """
    if not body_text or not seen_plan or not seen_plan.get("milestones"):
        return []
    ctx = _context_for(seen_plan)
    lines = body_lines(body_text)
    keys = [_key(line) for line in lines]
    changed = [
        (i, line)
        for i, (line, key) in enumerate(zip(lines, keys, strict=True))
        if key not in ctx.expected
    ][:_MAX_CHANGED]
    proposals: list[dict] = []
    proposals += _timeline_edits(ctx, lines, keys, changed)
    proposals += _kpi_edits(ctx, changed)
    proposals += _stakeholder_edits(ctx, keys, changed)
    for proposal in proposals:  # removals carry the caller's own milestone, not the cache's copy
        if proposal["new"] is None and isinstance(proposal["old"], dict):
            index = int(proposal["path"].rsplit("/", 1)[1])
            proposal["old"] = copy.deepcopy(seen_plan["milestones"][index])
    return _first_per_path(proposals)


def _first_per_path(proposals: list[dict]) -> list[dict]:
    """The same field edited on two lines: the first line (nearest the top) is the newest."""
    seen: set = set()
    out = []
    for proposal in proposals:
        new = proposal["new"]
        key = (proposal["path"], new.get("name") if isinstance(new, dict) else None)
        if key not in seen:
            seen.add(key)
            out.append(proposal)
    return out


def _proposal(ctx: _Context, path: str, old, new, evidence: str, item_id=None) -> dict:
    return {
        "path": path,
        "old": old,
        "new": new,
        "label": label_for(path, ctx.plan),
        "evidence": evidence,
        "item_id": item_id,
    }


# ---- timeline ----------------------------------------------------------------------------


def _split_timeline(line: str, ctx: _Context):
    """(name, date or None, owner text or None) for a line in the timeline shape, else None."""
    if ":" not in line or len(line) > 300 or "→" in line or " · " in line:
        return None  # "What changed" lines of a resend ("Go-live · date: … → …") are not edits
    owner_text = None
    paren = _OWNER_PAREN.search(line)
    body = line
    if paren:
        owner_text = paren.group(2).strip()
        body = line[: paren.start()].rstrip()
    name, sep, rest = body.partition(":")
    if not sep or not name.strip() or len(name) > 120:
        return None
    rest = rest.strip()
    hits = find_dates(rest, language=ctx.language, near=_today_near(ctx)) if rest else []
    # The timeline shape starts with the date; a bridge sentence that mentions one does not.
    date = hits[0][2] if hits and (hits[0][0] <= 8 or len(rest) < 40) else None
    if date is None and owner_text is None:
        return None
    return name.strip(), rest, date, owner_text


def _today_near(ctx: _Context) -> dt.date:
    return dt.date.fromisoformat(ctx.milestones[0]["date"])


def _timeline_edits(ctx: _Context, lines, keys, changed) -> list[dict]:
    expected_keys = {_key(t): i for i, t in enumerate(ctx.timeline)}
    names = {_key(m["name"]): i for i, m in enumerate(ctx.milestones)}
    present = {expected_keys[k] for k in keys if k in expected_keys}
    positions = {expected_keys[k]: n for n, k in enumerate(keys) if k in expected_keys}
    out: list[dict] = []
    unknown = []
    for n, line in changed:
        if ":" not in line or not _HAS_DIGIT_OR_PAREN.search(line):
            continue  # a timeline line always has a date (digits) or an owner in parentheses
        parts = _split_timeline(line, ctx)
        if parts is None:
            continue
        index = names.get(_key(parts[0]))
        if index is None:
            unknown.append((n, line, parts))
            continue
        present.add(index)
        positions.setdefault(index, n)
        out += _milestone_changes(ctx, index, parts, line)
    out += _renamed_or_added(ctx, unknown, present, positions)
    out += _removed(ctx, lines, present, positions)
    return out


def _milestone_changes(ctx: _Context, index: int, parts, line: str) -> list[dict]:
    milestone = ctx.milestones[index]
    owner_text = parts[3]
    out = []
    date = _new_date(ctx, parts[1], milestone["date"])
    if date:
        path = f"/milestones/{index}/date"
        out.append(_proposal(ctx, path, milestone["date"], date, line, milestone.get("id")))
    owner = read_owner(owner_text, ctx.plan) if owner_text else None
    if owner and owner != milestone["owner"]:
        path = f"/milestones/{index}/owner"
        out.append(_proposal(ctx, path, milestone["owner"], owner, line, milestone.get("id")))
    return out


def _new_date(ctx: _Context, rest: str, old: str) -> str | None:
    """The date the customer wrote, when it differs; with two dates ('Mar 22 → Apr 12') the last."""
    if not rest:
        return None
    near = dt.date.fromisoformat(old)
    dates = [d.isoformat() for _, _, d in find_dates(rest, language=ctx.language, near=near)]
    changed = [d for d in dates if d != old]
    return changed[-1] if changed else None


def read_owner(text: str, plan: dict) -> str | None:
    """customer / seller / joint from what the customer wrote as owner (labels, company names)."""
    key = _key(text).strip(" .")
    if not key:
        return None
    joint = _key(render.owner_label(plan, "joint"))
    customer = _key(render.owner_label(plan, "customer"))
    seller = _key(render.owner_label(plan, "seller"))
    if key == joint:
        return "joint"
    if key == customer:
        return "customer"
    if key == seller:
        return "seller"
    words = set(re.findall(r"[^\W_]+", key))
    if words & _JOINT_WORDS:
        return "joint"
    scores = {
        "customer": _name_hits(words, customer, plan, "customer") + len(words & _CUSTOMER_WORDS),
        "seller": _name_hits(words, seller, plan, "seller") + len(words & _SELLER_WORDS),
    }
    if scores["customer"] and scores["seller"]:
        return "joint"  # "Northwind & BrightPath": both sides named
    if scores["customer"] or scores["seller"]:
        return max(scores, key=scores.get)
    return None


_LEGAL_WORDS = {"gmbh", "inc", "ltd", "llc", "ag", "co", "corp", "software", "sa", "sas", "bv"}


def _name_hits(words: set, org: str, plan: dict, side: str) -> int:
    """How strongly the owner text names this side: its organisation's words or its people."""
    org_words = set(re.findall(r"[^\W_]{3,}", org)) - _LEGAL_WORDS
    hits = 2 * len(words & org_words)
    for person in plan.get("stakeholders") or []:
        if person.get("side") == side and person.get("name"):
            if set(re.findall(r"[^\W_]{3,}", _key(person["name"]))) & words:
                hits += 1
    if side == "seller":
        seller = plan.get("seller") or {}
        if seller.get("name") and set(re.findall(r"[^\W_]{3,}", _key(seller["name"]))) & words:
            hits += 1
    return hits


def _renamed_or_added(ctx: _Context, unknown, present: set, positions: dict) -> list[dict]:
    """Timeline-shaped lines with an unknown name: a renamed milestone, else a new one."""
    out: list[dict] = []
    if not unknown:
        return out
    block = sorted(positions.values())
    for n, line, (name, rest, _date, owner_text) in unknown:
        missing = [i for i in range(len(ctx.milestones)) if i not in present]
        index = _best_missing(ctx, name, n, missing, positions)
        if index is not None:
            present.add(index)
            positions[index] = n
            milestone = ctx.milestones[index]
            path = f"/milestones/{index}/name"
            out.append(_proposal(ctx, path, milestone["name"], name, line, milestone.get("id")))
            out += _milestone_changes(ctx, index, (name, rest, _date, owner_text), line)
            continue
        if not block or not (block[0] - 2 <= n <= block[-1] + 2):
            continue  # a date line far from the timeline (a quote header, a meeting) is not ours
        added = _added(ctx, name, rest, owner_text)
        if added:
            out.append(added | {"evidence": line})
    return out


def _best_missing(ctx: _Context, name: str, n: int, missing: list[int], positions: dict):
    """The missing milestone a renamed line stands for: similar name, or the gap it sits in."""
    best, best_ratio = None, 0.0
    for i in missing:
        ratio = difflib.SequenceMatcher(None, _key(name), _key(ctx.milestones[i]["name"])).ratio()
        if ratio > best_ratio:
            best, best_ratio = i, ratio
    if best is not None and best_ratio >= 0.6:
        return best
    for i in missing:  # same slot: its neighbours in the email's order surround this line
        prev_i, next_i = _neighbours(ctx, i)
        before = prev_i is not None and positions.get(prev_i, 10**9) < n
        after = next_i is not None and positions.get(next_i, -1) > n
        if before and after:
            return i
    return None


def _added(ctx: _Context, name: str, rest: str, owner_text) -> dict | None:
    """An add proposal for a new timeline line; it needs a readable date and owner."""
    date = parse_date(rest, language=ctx.language, near=_today_near(ctx)) if rest else None
    owner = read_owner(owner_text, ctx.plan) if owner_text else None
    if not (date and owner):
        return None
    new = {"name": name, "kind": "custom", "date": date.isoformat(), "owner": owner}
    shadow = {"milestones": [*ctx.milestones, new]}
    return {
        "path": "/milestones/-",
        "old": None,
        "new": new,
        "label": label_for(f"/milestones/{len(ctx.milestones)}", shadow),
        "item_id": None,
    }


def _neighbours(ctx: _Context, index: int):
    at = ctx.order.index(index)
    prev_i = ctx.order[at - 1] if at > 0 else None
    next_i = ctx.order[at + 1] if at + 1 < len(ctx.order) else None
    return prev_i, next_i


def _removed(ctx: _Context, lines, present: set, positions: dict) -> list[dict]:
    """Milestones whose line is gone from a timeline block whose neighbours are all there."""
    if len(present) < 2:
        return []  # no quoted timeline to speak of: nothing was deleted
    complete = bool(lines) and _PLAN_REF.search(lines[-1]) is not None
    out = []
    for i in range(len(ctx.milestones)):
        if i in present:
            continue
        prev_i, next_i = _neighbours(ctx, i)
        edges = [j for j in (prev_i, next_i) if j is not None]
        if not edges or any(j not in present for j in edges):
            continue
        if len(edges) == 1 and not complete:
            continue  # an end of the block may simply be cut off by the client
        milestone = ctx.milestones[i]
        evidence = "\n".join(lines[positions[j]] for j in edges if j in positions)
        out.append(
            _proposal(ctx, f"/milestones/{i}", milestone, None, evidence, milestone.get("id"))
        )
    return out


# ---- KPIs --------------------------------------------------------------------------------


def _kpi_edits(ctx: _Context, changed) -> list[dict]:
    out: list[dict] = []
    if not ctx.kpis:
        return out
    names = {_key(k.get("name", "")): i for i, k in enumerate(ctx.kpis)}
    for _n, line in changed:
        name, sep, rest = line.partition(":")
        index = names.get(_key(name)) if sep else None
        if index is None:
            continue
        out += _kpi_changes(ctx, index, rest.strip(), line)
    return out


def _kpi_changes(ctx: _Context, index: int, rest: str, line: str) -> list[dict]:
    kpi = ctx.kpis[index]
    lang = ctx.language
    measured = None
    tail = re.search(
        r"\(\s*" + re.escape(render.label("measured_by", lang)) + r"\s+(.+)\)\s*$",
        rest,
        re.IGNORECASE,
    )
    if tail:
        measured, rest = tail.group(1).strip(), rest[: tail.start()].strip()
    values = {}
    arrow = _ARROW.search(f" {rest} ")
    if arrow:
        left, right = f" {rest} "[: arrow.start()], f" {rest} "[arrow.end() :]
        values = {"baseline": left.strip(), "target": right.strip()}
    else:
        for field in ("target", "baseline"):
            word = render.label(field, lang)
            if rest.casefold().startswith(word.casefold() + " "):
                values = {field: rest[len(word) + 1 :].strip()}
    if measured is not None:
        values["measured_by"] = measured
    out = []
    for field, new in values.items():
        old = kpi.get(field)
        if new and _key(new) != _key(old or ""):
            path = f"/impact/kpis/{index}/{field}"
            out.append(_proposal(ctx, path, old, new, line))
    return out


# ---- stakeholders ------------------------------------------------------------------------


def _stakeholder_edits(ctx: _Context, keys, changed) -> list[dict]:
    out: list[dict] = []
    if not ctx.people:
        return out
    expected = {_key(x): i for i, x in enumerate(ctx.people_lines)}
    present = {expected[k] for k in keys if k in expected}
    for _n, line in changed:
        match = _STAKEHOLDER.match(line) if ")" in line else None
        if not match:
            continue
        index = _stakeholder_for(ctx, match, present)
        if index is None:
            continue
        present.add(index)
        person = ctx.people[index]
        for field in ("name", "title"):
            new = (match.group(field) or "").strip()
            old = person.get(field) or ""
            if new and _key(new) != _key(old):
                path = f"/stakeholders/{index}/{field}"
                out.append(_proposal(ctx, path, person.get(field), new, line, person.get("id")))
    return out


def _stakeholder_for(ctx: _Context, match, present: set) -> int | None:
    """Same name (title edited), else same title and organisation (name edited)."""
    name, title = _key(match.group("name")), _key(match.group("title") or "")
    org = _key(match.group("org"))
    for i, person in enumerate(ctx.people):
        if i not in present and _key(person.get("name", "")) == name:
            return i
    for i, person in enumerate(ctx.people):
        own_org = _key(ctx.people_lines[i]).rsplit("(", 1)[-1]
        if i in present or not title or _key(person.get("title") or "") != title:
            continue
        if own_org.startswith(org):
            return i
    return None
