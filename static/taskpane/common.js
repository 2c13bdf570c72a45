/* MAP task panes: what both panes share. Plain JS, no build step.
   Untrusted text (plans, replies, API messages) is only ever set with textContent. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("pane-config").textContent || "{}");
  var OFFICE_TIMEOUT_MS = 4000;

  function $(id) { return document.getElementById(id); }

  /* el("li", {class: "x", text: "y", onclick: f, dataset: {...}, attrs: {...}}, child, ...) */
  function el(tag, props) {
    var node = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
      else if (key === "attrs") Object.keys(value).forEach(function (k) { node.setAttribute(k, value[k]); });
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node[key] = value;
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function debounce(fn, ms) {
    var timer = null;
    function run() { timer = null; fn(); }
    function debounced() { if (timer) clearTimeout(timer); timer = setTimeout(run, ms); }
    debounced.flush = function () { if (timer) { clearTimeout(timer); run(); } };
    debounced.cancel = function () { if (timer) { clearTimeout(timer); timer = null; } };
    return debounced;
  }

  var busyCount = 0;
  function status(text, busy) {
    var pill = $("status");
    if (!pill) return;
    pill.textContent = text || "";
    pill.classList.toggle("busy", !!busy);
  }

  /* Run an async task with a progress label; a failure becomes the plain sentence in the banner. */
  function working(label, task) {
    busyCount++;
    status(label, true);
    hideError();
    return Promise.resolve().then(task).then(function (value) {
      busyCount--;
      if (!busyCount) status("", false);
      return value;
    }, function (error) {
      busyCount--;
      if (!busyCount) status("", false);
      showError(error);
      throw error;
    });
  }

  function showError(error) {
    var box = $("error");
    if (!box) return;
    var message = (error && error.message) || String(error || "Something went wrong.");
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() { var box = $("error"); if (box) box.hidden = true; }

  /* -- Office ---------------------------------------------------------------------------------- */

  var office = { host: null, item: null, mailbox: null, preview: true };

  function officeReady() {
    if (typeof window.Office === "undefined" || !window.Office.onReady) {
      return Promise.resolve(office);
    }
    var ready = window.Office.onReady().then(function (info) {
      var host = info && info.host;
      var mailbox = host && window.Office.context && window.Office.context.mailbox;
      office.host = host || null;
      office.mailbox = mailbox || null;
      office.item = mailbox ? mailbox.item : null;
      office.preview = !office.item;
      return office;
    });
    var timeout = new Promise(function (resolve) {
      setTimeout(function () { resolve(office); }, OFFICE_TIMEOUT_MS);
    });
    return Promise.race([ready, timeout]);
  }

  /* Promise around an Office callback API. */
  function officeCall(start) {
    return new Promise(function (resolve, reject) {
      start(function (result) {
        if (result && result.status === "failed") {
          var message = (result.error && result.error.message) || "Outlook could not do that.";
          reject(new Error("Outlook: " + message));
        } else {
          resolve(result ? result.value : undefined);
        }
      });
    });
  }

  function htmlCoercion() {
    var O = window.Office;
    return { coercionType: (O && O.CoercionType && O.CoercionType.Html) || "html" };
  }

  /* -- auth ------------------------------------------------------------------------------------ */

  var auth = { token: null, msal: null, account: null };

  function devUser() {
    var input = $("dev-user");
    var value = (input && input.value.trim()) || "";
    return value || cfg.devUser || "demo@localhost";
  }

  function setupDevBar() {
    if (cfg.authMode !== "dev") return;
    var bar = $("devbar");
    var input = $("dev-user");
    if (!bar || !input) return;
    var saved = null;
    try { saved = window.localStorage.getItem("map.devUser"); } catch (e) { saved = null; }
    input.value = saved || cfg.devUser || "demo@localhost";
    input.addEventListener("change", function () {
      try { window.localStorage.setItem("map.devUser", input.value.trim()); } catch (e) { /* private mode */ }
    });
    bar.hidden = false;
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var script = el("script", { src: url, async: true });
      script.onload = resolve;
      script.onerror = function () { reject(new Error("The sign-in library could not be loaded.")); };
      document.head.appendChild(script);
    });
  }

  function msalClient() {
    if (auth.msal) return auth.msal;
    auth.msal = (window.msal ? Promise.resolve() : loadScript(cfg.msalUrl)).then(function () {
      return window.msal.createNestablePublicClientApplication({
        auth: { clientId: cfg.msClientId, authority: cfg.authority },
        cache: { cacheLocation: "localStorage" }
      });
    });
    auth.msal.catch(function () { auth.msal = null; });
    return auth.msal;
  }

  /* Nested App Authentication: silent first, then a popup; the fallback button when both fail. */
  function accessToken(interactive) {
    if (auth.token) return Promise.resolve(auth.token);
    var request = { scopes: [cfg.apiScope] };
    return msalClient().then(function (client) {
      var accounts = client.getAllAccounts ? client.getAllAccounts() : [];
      if (accounts.length) request.account = accounts[0];
      var attempt = interactive ? client.acquireTokenPopup(request) : client.acquireTokenSilent(request)
        .catch(function () { return client.acquireTokenPopup(request); });
      return attempt;
    }).then(function (result) {
      auth.token = result.accessToken;
      var banner = $("signin");
      if (banner) banner.hidden = true;
      return auth.token;
    }, function () {
      var banner = $("signin");
      if (banner) banner.hidden = false;
      throw new Error("Sign in to continue: single sign-on did not work here.");
    });
  }

  function authHeaders() {
    if (cfg.authMode === "dev") return Promise.resolve({ "X-Dev-User": devUser() });
    return accessToken(false).then(function (token) { return { Authorization: "Bearer " + token }; });
  }

  /* -- API ------------------------------------------------------------------------------------- */

  function ApiError(status, body) {
    this.name = "ApiError";
    this.status = status;
    this.code = body && body.error;
    this.field = body && body.field;
    this.message = (body && body.message) || ("The server answered " + status + ".");
  }
  ApiError.prototype = Object.create(Error.prototype);

  /* api("POST", "/api/plans", {json: {...}}) -> parsed JSON; failures throw ApiError with the
     server's own sentence. */
  function api(method, path, options) {
    options = options || {};
    return authHeaders().then(function (headers) {
      var init = { method: method, headers: Object.assign({ Accept: "application/json" }, headers) };
      Object.assign(init.headers, options.headers || {});
      if (options.json !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(options.json);
      } else if (options.body !== undefined) {
        init.body = options.body;
      }
      return fetch(path, init).catch(function () {
        throw new Error("The MAP server could not be reached. Check your connection and try again.");
      });
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!response.ok) {
          if (response.status === 401 && cfg.authMode !== "dev") {
            auth.token = null;
            var banner = $("signin");
            if (banner) banner.hidden = false;
          }
          throw new ApiError(response.status, body);
        }
        return body;
      });
    });
  }

  /* -- email helpers ----------------------------------------------------------------------------- */

  function copyEmail(email) {
    var clip = navigator.clipboard;
    if (clip && window.ClipboardItem && clip.write) {
      var item = new window.ClipboardItem({
        "text/html": new Blob([email.html], { type: "text/html" }),
        "text/plain": new Blob([email.text || ""], { type: "text/plain" })
      });
      return clip.write([item]).catch(function () { return clip.writeText(email.text || email.html); });
    }
    if (clip && clip.writeText) return clip.writeText(email.text || email.html);
    return Promise.reject(new Error("This browser does not allow copying; use Outlook to insert."));
  }

  /* The email at phone width (375 px), scaled to fit the pane, in a sandbox with no scripts. */
  function showEmail(frame, html) {
    frame.srcdoc = html;
    fitFrame(frame);
  }

  function fitFrame(frame) {
    var box = frame.parentNode;
    var scale = Math.min(1, (box.clientWidth || 375) / 375);
    frame.style.transform = "scale(" + scale + ")";
    box.style.height = Math.round(720 * scale) + "px";
  }

  function base64ToBytes(base64) {
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function formatDate(iso) {
    if (!iso) return "";
    var date = new Date(iso.length === 10 ? iso + "T12:00:00" : iso);
    if (isNaN(date.getTime())) return iso;
    var options = { day: "numeric", month: "short", year: "numeric" };
    if (iso.length > 10) { options.hour = "2-digit"; options.minute = "2-digit"; }
    return date.toLocaleString("en-GB", options);
  }

  function humanize(key) {
    var text = String(key || "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function boot() {
    setupDevBar();
    var button = $("signin-button");
    if (button) {
      button.addEventListener("click", function () {
        working("Signing in…", function () { return accessToken(true); });
      });
    }
    return officeReady().then(function (ctx) {
      var banner = $("preview-mode");
      if (banner) banner.hidden = !ctx.preview;
      document.body.classList.toggle("in-office", !ctx.preview);
      return ctx;
    });
  }

  window.MAP = {
    cfg: cfg, $: $, el: el, clear: clear, debounce: debounce, status: status, working: working,
    showError: showError, hideError: hideError, office: office, officeCall: officeCall,
    htmlCoercion: htmlCoercion, api: api, ApiError: ApiError, copyEmail: copyEmail,
    showEmail: showEmail, fitFrame: fitFrame, base64ToBytes: base64ToBytes, formatDate: formatDate,
    humanize: humanize, ready: boot()
  };
})();
