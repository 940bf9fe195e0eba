// Small progressive enhancements shared by every page. No inline scripts (CSP).
(function () {
  "use strict";

  // Dismissible notices: the close button removes its notice; successes fade on their own.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".notice-close");
    if (button) button.closest(".notice").remove();
  });

  function autoDismiss(root) {
    root.querySelectorAll(".notice-success, .notice-info").forEach(function (notice) {
      if (notice.dataset.timer) return;
      notice.dataset.timer = "1";
      setTimeout(function () { notice.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { autoDismiss(document); });
  document.addEventListener("htmx:afterSettle", function () { autoDismiss(document); });

  // Close an open <details> menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  // Tabbing out of an open menu closes it, as clicking elsewhere does.
  document.addEventListener("focusout", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu[open]");
    if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) menu.removeAttribute("open");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // Show server errors of HTMX requests as a notice instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.elt.closest("[data-own-errors]")) return;
    var text = xhr.getResponseHeader("X-Error-Message");
    try {
      text = text ? decodeURIComponent(text) : "";
    } catch (error) {
      // A header that was not percent-encoded: show it as it is.
    }
    window.trackerNotify(text || "Something went wrong (" + xhr.status + "). Please try again.", "error");
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt.closest("[data-own-errors]")) return;
    window.trackerNotify("Cannot reach the tracker. Check your connection and try again.", "error");
  });

  // A server's word after a change that swaps nothing (HX-Trigger: {"trackerNotice": "…"}).
  document.addEventListener("trackerNotice", function (event) {
    window.trackerNotify(String(event.detail.value || ""), "success");
  });

  window.trackerNotify = function (text, level) {
    var box = document.getElementById("notices");
    if (!box) return;
    var notice = document.createElement("div");
    notice.className = "notice notice-" + (level || "info");
    var span = document.createElement("span");
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "notice-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    notice.append(span, close);
    box.append(notice);
    autoDismiss(box);
  };
})();
