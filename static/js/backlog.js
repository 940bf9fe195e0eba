// The backlog: drag issues to rank them and into or out of sprints (SortableJS), select a
// range with shift-click. Every action is also a plain form (see backlog.html). No inline
// scripts (CSP).
(function () {
  "use strict";

  var root = document.getElementById("backlog");
  if (!root || !window.htmx) return;

  var moveUrl = root.dataset.moveUrl;
  var canEdit = root.dataset.canEdit === "true";
  var pending = false;
  var lastDrop = 0;
  var lastChecked = null;

  function sections() { return document.getElementById("backlog-sections"); }

  function neighbour(row, direction) {
    var node = row[direction];
    while (node && !node.classList.contains("backlog-row")) node = node[direction];
    return node;
  }

  function onDragEnd(event) {
    lastDrop = Date.now();
    root.classList.remove("is-dragging");
    var row = event.item;
    if (event.from === event.to && event.oldIndex === event.newIndex) return;
    // "placed": the row is where it belongs already; the answer only updates the totals.
    var values = { issue: row.dataset.number, sprint: event.to.dataset.sprint || "", placed: "1" };
    var above = neighbour(row, "previousElementSibling");
    var below = neighbour(row, "nextElementSibling");
    if (above) values.after = above.dataset.number;
    // Filtered, a section shows some of its issues: hidden ones may lie between two visible
    // ones, so the issue goes right after the one above it.
    var filtered = sections().classList.contains("is-filtered");
    if (below && !(filtered && above)) values.before = below.dataset.number;
    pending = true;
    row.classList.add("is-moving");
    setSortable(false);
    htmx.ajax("POST", moveUrl, { source: root, values: values, swap: "none" });
    var done = function (answer) {
      if (answer.detail.elt !== root) return;
      document.removeEventListener("htmx:afterRequest", done);
      pending = false;
      setSortable(true);
      row.classList.remove("is-moving");
      // Refused: put the row back where it was (the notice says why).
      if (!answer.detail.successful) {
        event.from.insertBefore(row, event.from.children[event.oldIndex] || null);
      }
    };
    document.addEventListener("htmx:afterRequest", done);
  }

  function makeSortable(list) {
    if (!canEdit || !window.Sortable || Sortable.get(list)) return;
    Sortable.create(list, {
      group: "backlog",
      draggable: ".backlog-row",
      filter: ".card-menu, input",
      preventOnFilter: false,
      forceFallback: true,
      fallbackTolerance: 4,
      delay: 180,
      delayOnTouchOnly: true,
      animation: 120,
      ghostClass: "card-ghost",
      chosenClass: "card-chosen",
      dragClass: "card-drag",
      scroll: true,
      bubbleScroll: true,
      emptyInsertThreshold: 24,
      onStart: function () { root.classList.add("is-dragging"); },
      onEnd: onDragEnd
    });
  }

  function setSortable(enabled) {
    root.querySelectorAll(".backlog-list").forEach(function (list) {
      var sortable = window.Sortable && Sortable.get(list);
      if (sortable) sortable.option("disabled", !enabled);
    });
  }

  function init(element) {
    if (element.querySelectorAll) element.querySelectorAll(".backlog-list").forEach(makeSortable);
    if (element.classList && element.classList.contains("backlog-list")) makeSortable(element);
    countSelected();
  }

  // A drop ends over the row's link: that click is not a request to open the issue. Only the
  // one pointer click that ends the drag is swallowed: a click from the keyboard (Enter or
  // Space, detail 0) right after a drop is the user's next action, such as opening a row's
  // "Move to…" menu.
  document.addEventListener("click", function (event) {
    if (event.detail === 0 || Date.now() - lastDrop >= 250) return;
    if (event.target.closest(".backlog-row")) {
      lastDrop = 0;
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Selection: shift-click ticks (or unticks) the range since the last checkbox clicked.
  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest(".row-select");
    if (!box) return;
    var boxes = Array.prototype.slice.call(document.querySelectorAll(".row-select"));
    if (event.shiftKey && lastChecked && boxes.indexOf(lastChecked) !== -1) {
      var from = boxes.indexOf(lastChecked);
      var to = boxes.indexOf(box);
      boxes.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (each) {
        each.checked = box.checked;
      });
    }
    lastChecked = box;
    countSelected();
  });

  function countSelected() {
    var label = document.getElementById("backlog-selected");
    if (!label) return;
    var count = document.querySelectorAll(".row-select:checked").length;
    label.textContent = count
      ? count + " selected"
      : "Select issues with their checkboxes (shift-click for a range)";
  }

  // A menu's form sent (a row's "Move to…", a sprint's Start or Edit): that menu closes. Other
  // menus stay as they are: a drag's request must not close the menu the user opens next.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var menu = event.detail.elt.closest && event.detail.elt.closest("#backlog details[open]");
    if (menu) menu.removeAttribute("open");
  });

  htmx.onLoad(init);
})();
