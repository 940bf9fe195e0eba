// The team board: drag and drop (SortableJS), keyboard moves, quick add, filters in the URL,
// and a live refresh that asks the server whether anything changed. No inline scripts (CSP).
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board || !window.htmx) return;

  var moveUrl = board.dataset.moveUrl;
  var canEdit = board.dataset.canEdit === "true";
  var pollInterval = parseInt(board.dataset.pollInterval, 10) || 10000;
  var VERSION = "X-Board-Version";
  var version = bodyVersion();
  var dragging = false;
  var pending = null; // the move in flight: {card, from, index, focus}
  var lastDrop = 0;

  function body() { return document.getElementById("board-body"); }
  function bodyVersion() { var b = body(); return b ? b.dataset.version || "" : ""; }
  function cardsIn(list) { return list ? list.querySelectorAll(".card").length : 0; }

  // Moves ----------------------------------------------------------------------------------

  function loadedCounts(values, lists) {
    lists.forEach(function (list) {
      if (list && list.dataset.status) values["loaded_" + list.dataset.status] = String(cardsIn(list));
    });
  }

  function sendMove(values, move) {
    pending = move;
    stopPoll();
    setSortable(false); // one move at a time: the next waits for this answer
    move.card.classList.add("is-moving");
    // The board, not the card, sends it: the card is swapped away by the answer.
    htmx.ajax("POST", moveUrl + window.location.search, {
      source: board, values: values, swap: "none"
    });
  }

  function neighbour(card, direction) {
    var node = card[direction];
    while (node && !node.classList.contains("card")) node = node[direction];
    return node;
  }

  function onDragEnd(event) {
    dragging = false;
    lastDrop = Date.now();
    board.classList.remove("is-dragging");
    var card = event.item;
    if (event.from === event.to && event.oldIndex === event.newIndex) return;
    var values = { issue: card.dataset.number, status: event.to.dataset.status };
    var above = neighbour(card, "previousElementSibling");
    var below = neighbour(card, "nextElementSibling");
    if (above) values.after = above.dataset.number;
    // A filtered board or a swimlane shows part of a column: cards the person cannot see may
    // lie between two visible ones, so the card goes right after the one above it.
    var partial = body().hasAttribute("data-partial-columns");
    if (below && !(partial && above)) values.before = below.dataset.number;
    loadedCounts(values, [event.from, event.to]);
    sendMove(values, { card: card, from: event.from, index: event.oldIndex });
  }

  function makeSortable(list) {
    if (!canEdit || !window.Sortable || Sortable.get(list)) return;
    Sortable.create(list, {
      group: "lane-" + (list.dataset.lane || ""), // swimlanes: columns of one lane only
      draggable: ".card",
      filter: ".card-menu",
      preventOnFilter: false,
      forceFallback: true, // pointer events everywhere: mouse, touch and test drivers alike
      fallbackTolerance: 4, // a click that wobbles stays a click
      delay: 180,
      delayOnTouchOnly: true, // on phones a swipe still scrolls the columns
      animation: 120,
      ghostClass: "card-ghost",
      chosenClass: "card-chosen",
      dragClass: "card-drag",
      scroll: true,
      bubbleScroll: true,
      onStart: function () {
        dragging = true;
        stopPoll();
        board.classList.add("is-dragging");
      },
      onEnd: onDragEnd
    });
  }

  function setSortable(enabled) {
    board.querySelectorAll(".card-list").forEach(function (list) {
      var sortable = window.Sortable && Sortable.get(list);
      if (sortable) sortable.option("disabled", !enabled);
    });
  }

  function initLists(root) {
    if (root.classList && root.classList.contains("card-list")) makeSortable(root);
    if (root.querySelectorAll) root.querySelectorAll(".card-list").forEach(makeSortable);
  }

  // A drop ends over the card's link: that click is not a request to open the issue.
  document.addEventListener("click", function (event) {
    if (Date.now() - lastDrop < 250 && event.target.closest(".card")) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // The "Move to…" form, from the keyboard or the mouse: the same request as a drag.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest(".move-form");
    if (!form || !board.contains(form)) return;
    event.preventDefault();
    if (pending) return;
    var card = form.closest(".card");
    var values = {};
    new FormData(form, event.submitter).forEach(function (value, name) { values[name] = value; });
    var list = card.closest(".card-list");
    var lane = list.dataset.lane ? "-" + list.dataset.lane : "";
    var target = values.status ? document.getElementById("cards-" + values.status + lane) : list;
    loadedCounts(values, [list, target]);
    form.closest("details").removeAttribute("open");
    sendMove(values, { card: card, focus: card.dataset.number });
  });

  // Changes sent from this board carry the version it shows; the answer hands back the new one
  // when nothing else had changed (else the next poll brings the board up to date).
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "post" && board.contains(event.detail.elt) || event.detail.elt === board) {
      event.detail.headers[VERSION] = version;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var newVersion = xhr && xhr.getResponseHeader(VERSION);
    var post = event.detail.requestConfig && event.detail.requestConfig.verb === "post";
    if (post && newVersion && event.detail.successful) version = newVersion;
    if (!pending || event.detail.elt !== board || !post) return;
    var move = pending;
    pending = null;
    setSortable(true);
    move.card.classList.remove("is-moving");
    if (event.detail.successful) {
      if (move.focus) {
        var moved = document.getElementById("card-" + move.focus);
        var link = moved && moved.querySelector(".card-title");
        if (link) link.focus();
      }
      return;
    }
    // Refused: put the card back where it was (the notice says why).
    if (move.from) move.from.insertBefore(move.card, move.from.children[move.index] || null);
  });

  // Quick add ------------------------------------------------------------------------------

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.classList || !form.classList.contains("quick-add-form")) return;
    var error = form.querySelector(".quick-add-error");
    if (event.detail.successful) {
      form.reset();
      error.textContent = "";
      form.querySelector("input[name=title]").focus();
    } else {
      var xhr = event.detail.xhr;
      var text = xhr.getResponseHeader("X-Error-Message");
      error.textContent = text ? decodeURIComponent(text) : "Could not add the story.";
    }
  });

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.classList && details.classList.contains("quick-add") && details.open) {
      details.querySelector("input[name=title]").focus();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var details = event.target.closest && event.target.closest(".quick-add[open]");
    if (details) {
      details.removeAttribute("open");
      details.querySelector("summary").focus();
    }
  });

  // Filters --------------------------------------------------------------------------------

  // Leave empty fields out of the URL that is pushed to the history: ?assignee=me, not ?q=&….
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.id === "board-filters") {
      var params = event.detail.parameters;
      Object.keys(params).forEach(function (name) {
        if (params[name] === "" || (Array.isArray(params[name]) && !params[name].length)) delete params[name];
      });
    }
  });

  document.addEventListener("change", function (event) {
    var menu = event.target.closest("[data-filter-menu]");
    if (!menu) return;
    var count = menu.querySelectorAll("input:checked").length;
    var badge = menu.querySelector("[data-filter-count]");
    badge.textContent = count;
    badge.hidden = !count;
    menu.querySelector("summary").classList.toggle("is-active", count > 0);
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "board-body") return;
    // An invalid filter answers 400 with the board and the error: show it rather than nothing.
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    // A poll that answers while a card is being dragged or moved waits for the next round.
    if (event.detail.requestConfig.elt === poller && (dragging || pending)) {
      event.detail.shouldSwap = false;
    }
  });

  // Live board -----------------------------------------------------------------------------

  function busy() {
    var current = body();
    if (!current || dragging || pending) return true;
    if (current.querySelector("details[open]")) return true;
    var active = document.activeElement;
    return Boolean(active && current.contains(active) && active.matches("input, select, textarea"));
  }

  // The poll has its own source element, so that it never queues behind (or drops) a move,
  // and can be called off when a drag starts.
  var poller = document.getElementById("board-poll");

  function poll() {
    if (document.hidden || busy() || !poller) return;
    var headers = {};
    headers[VERSION] = version;
    htmx.ajax("GET", window.location.pathname + window.location.search, {
      source: poller, target: "#board-body", swap: "outerHTML", headers: headers
    });
  }

  function stopPoll() {
    if (poller) htmx.trigger(poller, "htmx:abort");
  }

  setInterval(poll, pollInterval);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });

  document.addEventListener("htmx:historyRestore", function () {
    version = bodyVersion(); // the restored board may be old: the next poll brings it up to date
    initLists(document);
  });

  htmx.onLoad(function (element) {
    initLists(element);
    if (element.id === "board-body") version = bodyVersion(); // what the board now shows
  });
})();
