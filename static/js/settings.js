// Project settings: drag a workflow row by its handle to reorder the statuses. The drop fills
// the order form and submits it: the same POST as the Move up / Move down buttons' page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("[data-sortable-statuses]");
    var form = document.getElementById("status-order-form");
    if (!list || !form || !window.Sortable) return;
    Sortable.create(list, {
      handle: ".drag-handle",
      animation: 120,
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) return;
        var ids = Array.prototype.map.call(list.children, function (row) { return row.dataset.id; });
        form.querySelector("[name=order]").value = ids.join(",");
        form.submit();
      },
    });
  });
})();
