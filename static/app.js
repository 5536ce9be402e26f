// Small enhancements on top of htmx; every page works without them.
"use strict";

// --- Live task rows never take the interval form from under the user --------------------------
// The task list's event stream replaces whole rows (events, and a refresh once a minute).
// While the user is in a row's interval field, its row waits (the newest version is kept) until
// focus leaves the row; a value changed but not saved is carried into every new version of
// the row. A row the user's own Save brings back is the server's answer and swaps as usual.
(function () {
  const waiting = new WeakMap(); // row element -> the newest HTML the stream sent for it

  function intervalForm(row) {
    return row.querySelector("form.interval");
  }

  function editing(form) {
    const focused = document.activeElement;
    return form.contains(focused) && focused.matches("input, select");
  }

  function unsavedValues(form) {
    const changed = [];
    for (const field of form.querySelectorAll("input[id], select[id]")) {
      const dirty = field.tagName === "SELECT"
        ? Array.from(field.options).some((option) => option.selected !== option.defaultSelected)
        : field.value !== field.defaultValue;
      if (dirty) changed.push([field.id, field.value]);
    }
    return changed;
  }

  function swapRow(row, html) {
    const changed = unsavedValues(intervalForm(row));
    htmx.swap(row, html, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
    for (const [id, value] of changed) {
      const field = document.getElementById(id);
      if (field) field.value = value;
    }
  }

  document.addEventListener("htmx:sseBeforeMessage", (event) => {
    const row = event.target;
    const form = row.matches("[data-task-id]") ? intervalForm(row) : null;
    if (!form) return; // not a row (a progress bar): htmx swaps it
    if (editing(form)) {
      event.preventDefault();
      waiting.set(row, event.detail.data);
    } else if (unsavedValues(form).length > 0) {
      event.preventDefault();
      swapRow(row, event.detail.data);
    }
  });

  // Once focus settles outside the row (a click on the row's own buttons must not land on a
  // button swapped away under the pointer), the row takes the newest version it was sent.
  document.addEventListener("focusout", (event) => {
    const row = event.target.closest && event.target.closest("[data-task-id]");
    if (!row || !waiting.has(row)) return;
    setTimeout(() => {
      if (!row.isConnected || row.contains(document.activeElement) || !waiting.has(row)) return;
      const html = waiting.get(row);
      waiting.delete(row);
      swapRow(row, html);
    }, 0);
  });
})();

// --- Buttons that only work with JavaScript (Copy, Print) start hidden; show them -------------------
htmx.onLoad((root) => {
  for (const button of root.querySelectorAll("[data-copy], [data-print]")) button.hidden = false;
});

// --- Copy a new API key --------------------------------------------------------------------------
(function () {
  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    const status = button.closest(".new-key").querySelector("[data-copy-status]");
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied to the clipboard.";
    } catch (error) {
      // No clipboard access (a page not served over HTTPS or localhost): select it for Ctrl+C.
      field.select();
      status.textContent = "Selected: press Ctrl+C (or ⌘C) to copy it.";
    }
  });
})();

// --- Print buttons ---------------------------------------------------------------------------------
// A [data-print] button opens the browser's print dialog; without JavaScript the print view is
// still a plain page the browser's own Print menu prints.
(function () {
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-print]");
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
