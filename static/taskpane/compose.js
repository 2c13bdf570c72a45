/* MAP compose pane: qualification, notes, plan form, reverse timeline, live checks, preview,
   Insert and Resend. State lives in S.plan; inputs carry the JSON pointer they edit. */
(function () {
  "use strict";
  var M = window.MAP;
  var $ = M.$, el = M.el;
  var CHECK_NAMES = {
    mutual: "Mutual", customer_centric: "Customer-centric", specific: "Specific",
    readable: "Readable", outcome_linked: "Linked to the outcome", accountable: "Accountable"
  };
  var LISTS = {
    milestones: { path: "/milestones", template: "tpl-milestone", blank: function () {
      return { name: "", kind: "custom", date: "", owner: "joint", status: "planned" }; } },
    stakeholders: { path: "/stakeholders", template: "tpl-stakeholder", blank: function () {
      return { name: "", side: "customer", role: "influencer" }; } },
    kpis: { path: "/impact/kpis", template: "tpl-kpi", blank: function () { return { name: "" }; } }
  };

  var S = {
    plan: emptyPlan(), planId: null, version: null, valueDate: "", draftKey: null,
    lastField: null, lastPreview: null, resendPlan: null, restoring: false
  };

  function emptyPlan() {
    return {
      title: "", customer: { organization: "" },
      qualification: { outcome_fit: null, impact: null, decision_access: null, plan_readiness: null },
      notes: "", summary: "", desired_outcome: "", challenges: [], why_fit: "",
      impact: { statement: "", kpis: [] }, stakeholders: [], milestones: [], negotiables: [],
      next_meeting: { date: "", time: "", purpose: "" }
    };
  }

  /* -- JSON pointers ------------------------------------------------------------------------- */

  function parts(path) {
    return path.split("/").slice(1).map(function (p) { return p.replace(/~1/g, "/").replace(/~0/g, "~"); });
  }

  function getAt(obj, path) {
    return parts(path).reduce(function (node, key) { return node == null ? undefined : node[key]; }, obj);
  }

  function setAt(obj, path, value) {
    var keys = parts(path);
    var node = obj;
    for (var i = 0; i < keys.length - 1; i++) {
      if (node[keys[i]] == null || typeof node[keys[i]] !== "object") node[keys[i]] = {};
      node = node[keys[i]];
    }
    node[keys[keys.length - 1]] = value;
  }

  /* -- reading and writing the form ---------------------------------------------------------- */

  function readInput(input) {
    if (input.type === "radio") return input.value === "yes";
    if (input.dataset.lines) {
      return input.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    }
    return input.value;
  }

  function writeInput(input, value) {
    if (input.type === "radio") { input.checked = value === (input.value === "yes"); return; }
    if (input.dataset.lines) { input.value = (value || []).join("\n"); return; }
    input.value = value == null ? "" : value;
  }

  function staticInputs() {
    return Array.prototype.filter.call(document.querySelectorAll("main [data-path]"), function (node) {
      return /^(INPUT|TEXTAREA|SELECT)$/.test(node.tagName) && !node.closest(".items");
    });
  }

  function fillForm() {
    staticInputs().forEach(function (input) { writeInput(input, getAt(S.plan, input.dataset.path)); });
    $("value-date").value = S.valueDate || "";
    Object.keys(LISTS).forEach(renderList);
    updateAdvice();
  }

  function bindStatic() {
    staticInputs().forEach(function (input) {
      var event = input.type === "radio" ? "change" : "input";
      input.addEventListener(event, function () {
        setAt(S.plan, input.dataset.path, readInput(input));
        if (input.type === "radio") updateAdvice();
        changed();
      });
      if (input.type !== "radio") input.addEventListener("focus", function () { S.lastField = input; });
    });
    $("value-date").addEventListener("input", function () { S.valueDate = $("value-date").value; changed(); });
  }

  /* -- lists: KPIs, stakeholders, milestones ---------------------------------------------------- */

  function listItems(name) {
    var items = getAt(S.plan, LISTS[name].path);
    if (!Array.isArray(items)) { items = []; setAt(S.plan, LISTS[name].path, items); }
    return items;
  }

  function renderList(name) {
    var spec = LISTS[name];
    var list = M.clear($(name));
    var items = listItems(name);
    items.forEach(function (item, index) {
      var node = $(spec.template).content.firstElementChild.cloneNode(true);
      node.querySelectorAll("[data-field]").forEach(function (input) {
        var field = input.dataset.field;
        var id = name + "-" + index + "-" + field;
        input.id = id;
        input.dataset.path = spec.path + "/" + index + "/" + field;
        var label = node.querySelector('label[data-for="' + field + '"]');
        if (label) label.htmlFor = id;
        var value = item[field];
        if (input.tagName === "SELECT" && (value == null || value === "")) value = input.options[0].value;
        input.value = value == null ? "" : value;
        input.addEventListener(input.tagName === "SELECT" ? "change" : "input", function () {
          item[field] = input.value;
          if (name === "milestones") node.classList.toggle("bridged", !!(item.this_means || item.as_a_result));
          changed();
        });
        if (input.tagName !== "SELECT") input.addEventListener("focus", function () { S.lastField = input; });
      });
      if (name === "milestones") node.classList.toggle("bridged", !!(item.this_means || item.as_a_result));
      node.querySelectorAll("[data-act]").forEach(function (button) {
        var act = button.dataset.act;
        button.setAttribute("aria-label", button.getAttribute("aria-label") + ": " + (item.name || name + " " + (index + 1)));
        if (act === "up") button.disabled = index === 0;
        if (act === "down") button.disabled = index === items.length - 1;
        button.addEventListener("click", function () { moveItem(name, index, act); });
      });
      list.appendChild(node);
    });
  }

  function moveItem(name, index, act) {
    var items = listItems(name);
    var focusAt = index;
    if (act === "delete") { items.splice(index, 1); focusAt = Math.min(index, items.length - 1); }
    else {
      var to = act === "up" ? index - 1 : index + 1;
      if (to < 0 || to >= items.length) return;
      var moved = items.splice(index, 1)[0];
      items.splice(to, 0, moved);
      focusAt = to;
    }
    renderList(name);
    changed();
    var again = $(name).children[focusAt];
    var target = again && (again.querySelector('[data-act="' + act + '"]:not(:disabled)') || again.querySelector("input"));
    if (target) target.focus();
  }

  function addItem(name) {
    listItems(name).push(LISTS[name].blank());
    renderList(name);
    changed();
    var last = $(name).lastElementChild;
    if (last) last.querySelector("input").focus();
  }

  /* -- qualification advice -------------------------------------------------------------------- */

  function updateAdvice(fromServer) {
    var answers = S.plan.qualification || {};
    document.querySelectorAll("[data-question]").forEach(function (box) {
      var key = box.dataset.question;
      var advice = $("advice-" + key);
      var server = (fromServer || []).filter(function (q) { return q.key === key; })[0];
      if (server && server.advice) advice.textContent = server.advice;
      advice.hidden = answers[key] !== false;
    });
  }

  /* -- the plan as sent to the server ---------------------------------------------------------- */

  function prune(value) {
    if (Array.isArray(value)) {
      return value.map(prune).filter(function (v) { return v !== undefined; });
    }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        var v = prune(value[key]);
        if (v === undefined) return;
        if (Array.isArray(v) && !v.length && key !== "milestones") return;
        if (v && typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length) return;
        out[key] = v;
      });
      return out;
    }
    if (typeof value === "string") { var t = value.trim(); return t ? t : undefined; }
    return value;
  }

  function planForServer() {
    var plan = prune(JSON.parse(JSON.stringify(S.plan))) || {};
    if (plan.next_meeting && !plan.next_meeting.date) delete plan.next_meeting;
    if (plan.impact && plan.impact.kpis) {
      plan.impact.kpis = plan.impact.kpis.filter(function (k) { return k.name; });
      if (!plan.impact.kpis.length) delete plan.impact.kpis;
    }
    if (plan.impact && !Object.keys(plan.impact).length) delete plan.impact;
    if (plan.stakeholders) {
      plan.stakeholders = plan.stakeholders.filter(function (s) { return s.name; });
      if (!plan.stakeholders.length) delete plan.stakeholders;
    }
    if (!plan.customer) plan.customer = { organization: "" };
    if (!plan.milestones) plan.milestones = [];
    var seller = sellerFromMailbox();
    if (seller && !plan.seller) plan.seller = seller;
    return plan;
  }

  function sellerFromMailbox() {
    var profile = M.office.mailbox && M.office.mailbox.userProfile;
    if (!profile || !profile.emailAddress) return null;
    return { name: profile.displayName || undefined, email: profile.emailAddress };
  }

  /* -- live check and preview ------------------------------------------------------------------ */

  var previewSeq = 0;
  function runPreview() {
    var seq = ++previewSeq;
    $("check-spinner").hidden = false;
    return M.api("POST", "/api/preview", { json: { plan: planForServer() } }).then(function (result) {
      if (seq !== previewSeq) return;
      S.lastPreview = result;
      renderChecks(result.checks);
      updateAdvice(result.checks.qualification);
      $("preview-subject").textContent = result.email.subject;
      M.showEmail($("preview"), result.email.html);
    }, function (error) {
      if (seq !== previewSeq) return;
      if (error.status === 422 || error.status === 400) {
        renderInvalid(error);
      } else {
        M.showError(error);
      }
    }).then(function () { if (seq === previewSeq) $("check-spinner").hidden = true; });
  }
  var previewSoon = M.debounce(runPreview, 500);

  function findingButton(message, path) {
    if (!path) return el("span", { class: "msg", text: message });
    return el("button", {
      type: "button", class: "msg", text: message, dataset: { target: path },
      onclick: function () { focusPath(path); }
    });
  }

  function renderChecks(checks) {
    var list = M.clear($("checks"));
    (checks.quality || []).forEach(function (check) {
      var level = check.ok ? "ok" : (check.level || "fail");
      var body = el("div", { class: "body" }, el("div", { class: "name", text: CHECK_NAMES[check.check] || M.humanize(check.check) }));
      var findings = check.ok ? [] : (check.findings && check.findings.length ? check.findings : [check]);
      if (check.ok) body.appendChild(el("span", { class: "msg", text: check.message }));
      findings.forEach(function (f) { body.appendChild(findingButton(f.message, f.path)); });
      list.appendChild(el("li", { class: "check " + level, dataset: { check: check.check } },
        el("span", { class: "icon", attrs: { "aria-hidden": "true" }, text: level === "ok" ? "✓" : level === "warn" ? "!" : "✕" }),
        body));
    });
  }

  function renderInvalid(error) {
    var list = M.clear($("checks"));
    list.appendChild(el("li", { class: "check fail", dataset: { check: "invalid" } },
      el("span", { class: "icon", attrs: { "aria-hidden": "true" }, text: "✕" }),
      el("div", { class: "body" }, el("div", { class: "name", text: "Not ready to preview" }),
        findingButton(friendly(error), error.field))));
    $("preview-subject").textContent = "Fill in the plan to see the email.";
  }

  function friendly(error) {
    var field = error.field || "";
    if (field === "/customer/organization") return "Add the customer's organization.";
    if (field === "/desired_outcome") return "Add the desired outcome, in the customer's words.";
    if (field === "/milestones") return "Build the timeline: pick the value-realized date and choose Build timeline.";
    return error.message;
  }

  /* Focus the input a finding points at (or the closest one to it). */
  function focusPath(path) {
    var target = null;
    var probe = path;
    while (probe && !target) {
      target = document.querySelector('[data-path="' + CSS.escape(probe) + '"]:not(ol)') ||
        firstUnder(probe) || addButtonFor(probe);
      probe = probe.slice(0, probe.lastIndexOf("/"));
    }
    if (!target) return;
    var details = target.closest("details");
    if (details) details.open = true;
    target.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
    target.classList.remove("focused-flash");
    void target.offsetWidth;
    target.classList.add("focused-flash");
  }

  function firstUnder(path) {
    var all = document.querySelectorAll("main [data-path]");
    for (var i = 0; i < all.length; i++) {
      if (all[i].tagName !== "OL" && all[i].dataset.path.indexOf(path + "/") === 0) return all[i];
    }
    return null;
  }

  function addButtonFor(path) {
    var map = { "/milestones": "value-date", "/impact/kpis": "add-kpi", "/stakeholders": "add-stakeholder" };
    return map[path] ? $(map[path]) : null;
  }

  /* -- autosave -------------------------------------------------------------------------------- */

  function draftDocument() {
    return { plan: S.plan, plan_id: S.planId, version: S.version, value_date: S.valueDate };
  }

  /* quiet: keep the status line (after Insert it says what was inserted). */
  function saveDraft(quiet) {
    if (!S.draftKey) return Promise.resolve();
    if (!quiet) $("saved").textContent = "Saving…";
    return M.api("PUT", "/api/drafts/" + encodeURIComponent(S.draftKey), { json: draftDocument() })
      .then(function () { if (!quiet) $("saved").textContent = "Draft saved"; },
        function (error) { $("saved").textContent = "Not saved"; M.showError(error); });
  }
  var saveSoon = M.debounce(function () { saveDraft(false); }, 1000);

  function changed() {
    if (S.restoring) return;
    $("saved").textContent = "Editing…";
    saveSoon();
    previewSoon();
  }

  function randomId() {
    var bytes = new Uint8Array(9);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* The draft key travels with the message (a custom property) so reopening the pane finds it;
     outside Office, or where custom properties fail, it is kept in localStorage. */
  function draftKey() {
    var item = M.office.item;
    var fallback = function () {
      var name = "map.draftKey." + (M.office.preview ? "preview" : (item && item.conversationId) || "new");
      var key = null;
      try { key = window.localStorage.getItem(name); } catch (e) { key = null; }
      if (!key) {
        key = "outlook:" + randomId();
        try { window.localStorage.setItem(name, key); } catch (e) { /* private mode */ }
      }
      return key;
    };
    if (!item || !item.loadCustomPropertiesAsync) return Promise.resolve(fallback());
    return M.officeCall(function (cb) { item.loadCustomPropertiesAsync(cb); }).then(function (props) {
      var key = props.get("mapDraftKey");
      if (key) return key;
      key = "outlook:" + (item.itemId || randomId());
      props.set("mapDraftKey", key);
      return M.officeCall(function (cb) { props.saveAsync(cb); }).then(function () { return key; }, function () { return key; });
    }).catch(fallback);
  }

  function restoreDraft() {
    return M.api("GET", "/api/drafts/" + encodeURIComponent(S.draftKey)).then(function (draft) {
      var doc = draft.document || {};
      S.restoring = true;
      S.plan = Object.assign(emptyPlan(), doc.plan || {});
      S.planId = doc.plan_id || null;
      S.version = doc.version || null;
      S.valueDate = doc.value_date || "";
      fillForm();
      S.restoring = false;
      $("saved").textContent = "Draft restored";
      return true;
    }, function (error) {
      if (error.status !== 404) M.showError(error);
      return false;
    });
  }

  /* -- notes: the customer's words ------------------------------------------------------------- */

  function suggest() {
    var notes = S.plan.notes || "";
    if (!notes.trim()) { M.showError(new Error("Write or paste your call notes first.")); return Promise.resolve(); }
    return M.working("Reading notes…", function () {
      return M.api("POST", "/api/pane/suggestions", { json: { notes: notes } });
    }).then(function (result) {
      var list = M.clear($("suggestions"));
      mergeByText(result.suggestions).forEach(function (s) {
        list.appendChild(el("li", null, el("button", {
          type: "button", class: "chip", title: "Put into the field you last edited",
          onclick: function () { useSuggestion(s.text); }
        }, el("span", { class: "kind", text: s.kind }), el("span", { class: "text", text: s.text }))));
      });
      $("suggest-hint").hidden = !result.suggestions.length;
      if (!result.suggestions.length) list.appendChild(el("li", { class: "muted", text: "No phrases found yet." }));
    }).catch(function () {});
  }

  /* One chip per phrase: a sentence that is both a quote and an outcome shows both kinds. */
  function mergeByText(suggestions) {
    var seen = {};
    var out = [];
    suggestions.forEach(function (s) {
      if (seen[s.text]) { seen[s.text].kind += " · " + s.kind; return; }
      seen[s.text] = { kind: s.kind, text: s.text };
      out.push(seen[s.text]);
    });
    return out;
  }

  function useSuggestion(text) {
    var input = S.lastField && document.body.contains(S.lastField) && S.lastField !== $("notes") ? S.lastField : $("outcome");
    var clean = text.trim().replace(/^["'“‘]|["'”’]$/g, "");
    if (input.dataset.lines) input.value = input.value ? input.value.replace(/\n*$/, "\n") + clean : clean;
    else if (input.tagName === "TEXTAREA" && input.value.trim()) input.value = input.value.trim() + " " + clean;
    else input.value = clean;
    input.dispatchEvent(new Event("input"));
    input.focus();
  }

  /* -- summary and timeline -------------------------------------------------------------------- */

  function draftSummary() {
    return M.working("Drafting…", function () {
      return runPreview().then(function () {
        if (!S.lastPreview) throw new Error("Fill in the customer, the desired outcome and the timeline first.");
        var box = $("summary");
        box.value = S.lastPreview.summary_draft;
        box.dispatchEvent(new Event("input"));
        box.focus();
      });
    }).catch(function () {});
  }

  function buildTimeline() {
    var date = $("value-date").value;
    if (!date) {
      M.showError(new Error("Pick the date the customer sees the value first."));
      $("value-date").focus();
      return Promise.resolve();
    }
    return M.working("Building timeline…", function () {
      return M.api("POST", "/api/timeline", { json: { value_realized: date } });
    }).then(function (result) {
      S.plan.milestones = result.milestones.map(function (m) { return Object.assign({ status: "planned" }, m); });
      var warnings = M.clear($("timeline-warnings"));
      (result.warnings || []).forEach(function (w) {
        warnings.appendChild(el("li", { text: typeof w === "string" ? w : w.message }));
      });
      renderList("milestones");
      changed();
    }).catch(function () {});
  }

  /* -- Insert and Resend ----------------------------------------------------------------------- */

  function composeType(item) {
    if (item.getComposeTypeAsync) {
      return M.officeCall(function (cb) { item.getComposeTypeAsync(cb); }).then(function (v) {
        return (v && v.composeType) || "newMail";
      }, function () { return item.conversationId ? "reply" : "newMail"; });
    }
    return Promise.resolve(item.conversationId ? "reply" : "newMail");
  }

  /* A new message gets the plan at the cursor; a reply gets it above the quoted history. */
  function insertIntoMessage(email) {
    var item = M.office.item;
    return M.officeCall(function (cb) { item.subject.setAsync(email.subject.slice(0, 255), cb); })
      .then(function () { return composeType(item); })
      .then(function (type) {
        if (type === "reply" || type === "forward") {
          return M.officeCall(function (cb) { item.body.prependAsync(email.html, M.htmlCoercion(), cb); });
        }
        return M.officeCall(function (cb) { item.body.setSelectedDataAsync(email.html, M.htmlCoercion(), cb); });
      });
  }

  function savePlan() {
    var plan = planForServer();
    if (S.planId) {
      return M.api("PUT", "/api/plans/" + S.planId, { json: plan, headers: { "If-Match": '"' + S.version + '"' } });
    }
    return M.api("POST", "/api/plans", { json: plan });
  }

  /* The conversation is known only once the message is saved. */
  function conversation() {
    var item = M.office.item;
    if (item.conversationId) return Promise.resolve({ thread: item.conversationId, message: item.itemId || null });
    return M.officeCall(function (cb) { item.saveAsync(cb); }).then(function (itemId) {
      return { thread: item.conversationId || null, message: itemId || null };
    });
  }

  function linkThread(planId) {
    return conversation().then(function (conv) {
      if (!conv.thread) return null;
      var body = { provider: "outlook", thread_id: conv.thread };
      if (conv.message) body.message_id = conv.message;
      return M.api("POST", "/api/plans/" + planId + "/threads", { json: body });
    });
  }

  function insert() {
    return M.working("Saving the plan…", function () {
      return savePlan().then(function (saved) {
        S.planId = saved.id;
        S.version = saved.version;
        return M.api("GET", "/api/plans/" + saved.id + "/email");
      }).then(function (email) {
        if (M.office.preview) {
          return M.copyEmail(email).then(function () { return "Copied version " + S.version + " to the clipboard"; });
        }
        M.status("Inserting…", true);
        return insertIntoMessage(email).then(function () { return linkThread(S.planId); })
          .then(function () { return "Inserted version " + S.version; });
      });
    }).then(function (done) {
      saveSoon.cancel();  // the quiet save below stores the same state
      $("saved").textContent = done;
      saveDraft(true);
    }).catch(function () {});
  }

  function checkResend() {
    var item = M.office.item;
    if (!item || !item.conversationId) return Promise.resolve();
    var thread = encodeURIComponent("outlook:" + item.conversationId);
    return M.api("GET", "/api/plans?thread=" + thread).then(function (plans) {
      if (!plans || !plans.length) return;
      S.resendPlan = plans[0];
      $("resend-ref").textContent = "MAP-" + plans[0].id + ", version " + plans[0].version;
      $("resend-offer").hidden = false;
    }).catch(function (error) { M.showError(error); });
  }

  function resend() {
    var plan = S.resendPlan;
    var item = M.office.item;
    return M.working("Preparing the update…", function () {
      return M.api("POST", "/api/plans/" + plan.id + "/resend", { json: {} }).then(function (email) {
        return M.officeCall(function (cb) { item.subject.setAsync(email.subject.slice(0, 255), cb); })
          .then(function () { return M.officeCall(function (cb) { item.body.prependAsync(email.html, M.htmlCoercion(), cb); }); })
          .then(function () { return linkThread(plan.id); })
          .then(function () { return email; });
      });
    }).then(function (email) {
      $("resend-offer").hidden = true;
      $("saved").textContent = "Inserted version " + email.version + " with changes since version " + email.since;
    }).catch(function () {});
  }

  /* -- start ----------------------------------------------------------------------------------- */

  function wire() {
    bindStatic();
    $("suggest-button").addEventListener("click", suggest);
    $("draft-summary").addEventListener("click", draftSummary);
    $("build-timeline").addEventListener("click", buildTimeline);
    $("add-milestone").addEventListener("click", function () { addItem("milestones"); });
    $("add-stakeholder").addEventListener("click", function () { addItem("stakeholders"); });
    $("add-kpi").addEventListener("click", function () { addItem("kpis"); });
    $("insert").addEventListener("click", insert);
    $("resend-button").addEventListener("click", resend);
    $("resend-dismiss").addEventListener("click", function () { $("resend-offer").hidden = true; });
    window.addEventListener("resize", function () { M.fitFrame($("preview")); });
    window.addEventListener("pagehide", function () { saveSoon.flush(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") saveSoon.flush();
    });
  }

  wire();
  fillForm();
  M.fitFrame($("preview"));
  M.ready.then(function (ctx) {
    $("insert").textContent = ctx.preview ? "Copy email" : "Insert plan";
    return draftKey();
  }).then(function (key) {
    S.draftKey = key;
    document.body.dataset.draftKey = key;
    return restoreDraft();
  }).then(function () {
    return Promise.all([runPreview(), checkResend()]);
  }).then(function () {
    document.body.dataset.ready = "1";
  }, function (error) {
    M.showError(error);
    document.body.dataset.ready = "1";
  });
})();
