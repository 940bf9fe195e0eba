// Notifications: the unread count in the top bar, and @mention suggestions in comment and
// description boxes. No inline scripts (CSP).
(function () {
  "use strict";

  // The unread count ---------------------------------------------------------------------
  // Answers that know it (the board's poll, among others) carry X-Unread-Count.

  function showUnread(count) {
    var link = document.querySelector("[data-inbox-link]");
    var badge = link && link.querySelector("[data-unread-count]");
    if (!badge || !/^\d+\+?$/.test(count)) return; // "7", or "99+" for more
    badge.textContent = count;
    badge.hidden = count === "0";
    link.setAttribute("aria-label", count === "0" ? "Inbox" : "Inbox, " + count + " unread");
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var count = xhr && xhr.getResponseHeader("X-Unread-Count");
    if (count !== null && count !== undefined) showUnread(count);
  });

  // @mention suggestions -----------------------------------------------------------------

  var BEFORE_CARET = /(^|[^\w@.+-])@([\w.+-]{0,150})$/;
  var box = null; // the open list: {ul, textarea, start}
  var timer = null;
  var seq = 0;

  function mentionsUrl(textarea) {
    var holder = textarea.closest("[data-mentions-url]");
    return holder ? holder.dataset.mentionsUrl : null;
  }

  function typedMention(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = BEFORE_CARET.exec(before);
    if (!match) return null;
    return { query: match[2], start: before.length - match[2].length - 1 };
  }

  function options() {
    return box ? Array.prototype.slice.call(box.ul.querySelectorAll("[data-username]")) : [];
  }

  function activeIndex() {
    return options().findIndex(function (option) { return option.getAttribute("aria-selected") === "true"; });
  }

  function select(index) {
    var all = options();
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (all[index]) {
      box.textarea.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }
  }

  function close() {
    if (!box) return;
    box.textarea.removeAttribute("aria-activedescendant");
    box.textarea.setAttribute("aria-expanded", "false");
    box.ul.remove();
    box = null;
  }

  function open(textarea, start, query) {
    var url = mentionsUrl(textarea);
    if (!url) return;
    if (!box || box.textarea !== textarea) {
      close();
      var ul = document.createElement("ul");
      ul.className = "mention-list";
      ul.id = "mention-list";
      ul.setAttribute("role", "listbox");
      ul.setAttribute("aria-label", "Mention a member");
      textarea.insertAdjacentElement("afterend", ul);
      textarea.setAttribute("aria-controls", ul.id);
      textarea.setAttribute("aria-autocomplete", "list");
      box = { ul: ul, textarea: textarea, start: start };
    }
    box.start = start;
    textarea.setAttribute("aria-expanded", "true");
    var mine = ++seq;
    var list = box.ul;
    htmx.ajax("GET", url + "?q=" + encodeURIComponent(query), {
      target: list, swap: "innerHTML", source: list
    }).then(function () {
      if (mine === seq && box && box.ul === list) select(0);
    });
  }

  function choose(option) {
    if (!box || !option || !option.dataset.username) return;
    var textarea = box.textarea;
    var caret = textarea.selectionStart;
    var text = "@" + option.dataset.username + " ";
    textarea.value = textarea.value.slice(0, box.start) + text + textarea.value.slice(caret);
    var position = box.start + text.length;
    close();
    textarea.focus();
    textarea.setSelectionRange(position, position);
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea") || !mentionsUrl(textarea)) return;
    var typed = typedMention(textarea);
    clearTimeout(timer);
    if (!typed) { close(); return; }
    timer = setTimeout(function () { open(textarea, typed.start, typed.query); }, 120);
  });

  document.addEventListener("keydown", function (event) {
    if (!box || event.target !== box.textarea) return;
    var count = options().length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      select((activeIndex() + step + count) % count);
    } else if ((event.key === "Enter" || event.key === "Tab") && count && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      event.stopPropagation();
      choose(options()[Math.max(activeIndex(), 0)]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  }, true);

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".mention-list [data-username]");
    if (option) {
      event.preventDefault(); // keep the focus in the text box
      choose(option);
    } else if (box && !box.ul.contains(event.target)) {
      close();
    }
  });

  document.addEventListener("focusout", function (event) {
    if (box && event.target === box.textarea) setTimeout(function () {
      if (box && document.activeElement !== box.textarea) close();
    }, 150);
  });
})();
