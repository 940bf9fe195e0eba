// Keyboard shortcuts (Linear-style), with "?" showing them. Single keys only when no field has
// the focus and no modifier is held, so typing, the browser's and screen readers' own keys
// are left alone. No inline scripts (CSP).
(function () {
  "use strict";

  var SHORTCUTS = [
    ["?", "Show these shortcuts"],
    ["/", "Search issues"],
    ["c", "New issue"],
    ["g then b", "Go to the board"],
    ["g then i", "Go to the issues"],
    ["j / k", "Next / previous card or issue"],
    ["Enter", "Open the selected card or issue"],
    ["e", "Edit the title (of the issue, or of the selected card or issue)"],
    ["a", "Assign to me (the issue, or the selected card or issue)"],
    ["Esc", "Close menus and this list"]
  ];
  var pendingG = 0;

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable], [contenteditable=''], [contenteditable=true]"));
  }

  function navLink(suffix) {
    return document.querySelector('.topnav a[href$="' + suffix + '"]');
  }

  function go(link) {
    if (link) window.location.assign(link.href);
  }

  function help() {
    var dialog = document.getElementById("shortcuts-help");
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.id = "shortcuts-help";
    dialog.className = "shortcuts-help";
    dialog.setAttribute("aria-labelledby", "shortcuts-title");
    var title = document.createElement("h2");
    title.id = "shortcuts-title";
    title.textContent = "Keyboard shortcuts";
    var list = document.createElement("dl");
    SHORTCUTS.forEach(function (row) {
      var term = document.createElement("dt");
      row[0].split(" ").forEach(function (part) {
        if (part === "then" || part === "/") {
          term.append(" " + part + " ");
        } else {
          var key = document.createElement("kbd");
          key.textContent = part;
          term.append(key);
        }
      });
      var text = document.createElement("dd");
      text.textContent = row[1];
      list.append(term, text);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button button-small";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.append(title, list, close);
    dialog.addEventListener("click", function (event) { if (event.target === dialog) dialog.close(); });
    document.body.append(dialog);
    return dialog;
  }

  // The cards of the board or the rows of the list, by their main link.
  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("#board .card .card-title, .issue-table .issue-title-link"));
  }

  function step(delta) {
    var all = items();
    if (!all.length) return;
    var at = all.indexOf(document.activeElement);
    if (at === -1) {
      var card = document.activeElement && document.activeElement.closest && document.activeElement.closest(".card, tr");
      if (card) at = all.indexOf(card.querySelector(".card-title, .issue-title-link"));
    }
    var next = at === -1 ? (delta > 0 ? 0 : all.length - 1) : Math.max(0, Math.min(all.length - 1, at + delta));
    all[next].focus();
    all[next].scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // The card or list row that has the focus (j / k, Tab), by its main link.
  function selected() {
    var active = document.activeElement;
    var item = active && active.closest && active.closest("#board .card, .issue-table tbody tr");
    return item && item.querySelector(".card-title, .issue-title-link");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // The selected card or row assigned to the person, through the issue's own field endpoint
  // (the issue page's Assignee list posts there too); the board's poll or the list's own
  // refresh then shows it.
  function assignSelectedToMe(link) {
    var me = document.body.dataset.me;
    if (!me) return;
    var key = (link.closest(".card, tr").querySelector(".card-key, .issue-key") || link).textContent.trim();
    var body = new URLSearchParams({ assignee: me });
    fetch(link.pathname + "fields/assignee/", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() }
    }).then(function (answer) {
      if (!answer.ok) {
        var text = answer.headers.get("X-Error-Message");
        try { text = text ? decodeURIComponent(text) : ""; } catch (error) { /* as it is */ }
        window.trackerNotify(text || "Could not assign " + key + " (" + answer.status + ").", "error");
        return;
      }
      window.trackerNotify("Assigned " + key + " to you.", "success");
      document.dispatchEvent(new CustomEvent("tracker:changed"));
      var results = document.getElementById("results");
      if (results && results.contains(link) && window.htmx) {
        var href = link.getAttribute("href");
        htmx.ajax("GET", window.location.pathname + window.location.search, {
          target: "#results", swap: "outerHTML"
        }).then(function () {
          var again = document.querySelector('.issue-title-link[href="' + CSS.escape(href) + '"]');
          if (again) again.focus();
        });
      }
    }).catch(function () {
      window.trackerNotify("Cannot reach the tracker. Check your connection and try again.", "error");
    });
  }

  function assignToMe() {
    var select = document.getElementById("input-assignee");
    if (!select || !select.dataset.me) return;
    var option = select.querySelector('option[value="' + select.dataset.me + '"]');
    if (!option || select.value === select.dataset.me) return;
    select.value = select.dataset.me;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var dialog = document.getElementById("shortcuts-help");
    if (dialog && dialog.open) {
      if (event.key === "?") { event.preventDefault(); dialog.close(); }
      return; // Esc closes the dialog by itself
    }
    if (typing(event.target)) return;
    var key = event.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (key === "b") { event.preventDefault(); go(navLink("/board/")); return; }
      if (key === "i") { event.preventDefault(); go(navLink("/issues/")); return; }
    }
    pendingG = 0;
    switch (key) {
      case "?":
        event.preventDefault();
        help().showModal();
        break;
      case "/":
        var search = document.getElementById("topbar-q") || document.getElementById("filter-q");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      case "c":
        var issues = navLink("/issues/");
        if (issues) { event.preventDefault(); window.location.assign(issues.href + "new/"); }
        break;
      case "g":
        pendingG = Date.now();
        break;
      case "j":
        event.preventDefault();
        step(1);
        break;
      case "k":
        event.preventDefault();
        step(-1);
        break;
      case "e":
        var edit = document.querySelector("#title-block [data-edit-toggle]");
        var card = !edit && document.body.dataset.me && selected();
        if (edit) { event.preventDefault(); edit.click(); }
        // A card or row: its issue page with the title editor open (as the page's Edit link).
        else if (card) { event.preventDefault(); window.location.assign(card.pathname + "?edit=title#edit-title"); }
        break;
      case "a":
        var chosen = selected();
        if (document.getElementById("input-assignee")) { event.preventDefault(); assignToMe(); }
        else if (chosen) { event.preventDefault(); assignSelectedToMe(chosen); }
        break;
    }
  });

  // Opened with the title editor (`e` on a card or row, or the Edit link without JavaScript):
  // the cursor goes into the title.
  document.addEventListener("DOMContentLoaded", function () {
    var title = document.getElementById("edit-title");
    if (title && new URLSearchParams(window.location.search).get("edit") === "title" && title.offsetParent) {
      title.focus();
      title.select();
    }
  });
})();
