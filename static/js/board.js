// The team board: drag and drop (SortableJS), keyboard moves, quick add, filters in the URL,
// and a live refresh that asks the server whether anything changed. No inline scripts (CSP).
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board || !window.htmx) return;

  document.documentElement.classList.add("js"); // phones: the filters fold behind a button

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
  function numberOf(card) { return card.id.slice(5); } // id="card-<number>"
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
    markRefusing(null);
    var card = event.item;
    if (event.from === event.to && event.oldIndex === event.newIndex) return;
    var values = { issue: numberOf(card), status: event.to.dataset.status };
    var above = neighbour(card, "previousElementSibling");
    var below = neighbour(card, "nextElementSibling");
    if (above) values.after = numberOf(above);
    // A filtered board or a swimlane shows part of a column: cards the person cannot see may
    // lie between two visible ones, so the card goes right after the one above it.
    var partial = body().hasAttribute("data-partial-columns");
    if (below && !(partial && above)) values.before = numberOf(below);
    loadedCounts(values, [event.from, event.to]);
    sendMove(values, { card: card, from: event.from, index: event.oldIndex });
  }

  function makeSortable(list) {
    if (!canEdit || !window.Sortable || Sortable.get(list)) return;
    Sortable.create(list, {
      group: "lane-" + (list.dataset.lane || ""), // swimlanes: columns of one lane only
      draggable: ".card",
      filter: ".card-menu-button",
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
      onStart: function (event) {
        dragging = true;
        stopPoll();
        closeMenu(false);
        markRefusing(event.from.dataset.status);
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

  // The "Move to…" menu: one per board, opened at a card's ⋯ (a link to the card's move page
  // without JavaScript). It offers only the moves the workflow allows from the card's column.
  var menu = document.getElementById("move-menu");
  var menuFor = null; // the number of the card the menu is open for
  var transitions = {};
  try { transitions = JSON.parse((menu && menu.dataset.transitions) || "{}"); } catch (error) { transitions = {}; }

  function allows(from, to) {
    var targets = transitions[from];
    return String(from) === String(to) || !targets || targets.indexOf(Number(to)) !== -1;
  }

  function menuButtonOf(number) {
    return document.querySelector("#card-" + number + " .card-menu-button");
  }

  function placeMenu(button) {
    var rect = button.getBoundingClientRect();
    var width = menu.offsetWidth, height = menu.offsetHeight;
    var left = Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8));
    var top = rect.bottom + 4;
    if (top + height > window.innerHeight - 8) top = Math.max(8, rect.top - height - 4);
    menu.style.left = left + "px";
    menu.style.top = top + "px";
  }

  function openMenu(button) {
    var card = button.closest(".card");
    var from = card.closest(".card-list").dataset.status;
    var form = menu.querySelector("form");
    menu.querySelectorAll("input[name=issue]").forEach(function (input) { input.value = numberOf(card); });
    menu.querySelector(".menu-heading").textContent = "Move " + card.querySelector(".card-key").textContent + " to";
    var refused = [], fromName = "";
    form.querySelectorAll("button[name=status]").forEach(function (choice) {
      if (choice.value === from) fromName = choice.dataset.statusName;
      var offered = choice.value !== from && allows(from, choice.value);
      choice.hidden = !offered;
      if (!offered && choice.value !== from) refused.push("“" + choice.dataset.statusName + "”");
    });
    var note = menu.querySelector(".menu-note");
    note.hidden = !refused.length;
    note.textContent = refused.length ? "Not allowed from “" + fromName + "”: " + refused.join(", ") : "";
    note.title = refused.length ? "The workflow does not allow moving from “" + fromName + "” to " + refused.join(", ") + "." : "";
    var above = neighbour(card, "previousElementSibling"), below = neighbour(card, "nextElementSibling");
    var up = form.querySelector("[data-reorder=up]"), down = form.querySelector("[data-reorder=down]");
    up.hidden = !above;
    up.value = above ? numberOf(above) : "";
    down.hidden = !below;
    down.value = below ? numberOf(below) : "";
    up.classList.toggle("menu-separated", Boolean(above));
    down.classList.toggle("menu-separated", !above);
    closeMenu(false);
    menu.hidden = false;
    menuFor = numberOf(card);
    button.setAttribute("aria-expanded", "true");
    placeMenu(button);
    var first = form.querySelector("button:not([hidden])");
    if (first) first.focus();
  }

  function closeMenu(returnFocus) {
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    var button = menuFor && menuButtonOf(menuFor);
    menuFor = null;
    if (button) {
      button.removeAttribute("aria-expanded");
      if (returnFocus) button.focus();
    }
  }

  if (menu) {
    document.addEventListener("click", function (event) {
      var button = event.target.closest(".card-menu-button");
      if (button && board.contains(button)) {
        event.preventDefault();
        if (menuFor === numberOf(button.closest(".card"))) closeMenu(true);
        else openMenu(button);
        return;
      }
      if (!menu.contains(event.target)) closeMenu(false);
    });
    document.addEventListener("keydown", function (event) {
      if (menu.hidden) return;
      if (event.key === "Escape") {
        event.preventDefault();
        closeMenu(true);
      } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && menu.contains(event.target)) {
        event.preventDefault();
        var choices = Array.prototype.slice.call(menu.querySelectorAll("button:not([hidden])"));
        var at = choices.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);
        choices[(at + choices.length) % choices.length].focus();
      } else if (event.key === "Tab" && menu.contains(event.target)) {
        var all = menu.querySelectorAll("button:not([hidden])");
        var edge = event.shiftKey ? all[0] : all[all.length - 1];
        if (event.target === edge) { event.preventDefault(); closeMenu(true); }
      }
    });
    // The menu is placed at its ⋯: a scroll or a resize would leave it floating elsewhere.
    document.addEventListener("scroll", function (event) {
      if (!menu.contains(event.target)) closeMenu(false);
    }, true);
    window.addEventListener("resize", function () { closeMenu(false); });
  }

  // The menu's release choices post by themselves (hx-post); the menu closes as they go.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (menu && event.detail.elt.classList && event.detail.elt.classList.contains("card-release-form")) closeMenu(true);
  });

  // The menu's form, from the keyboard or the mouse: the same request as a drag.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest(".move-form");
    if (!form || !menu || !menu.contains(form)) return;
    event.preventDefault();
    if (pending) return;
    var card = document.getElementById("card-" + form.elements.issue.value);
    closeMenu(false);
    if (!card) return;
    var values = {};
    new FormData(form, event.submitter).forEach(function (value, name) { values[name] = value; });
    var list = card.closest(".card-list");
    var lane = list.dataset.lane ? "-" + list.dataset.lane : "";
    var target = values.status ? document.getElementById("cards-" + values.status + lane) : list;
    loadedCounts(values, [list, target]);
    sendMove(values, { card: card, focus: numberOf(card) });
  });

  // While a card is dragged, the columns that would refuse it are dimmed.
  function markRefusing(from) {
    board.querySelectorAll(".card-list[data-status]").forEach(function (list) {
      var cell = list.closest(".column, .lane-cell") || list;
      cell.classList.toggle("is-refusing", from !== null && !allows(from, list.dataset.status));
    });
    board.querySelectorAll(".lane-column-head").forEach(function (head, index) {
      var first = board.querySelectorAll(".lane-cells")[0];
      var list = first && first.children[index] && first.children[index].querySelector(".card-list");
      head.classList.toggle("is-refusing", Boolean(list) && from !== null && !allows(from, list.dataset.status));
    });
  }

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

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".filters-toggle");
    if (!toggle) return;
    var open = toggle.closest(".board-toolbar").classList.toggle("filters-open");
    toggle.setAttribute("aria-expanded", String(open));
    if (open) document.getElementById("filter-q").focus();
  });

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
    if (event.detail.requestConfig.elt !== poller || event.detail.xhr.status !== 200) return;
    // A poll that answers while a card is being dragged or moved waits for the next round;
    // else it is merged into the board, and replaces it only when its shape changed.
    if (dragging || pending) {
      event.detail.shouldSwap = false;
    } else if (mergeBoard(event.detail.serverResponse)) {
      event.detail.shouldSwap = false;
    } else {
      var active = document.activeElement;
      if (active && body().contains(active) && active.matches("input, textarea")) event.detail.shouldSwap = false;
    }
  });

  // Live board -----------------------------------------------------------------------------

  function busy() {
    return !body() || dragging || Boolean(pending);
  }

  // A card as the server would send it: without the marks this script adds.
  function plain(card) {
    var copy = card.cloneNode(true);
    copy.classList.remove("is-changed");
    var button = copy.querySelector(".card-menu-button");
    if (button) button.removeAttribute("aria-expanded");
    return copy.outerHTML;
  }

  function shape(root) {
    var parts = [root.className];
    root.querySelectorAll(".card-list, .column, .lane, .board-errors, .board-empty, .board-summary").forEach(function (part) {
      parts.push(part.id || part.className);
    });
    return parts.join("|");
  }

  function flash(node) {
    node.classList.add("is-changed");
    setTimeout(function () { node.classList.remove("is-changed"); }, 2600);
  }

  // One column's (or swimlane cell's) cards: unchanged ones stay as they are (with the pages
  // "Show more" loaded and the list's scroll); changed or new ones come in highlighted.
  function mergeList(list, next) {
    var fresh = Array.prototype.filter.call(next.children, function (node) { return node.classList.contains("card"); });
    var shown = Array.prototype.filter.call(list.children, function (node) { return node.classList.contains("card"); });
    var more = document.getElementById(list.id.replace("cards-", "more-"));
    var nextMore = more ? next.parentNode.querySelector("#" + CSS.escape(more.id)) : null;
    var hasMore = Boolean(nextMore && nextMore.querySelector("a"));
    var same = fresh.length <= shown.length && (fresh.length === shown.length || hasMore) &&
      fresh.every(function (card, index) { return card.outerHTML === plain(shown[index]); });
    // The pages "Show more" had loaded stay loaded: until the server sends that many cards
    // again, the cards below the first page stay as they were (no jump, scroll kept). The
    // poll sends first pages only, so they are asked for whenever the board changed: what
    // changed may be below the first page.
    var refill = hasMore && shown.length > fresh.length ? shown.length - fresh.length : 0;
    if (same) {
      if (refill) refillTail(list, nextMore.querySelector("a").getAttribute("hx-get"), fresh.length, refill);
      return false;
    }
    placeCards(list, fresh, 0, refill ? -1 : fresh.length);
    if (refill) {
      refillTail(list, nextMore.querySelector("a").getAttribute("hx-get"), fresh.length, refill);
    } else {
      replaceMore(more, nextMore);
    }
    return true;
  }

  // Put `cards` (as the server sent them) at `start` in the list: unchanged cards keep their
  // node (and focus), changed or new ones come in highlighted; with an `end`, cards after it go.
  function placeCards(list, cards, start, end) {
    var byId = {};
    Array.prototype.forEach.call(list.querySelectorAll(".card"), function (card) { byId[card.id] = card; });
    cards.forEach(function (card, index) {
      var old = byId[card.id];
      var node = old && plain(old) === card.outerHTML ? old : document.importNode(card, true);
      if (node !== old) {
        if (old) old.remove();
        flash(node);
      }
      var at = list.children[start + index];
      if (at !== node) list.insertBefore(node, at || null);
    });
    if (end >= 0) while (list.children.length > end) list.removeChild(list.lastElementChild);
  }

  function replaceMore(more, nextMore) {
    if (more && nextMore && more.outerHTML !== nextMore.outerHTML) {
      var replacement = document.importNode(nextMore, true);
      replacement.removeAttribute("hx-swap-oob");
      more.replaceWith(replacement);
      htmx.process(replacement);
    }
  }

  // The cards after the first page of a column that changed, as many as were shown, from the
  // column's "Show more" URL (its filters and swimlane included).
  function refillTail(list, url, offset, count) {
    var ticket = String(Date.now()) + Math.random();
    list.dataset.refill = ticket;
    url = url.replace(/([?&])offset=\d+/, "$1offset=" + offset) + "&limit=" + Math.min(count, 500);
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html === null || list.dataset.refill !== ticket || !list.isConnected) return;
        delete list.dataset.refill;
        var template = document.createElement("template");
        template.innerHTML = html;
        var cards = Array.prototype.slice.call(template.content.querySelectorAll(".card"));
        placeCards(list, cards, offset, offset + cards.length);
        replaceMore(document.getElementById(list.id.replace("cards-", "more-")),
          template.content.querySelector(".column-more"));
      })
      .catch(function () { /* the next change refreshes the column again */ });
  }

  // The poll's answer, merged into the board: only what changed is replaced, so each column
  // keeps its scroll, its loaded cards, an open quick add, and the focus.
  function mergeBoard(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var next = template.content.getElementById("board-body");
    var current = body();
    if (!next || !current) return false;
    template.content.querySelectorAll("[hx-swap-oob]").forEach(function (part) {
      part.removeAttribute("hx-swap-oob");
      var old = document.getElementById(part.id);
      if (old && old.outerHTML !== part.outerHTML) {
        var copy = document.importNode(part, true);
        old.replaceWith(copy);
        htmx.process(copy);
      }
      part.remove();
    });
    if (shape(current) !== shape(next)) return false;
    // The labels' colours (a label added or recoloured since the page was loaded).
    var labelStyle = next.querySelector("#board-label-style");
    var shownStyle = document.getElementById("board-label-style");
    if (labelStyle && shownStyle && labelStyle.textContent !== shownStyle.textContent) {
      shownStyle.textContent = labelStyle.textContent;
    }
    var active = document.activeElement;
    var activeCard = active && current.contains(active) && active.closest(".card");
    var activeClass = activeCard && active.classList[0];
    next.querySelectorAll(".column-header, .lane-title, .board-summary").forEach(function (part, index) {
      var old = part.id ? document.getElementById(part.id) : current.querySelectorAll("." + part.classList[0])[0];
      if (old && old.outerHTML !== part.outerHTML) {
        var copy = document.importNode(part, true);
        old.replaceWith(copy);
        htmx.process(copy);
      }
    });
    next.querySelectorAll(".card-list").forEach(function (list) {
      var shown = document.getElementById(list.id);
      if (shown) mergeList(shown, list);
    });
    current.dataset.version = next.dataset.version || "";
    version = current.dataset.version;
    if (activeCard && !current.contains(document.activeElement)) {
      var again = document.getElementById(activeCard.id);
      var target = again && activeClass && again.querySelector("." + activeClass);
      if (target) target.focus();
    }
    return true;
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
  // Another script changed an issue (the `a` shortcut): the board shows it now.
  document.addEventListener("tracker:changed", poll);
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
