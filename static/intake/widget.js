/* The tracker's feedback widget: one tag on a product's own pages.
 *
 *   <script src="https://tracker.example.com/static/intake/widget.js" defer
 *           data-project="WEB" data-key="pk_…" data-email="…" data-name="…"></script>
 *
 * No dependency; a shadow root keeps the host page's CSS out (and ours in). It posts JSON to
 * the tracker's widget endpoint without cookies; the endpoint answers only the project's
 * publishable key from its allow-listed origins.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.project || !script.dataset.key) {
    return;
  }
  var project = script.dataset.project;
  var endpoint = new URL(script.src).origin + "/api/intake/" + encodeURIComponent(project) + "/widget/";

  var STYLE = [
    ":host { all: initial; }",
    ".fb-button { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; font: 600 14px/1 system-ui, sans-serif;",
    "  background: #4f46e5; color: #fff; border: 0; border-radius: 999px; padding: 12px 18px; cursor: pointer;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.2); }",
    ".fb-button:focus-visible, .fb-panel :focus-visible { outline: 3px solid #a5b4fc; outline-offset: 2px; }",
    ".fb-panel { position: fixed; right: 20px; bottom: 72px; z-index: 2147483000; width: min(340px, calc(100vw - 40px));",
    "  background: #fff; color: #1f2328; border: 1px solid #d0d7de; border-radius: 12px; padding: 16px;",
    "  box-shadow: 0 8px 30px rgba(0,0,0,.18); font: 14px/1.4 system-ui, sans-serif; }",
    ".fb-panel[hidden] { display: none; }",
    ".fb-panel h2 { font-size: 16px; margin: 0 0 8px; }",
    ".fb-panel label { display: block; font-weight: 500; margin: 8px 0 4px; }",
    ".fb-panel input, .fb-panel textarea { box-sizing: border-box; width: 100%; font: inherit; padding: 6px 8px;",
    "  border: 1px solid #d0d7de; border-radius: 6px; background: #fff; color: inherit; }",
    ".fb-actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 12px; }",
    ".fb-actions button { font: inherit; border-radius: 6px; padding: 6px 12px; cursor: pointer; border: 1px solid #d0d7de; background: #f6f8fa; color: inherit; }",
    ".fb-actions button[type=submit] { background: #4f46e5; border-color: #4f46e5; color: #fff; }",
    ".fb-status { margin: 8px 0 0; min-height: 1.4em; }",
    ".fb-status.error { color: #cf222e; }",
    "@media (prefers-color-scheme: dark) { .fb-panel { background: #161b22; color: #e6edf3; border-color: #30363d; }",
    "  .fb-panel input, .fb-panel textarea { background: #0d1117; border-color: #30363d; }",
    "  .fb-actions button { background: #21262d; border-color: #30363d; } }"
  ].join("\n");

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function build() {
    var host = element("div", { "data-tracker-feedback": "" });
    var root = host.attachShadow({ mode: "open" });
    var style = element("style");
    style.textContent = STYLE;
    var button = element("button", { type: "button", "class": "fb-button", "aria-expanded": "false",
      "aria-controls": "fb-panel" }, "Feedback");
    var panel = element("div", { id: "fb-panel", "class": "fb-panel", role: "dialog",
      "aria-label": "Send feedback", hidden: "" });
    var form = element("form");
    form.appendChild(element("h2", {}, "Send feedback"));
    form.appendChild(element("label", { "for": "fb-title" }, "What is it about?"));
    form.appendChild(element("input", { id: "fb-title", name: "title", maxlength: "200", required: "" }));
    form.appendChild(element("label", { "for": "fb-text" }, "Tell us more"));
    form.appendChild(element("textarea", { id: "fb-text", name: "text", rows: "4", maxlength: "10000" }));
    var status = element("p", { "class": "fb-status", role: "status", "aria-live": "polite" });
    var actions = element("div", { "class": "fb-actions" });
    var cancel = element("button", { type: "button" }, "Cancel");
    actions.appendChild(cancel);
    actions.appendChild(element("button", { type: "submit" }, "Send"));
    form.appendChild(status);
    form.appendChild(actions);
    panel.appendChild(form);
    root.appendChild(style);
    root.appendChild(button);
    root.appendChild(panel);

    function toggle(open) {
      panel.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        root.getElementById("fb-title").focus();
      } else {
        button.focus();
      }
    }
    button.addEventListener("click", function () { toggle(panel.hidden); });
    cancel.addEventListener("click", function () { toggle(false); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { toggle(false); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var title = root.getElementById("fb-title").value.trim();
      if (!title) {
        status.className = "fb-status error";
        status.textContent = "Please say what it is about.";
        return;
      }
      status.className = "fb-status";
      status.textContent = "Sending…";
      fetch(endpoint, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          key: script.dataset.key,
          title: title,
          text: root.getElementById("fb-text").value,
          page_url: window.location.href.slice(0, 500),
          email: script.dataset.email || "",
          name: script.dataset.name || ""
        })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            throw new Error(body.message || "Could not send: please try again later.");
          }
          form.reset();
          status.textContent = "Thank you! The team will read it.";
        });
      }).catch(function (error) {
        status.className = "fb-status error";
        status.textContent = error.message === "Failed to fetch" ? "Could not send: please try again later." : error.message;
      });
    });
    document.body.appendChild(host);
  }

  if (document.body) {
    build();
  } else {
    document.addEventListener("DOMContentLoaded", build);
  }
}());
