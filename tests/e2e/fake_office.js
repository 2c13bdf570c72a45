/* A stand-in for Office.js in the browser tests: injected before the pane's own scripts.
   window.__officeSeed (set by an earlier init script) says what to be; window.__office records
   what the pane asked Outlook to do. */
(function () {
  "use strict";
  var seed = window.__officeSeed || { host: null };
  var rec = window.__office = {
    calls: [], subject: null, inserted: [], replyForms: [], props: Object.assign({}, seed.props || {})
  };
  function done(cb, value) {
    setTimeout(function () { if (cb) cb({ status: "succeeded", value: value }); }, 0);
  }
  function last(args) {
    var cb = args[args.length - 1];
    return typeof cb === "function" ? cb : null;
  }
  var item = null;
  if (seed.host) {
    var compose = seed.mode === "compose";
    item = {
      itemId: seed.itemId || null,
      conversationId: seed.conversationId || null,
      internetMessageId: seed.internetMessageId || null,
      subject: compose ? {
        setAsync: function (text) { rec.calls.push(["subject.setAsync", text]); rec.subject = text; done(last(arguments)); },
        getAsync: function () { done(last(arguments), rec.subject || seed.subject || ""); }
      } : (seed.subject || ""),
      body: {
        setSelectedDataAsync: function (html, options) {
          rec.calls.push(["body.setSelectedDataAsync", options && options.coercionType]);
          rec.inserted.push({ how: "cursor", html: html, coercion: options && options.coercionType });
          done(last(arguments));
        },
        prependAsync: function (html, options) {
          rec.calls.push(["body.prependAsync", options && options.coercionType]);
          rec.inserted.push({ how: "prepend", html: html, coercion: options && options.coercionType });
          done(last(arguments));
        },
        getAsync: function () { done(last(arguments), seed.bodyText || ""); }
      },
      getComposeTypeAsync: function () {
        done(last(arguments), { composeType: seed.composeType || "newMail", coercionType: "html" });
      },
      saveAsync: function () {
        rec.calls.push(["saveAsync"]);
        if (!item.conversationId) item.conversationId = seed.conversationAfterSave || null;
        done(last(arguments), seed.savedItemId || "AAMkAGSavedDraft=");
      },
      loadCustomPropertiesAsync: function () {
        done(last(arguments), {
          get: function (key) { return rec.props[key]; },
          set: function (key, value) { rec.props[key] = value; },
          saveAsync: function (cb) { done(cb); }
        });
      },
      getAsFileAsync: function () { rec.calls.push(["getAsFileAsync"]); done(last(arguments), seed.emlBase64 || ""); },
      displayReplyAllForm: function (html) { rec.calls.push(["displayReplyAllForm"]); rec.replyForms.push(html); }
    };
  }
  window.Office = {
    onReady: function (cb) {
      var info = { host: seed.host || null, platform: seed.host ? "OfficeOnline" : null };
      if (cb) setTimeout(function () { cb(info); }, 0);
      return Promise.resolve(info);
    },
    context: seed.host ? {
      mailbox: {
        item: item,
        userProfile: seed.userProfile || { displayName: "Dana Whitfield", emailAddress: "dana@brightpath.example" }
      }
    } : {},
    CoercionType: { Html: "html", Text: "text" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" }
  };
})();
