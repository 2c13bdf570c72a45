/* MAP read pane: find the conversation's plan, ingest new messages, show replies, proposals,
   the written confirmation and the history; Accept, Reject and Resend. */
(function () {
  "use strict";
  var M = window.MAP;
  var $ = M.$, el = M.el;
  var REF = /\bMAP-([0-9A-Z]{8})\b/;
  var INTENTS = {
    confirm: "Confirmation", change_request: "Change request", question: "Question",
    auto_reply: "Auto-reply", other: "Reply"
  };
  var S = { planId: null, plan: null };

  function show(id) { ["loading", "no-plan", "plan"].forEach(function (x) { $(x).hidden = x !== id; }); }

  function shown(value) {
    if (value === null || value === undefined || value === "") return "(empty)";
    if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? M.formatDate(value) : value;
    if (typeof value === "object" && value.name) return value.name + (value.date ? " (" + value.date + ")" : "");
    return JSON.stringify(value);
  }

  /* -- finding the plan ------------------------------------------------------------------------ */

  function byConversation(item) {
    if (!item || !item.conversationId) return Promise.resolve(null);
    var thread = encodeURIComponent("outlook:" + item.conversationId);
    return M.api("GET", "/api/plans?thread=" + thread).then(function (plans) {
      return plans && plans.length ? plans[0].id : null;
    });
  }

  function byReference(item) {
    if (!item || !item.body || !item.body.getAsync) return Promise.resolve(null);
    var text = (window.Office && Office.CoercionType && Office.CoercionType.Text) || "text";
    return M.officeCall(function (cb) { item.body.getAsync(text, cb); }).then(function (body) {
      var match = REF.exec(body || "");
      return match ? match[1] : null;
    }, function () { return null; });
  }

  function fromAddress() {
    var match = /[?&]plan=([0-9A-Z]{8})/.exec(window.location.search);
    return match ? match[1] : null;
  }

  function findPlan() {
    var item = M.office.item;
    return byConversation(item).then(function (id) { return id || byReference(item); })
      .then(function (id) { return id || fromAddress(); });
  }

  /* -- ingesting the thread -------------------------------------------------------------------- */

  /* Graph sync with the seller's token when the server has it; else the open message's MIME. */
  function ingest() {
    var item = M.office.item;
    if (!item) return Promise.resolve("");
    var body = { provider: "outlook" };
    if (item.conversationId) body.thread_id = item.conversationId;
    return M.api("POST", "/api/plans/" + S.planId + "/sync", { json: body }).then(function (result) {
      var count = result && result.new;
      if (typeof count !== "number") return "Checked the thread.";
      return "Checked the thread: " + (count ? count + " new message" + (count > 1 ? "s" : "") : "nothing new") + ".";
    }, function () {
      /* No Graph here (dev mode, no consent, or the service is down): read the open message. */
      return ingestOpenMessage();
    });
  }

  function ingestOpenMessage() {
    var item = M.office.item;
    if (!item.getAsFileAsync) return Promise.resolve("This Outlook cannot read the open message; replies synced by the server still show.");
    return M.officeCall(function (cb) { item.getAsFileAsync(cb); }).then(function (base64) {
      var query = item.itemId ? "?provider_message_id=" + encodeURIComponent(item.itemId) : "";
      return M.api("POST", "/api/plans/" + S.planId + "/messages" + query, {
        body: M.base64ToBytes(base64), headers: { "Content-Type": "message/rfc822" }
      });
    }).then(function () { return "Read the open message."; });
  }

  /* -- rendering ------------------------------------------------------------------------------- */

  function renderHead(plan) {
    $("plan-ref").textContent = plan.plan_ref || "MAP-" + plan.id;
    $("plan-title").textContent = plan.title || (plan.plan.customer || {}).organization || "Plan";
    $("plan-status").textContent = M.humanize(plan.status || "draft");
    $("plan-status").className = "badge " + (plan.status || "");
    var parts = ["Version " + plan.version];
    if (plan.sent_version) parts.push("sent v" + plan.sent_version);
    $("plan-version").textContent = parts.join(" · ");
  }

  function renderConfirmations(plan) {
    var list = M.clear($("confirmations"));
    (plan.confirmations || []).forEach(function (c) {
      list.appendChild(el("li", { class: "confirmation" },
        el("strong", { text: c.name || c.who }),
        " confirmed version " + c.version + " in writing on " + M.formatDate(c.confirmed_at) + ".",
        c.name && c.who ? el("div", { class: "muted", text: c.who }) : null));
    });
    $("confirm-card").hidden = !(plan.confirmations || []).length;
  }

  function initials(name) {
    var words = String(name || "?").replace(/@.*/, "").split(/[\s._-]+/).filter(Boolean);
    return ((words[0] || "?").charAt(0) + (words[1] || "").charAt(0)).toUpperCase();
  }

  function renderReplies(messages) {
    var list = M.clear($("replies"));
    messages.slice().reverse().forEach(function (m) {
      var r = m.reply || {};
      var who = r.from_name || r.from || "Unknown sender";
      var text = el("p", { class: "text", text: r.text || "" });
      text.addEventListener("click", function () { text.classList.toggle("open"); });
      list.appendChild(el("li", { class: "reply", dataset: { intent: r.intent || "other" } },
        el("span", { class: "avatar", attrs: { "aria-hidden": "true" }, text: initials(who) }),
        el("div", null,
          el("div", { class: "who", text: who, title: r.from || "" }),
          el("div", { class: "when" }, M.formatDate(r.sent_at) + " ",
            el("span", { class: "badge " + (r.intent || "other"), text: INTENTS[r.intent] || M.humanize(r.intent) }),
            r.from_customer === false ? el("span", { class: "muted", text: " · you" }) : null)),
        text));
    });
    $("no-replies").hidden = messages.length > 0;
  }

  function renderProposals(messages) {
    var list = M.clear($("proposals"));
    var open = 0;
    messages.forEach(function (m) {
      (m.proposals || []).forEach(function (p) {
        if (p.status === "open") open++;
        list.appendChild(proposalCard(p, m.reply || {}));
      });
    });
    $("proposal-count").textContent = open ? open + " open" : "";
    $("no-proposals").hidden = list.children.length > 0;
  }

  function proposalCard(p, reply) {
    var card = el("li", { class: "proposal " + p.status, dataset: { proposal: String(p.id) } },
      el("div", { class: "label", text: p.label || p.path }),
      el("p", { class: "change" }, el("del", { text: shown(p.old) }), " → ", el("ins", { text: shown(p.new) })),
      p.evidence ? el("blockquote", { class: "evidence", text: "“" + p.evidence + "” — " + (reply.from_name || reply.from || "customer") }) : null);
    if (p.status === "open") {
      card.appendChild(el("div", { class: "row" },
        el("button", { type: "button", class: "btn btn-primary btn-small", text: "Accept",
          attrs: { "aria-label": "Accept: " + (p.label || p.path) }, onclick: function () { decide(p, "accept"); } }),
        el("button", { type: "button", class: "btn btn-small", text: "Reject",
          attrs: { "aria-label": "Reject: " + (p.label || p.path) }, onclick: function () { decide(p, "reject"); } })));
    } else {
      var note = p.status === "accepted" && p.result_version ? "Accepted in version " + p.result_version : M.humanize(p.status);
      card.appendChild(el("span", { class: "badge " + p.status, text: note }));
    }
    return card;
  }

  function renderVersions(versions) {
    var list = M.clear($("versions"));
    versions.slice().reverse().forEach(function (v) {
      var what = [M.formatDate(v.created_at), v.author, M.humanize(v.source)];
      if (v.sent_at) what.push("sent");
      list.appendChild(el("li", { class: "version" },
        el("span", { class: "num", text: "v" + v.version }),
        el("span", { class: "what", text: what.filter(Boolean).join(" · ") })));
    });
    ["diff-from", "diff-to"].forEach(function (id, i) {
      var select = M.clear($(id));
      versions.forEach(function (v) { select.appendChild(el("option", { value: String(v.version), text: "Version " + v.version })); });
      var n = versions.length;
      select.value = String(i === 0 ? Math.max(1, n - 1) : n);
    });
  }

  function renderSlips(slips) {
    var list = M.clear($("slips"));
    var moved = slips.filter(function (s) { return s.moves > 0; });
    moved.forEach(function (s) {
      var days = s.days > 0 ? "+" + s.days : String(s.days);
      list.appendChild(el("li", null, el("span", { class: "name", text: s.name }),
        "Moved " + s.moves + " time" + (s.moves > 1 ? "s" : "") + " (" + days + " days): " +
        s.history.map(function (h) { return h.from + " → " + h.to + " in v" + h.version; }).join("; ")));
    });
    if (!moved.length) list.appendChild(el("li", { class: "muted", text: "No milestone has moved." }));
  }

  function compare() {
    var from = $("diff-from").value, to = $("diff-to").value;
    return M.working("Comparing…", function () {
      return M.api("GET", "/api/plans/" + S.planId + "/diff?from=" + from + "&to=" + to);
    }).then(function (diff) {
      var list = M.clear($("redline"));
      diff.changes.forEach(function (c) {
        list.appendChild(el("li", null, el("span", { class: "label", text: c.label || c.path }),
          c.old !== null && c.old !== undefined ? el("del", { text: shown(c.old) }) : null,
          c.old != null && c.new != null ? " " : null,
          c.new !== null && c.new !== undefined ? el("ins", { text: shown(c.new) }) : null));
      });
      if (!diff.changes.length) list.appendChild(el("li", { class: "muted", text: "No differences." }));
    }).catch(function () {});
  }

  /* -- actions --------------------------------------------------------------------------------- */

  function load() {
    var id = S.planId;
    return Promise.all([
      M.api("GET", "/api/plans/" + id),
      M.api("GET", "/api/plans/" + id + "/messages"),
      M.api("GET", "/api/plans/" + id + "/versions"),
      M.api("GET", "/api/plans/" + id + "/slips")
    ]).then(function (all) {
      S.plan = all[0];
      renderHead(all[0]);
      renderConfirmations(all[0]);
      renderProposals(all[1]);
      renderReplies(all[1]);
      renderVersions(all[2]);
      renderSlips(all[3]);
      show("plan");
    });
  }

  function decide(proposal, action) {
    return M.working(action === "accept" ? "Accepting…" : "Rejecting…", function () {
      return M.api("POST", "/api/plans/" + S.planId + "/proposals/" + proposal.id + "/" + action, { json: {} })
        .then(load);
    }).catch(function () {});
  }

  function resend() {
    var item = M.office.item;
    return M.working("Preparing the update…", function () {
      return M.api("POST", "/api/plans/" + S.planId + "/resend", { json: {} }).then(function (email) {
        if (item && item.displayReplyAllForm) {
          item.displayReplyAllForm(email.html);
          return "Opened a reply with version " + email.version + ".";
        }
        return M.copyEmail(email).then(function () { return "Copied version " + email.version + " to the clipboard."; });
      });
    }).then(function (note) { $("sync-note").textContent = note; return load(); }).catch(function () {});
  }

  function refresh() {
    return M.working("Checking for replies…", function () {
      return ingest().then(function (note) { $("sync-note").textContent = note; return load(); });
    }).catch(function () {});
  }

  function pickerForPreview() {
    /* Outside Outlook there is no open conversation: let the seller pick one of their plans. */
    return M.api("GET", "/api/plans").then(function (plans) {
      if (!plans.length) return;
      var select = el("select", { id: "plan-picker" },
        el("option", { value: "", text: "Choose a plan…" }));
      plans.forEach(function (p) { select.appendChild(el("option", { value: p.id, text: p.title + " (MAP-" + p.id + ")" })); });
      select.addEventListener("change", function () {
        if (!select.value) return;
        S.planId = select.value;
        M.working("Loading…", load).catch(function () {});
      });
      $("no-plan").appendChild(el("div", { class: "field" }, el("label", { htmlFor: "plan-picker", text: "Open one of your plans" }), select));
    });
  }

  $("resend").addEventListener("click", resend);
  $("refresh").addEventListener("click", refresh);
  $("compare").addEventListener("click", compare);

  M.ready.then(function () {
    M.status("Loading…", true);
    return findPlan();
  }).then(function (id) {
    if (!id) {
      show("no-plan");
      return M.office.preview ? pickerForPreview() : null;
    }
    S.planId = id;
    return ingest().then(function (note) { $("sync-note").textContent = note; }, function (error) {
      $("sync-note").textContent = (error && error.message) || "";
    }).then(load);
  }).then(function () {
    M.status("", false);
    document.body.dataset.ready = "1";
  }, function (error) {
    M.status("", false);
    show("no-plan");
    M.showError(error);
    document.body.dataset.ready = "1";
  });
})();
