// Issue pages: in-place editors, refusals shown next to their field, bulk selection.
// Loaded by the list, create and detail templates; no inline scripts (CSP).
(function () {
  "use strict";

  // A refused edit (409 conflict, 422 refusal) answers with the fragment that explains it:
  // swap it in where the request came from instead of treating it as a failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 409 || status === 422) && event.detail.requestConfig.elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Other errors of elements that handle their own: say so in a notice.
  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (!elt.closest("[data-own-errors]")) return;
    var xhr = event.detail.xhr;
    var text = xhr.getResponseHeader("X-Error-Message") || "Something went wrong (" + xhr.status + ").";
    window.trackerNotify(decodeURIComponent(text), "error");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr) return;
    // Own saves raise the issue's version: open editors must not see them as someone else's.
    var version = xhr.getResponseHeader("X-Issue-Version");
    if (version && event.detail.successful) {
      document.querySelectorAll("input[data-issue-version]").forEach(function (input) {
        input.value = version;
      });
    }
    var form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
    }
  });

  function editorParts(element) {
    var block = element.closest(".title-block, .description-block, .timeline-comment");
    if (!block) return null;
    return {
      display: block.querySelector("[data-display]"),
      editor: block.querySelector("form[data-editor]")
    };
  }

  function openEditor(parts) {
    parts.display.hidden = true;
    parts.editor.hidden = false;
    var field = parts.editor.querySelector("input[type=text], textarea");
    if (field) {
      field.focus();
      if (field.setSelectionRange) field.setSelectionRange(field.value.length, field.value.length);
    }
  }

  function closeEditor(parts) {
    parts.editor.reset();
    parts.editor.hidden = true;
    parts.display.hidden = false;
    var toggle = parts.display.querySelector("[data-edit-toggle]") ||
      parts.display.closest(".timeline-comment, .title-block, .description-block").querySelector("[data-edit-toggle]");
    if (toggle) toggle.focus();
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-edit-toggle]");
    var cancel = event.target.closest("[data-edit-cancel]");
    var parts = editorParts(toggle || cancel || event.target);
    if (!parts || !parts.display || !parts.editor) return;
    if (toggle) {
      event.preventDefault();
      openEditor(parts);
    } else if (cancel) {
      event.preventDefault();
      closeEditor(parts);
    }
  });

  document.addEventListener("keydown", function (event) {
    var editor = event.target.closest && event.target.closest("form[data-editor], .comment-form");
    if (!editor) return;
    if (event.key === "Escape" && editor.matches("form[data-editor]")) {
      var parts = editorParts(editor);
      if (parts && parts.display) closeEditor(parts);
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      editor.requestSubmit();
    }
  });

  // Bulk edit: "select all on this page" and a count of what is selected.
  function updateBulkCount() {
    var label = document.querySelector("[data-bulk-count]");
    if (!label) return;
    var all = document.querySelector("#bulk-form input[name=all_matching]");
    var boxes = document.querySelectorAll("input[name=issues][form=bulk-form]");
    var chosen = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    if (all && all.checked) {
      label.textContent = "All matching issues selected";
    } else {
      label.textContent = chosen ? chosen + " selected" : "Select issues to change them together";
    }
    var pageBox = document.querySelector("input[data-select-page]");
    if (pageBox) {
      pageBox.checked = boxes.length > 0 && chosen === boxes.length;
      pageBox.indeterminate = chosen > 0 && chosen < boxes.length;
    }
    var bar = document.getElementById("bulk-form");
    if (bar) bar.classList.toggle("has-selection", chosen > 0 || (all && all.checked));
    offerAllowedStatuses(bar, all && all.checked ? null : boxes);
  }

  // The Status list offers only the moves the workflow allows from every selected issue's status
  // (a status with no outgoing rule allows every move); the others are disabled and say why.
  // "All matching" reaches issues not on the page: every status is offered and the server
  // refuses, by key, the moves the workflow forbids.
  function offerAllowedStatuses(bar, boxes) {
    var select = bar && bar.querySelector("select[name=status]");
    if (!select) return;
    var rules = {};
    try { rules = JSON.parse(bar.dataset.transitions || "{}"); } catch (error) { rules = {}; }
    var from = {};
    if (boxes) {
      Array.prototype.forEach.call(boxes, function (box) {
        if (box.checked && box.dataset.status) from[box.dataset.status] = true;
      });
    }
    var names = {};
    Array.prototype.forEach.call(select.options, function (option) { names[option.value] = option.text; });
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var blocked = Object.keys(from).filter(function (status) {
        return status !== option.value && rules[status] && rules[status].indexOf(Number(option.value)) === -1;
      });
      option.disabled = blocked.length > 0;
      option.title = blocked.length ? "The workflow does not allow moving from " + blocked.map(function (status) {
        return "“" + (names[status] || "another status") + "”";
      }).join(", ") + " to “" + option.text + "”." : "";
      if (option.disabled && option.selected) select.value = "";
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-select-page]")) {
      document.querySelectorAll("input[name=issues][form=bulk-form]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("input[data-select-page], input[name=issues], #bulk-form input[name=all_matching]")) {
      updateBulkCount();
    }
  });
  // "All N matching" changes every matching issue, not only the visible ones: ask first, with
  // the count ("Change 1,204 issues?").
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "bulk-form") return;
    var all = form.querySelector("input[name=all_matching]");
    if (!all || !all.checked) return;
    event.preventDefault();
    if (window.confirm("Change " + all.dataset.count + " issues?")) event.detail.issueRequest(true);
  });
  document.addEventListener("htmx:afterSettle", updateBulkCount);
  document.addEventListener("DOMContentLoaded", updateBulkCount);
})();
