// The dashboard's only script: local times, live refresh while campaigns run, the dialogs, and
// the role page's selection and bulk-action confirmation.
"use strict";

(() => {
  const UNITS = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });

  // "1 d 4 h", "3 h 5 min", "45 s": the two largest units, like campaigns/wording.py.
  function duration(seconds, maxParts = 2) {
    let rest = Math.max(0, Math.round(seconds));
    const parts = [];
    for (const [name, size] of UNITS) {
      const value = Math.floor(rest / size);
      rest -= value * size;
      if (value) parts.push(`${value} ${name}`);
      if (parts.length === maxParts) break;
    }
    return parts.join(" ") || "0 s";
  }

  function relative(seconds) {
    if (Math.abs(seconds) < 45) return seconds >= 0 ? "now" : "just now";
    return seconds > 0 ? `in ${duration(seconds)}` : `${duration(-seconds)} ago`;
  }

  function describe(at, format) {
    const seconds = (at.getTime() - Date.now()) / 1000;
    switch (format) {
      case "relative":
        return relative(seconds);
      case "left":
        if (seconds <= 0) return "no time left";
        return `${duration(seconds, seconds >= 86400 ? 1 : 2)} left`;
      case "absolute":
        return absolute.format(at);
      default:
        return `${absolute.format(at)} (${relative(seconds)})`;
    }
  }

  function formatTimes(root) {
    for (const element of root.querySelectorAll("time[datetime]")) {
      const at = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(at.getTime())) continue;
      element.textContent = describe(at, element.dataset.format);
      element.title = full.format(at);
    }
  }

  // Make `current` look like `fresh` while keeping every node that still has a place: a
  // focused link or a ticked box is never swapped, only its changed neighbours are. Children
  // with a `data-key` (the role page's rows) are matched by key, others by position.
  function morph(current, fresh) {
    if (current.isEqualNode(fresh)) return;
    if (current.nodeType !== Node.ELEMENT_NODE) {
      current.nodeValue = fresh.nodeValue;
      return;
    }
    for (const { name } of [...current.attributes]) {
      if (!fresh.hasAttribute(name)) current.removeAttribute(name);
    }
    for (const { name, value } of [...fresh.attributes]) {
      if (current.getAttribute(name) !== value) current.setAttribute(name, value);
    }
    morphChildren(current, fresh);
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName;
  }

  function keyOf(node) {
    return node.nodeType === Node.ELEMENT_NODE ? node.dataset.key : undefined;
  }

  function morphChildren(current, fresh) {
    const keyed = new Map();
    for (const child of current.children) {
      if (child.dataset.key !== undefined) keyed.set(child.dataset.key, child);
    }
    let cursor = current.firstChild;
    for (const next of [...fresh.childNodes]) {
      const key = keyOf(next);
      let match = null;
      if (key !== undefined) match = keyed.get(key) ?? null;
      else if (cursor && sameKind(cursor, next) && keyOf(cursor) === undefined) match = cursor;
      if (match && sameKind(match, next)) {
        if (match === cursor) cursor = cursor.nextSibling;
        else current.insertBefore(match, cursor); // a row that moved (another sort order)
        morph(match, next);
      } else {
        current.insertBefore(next, cursor);
      }
    }
    while (cursor) {
      const after = cursor.nextSibling;
      cursor.remove();
      cursor = after;
    }
  }

  // A live region polls its own URL while it says something is active, and is morphed into
  // the answer. Polls pause while the tab is hidden or a dialog is open.
  function watch(region) {
    const seconds = Number(region.dataset.pollSeconds) || 5;
    if (region.dataset.active !== "true") return;
    let last = null;
    const tick = async () => {
      if (!region.isConnected) return;
      if (document.hidden || document.querySelector("dialog[open]")) {
        setTimeout(tick, seconds * 1000);
        return;
      }
      let response;
      try {
        response = await fetch(region.dataset.live, {
          headers: { "X-Dashboard-Live": "1" },
          credentials: "same-origin",
          cache: "no-cache", // revalidate: an unchanged fragment comes back as a 304
        });
      } catch {
        setTimeout(tick, seconds * 1000);
        return;
      }
      if (response.status === 401) {
        window.location.reload(); // the session ended: the page redirects to sign-in
        return;
      }
      if (!response.ok) {
        setTimeout(tick, seconds * 1000);
        return;
      }
      const html = await response.text();
      if (html === last) {
        setTimeout(tick, seconds * 1000);
        return;
      }
      last = html;
      const template = document.createElement("template");
      template.innerHTML = html.trim();
      const fresh = template.content.querySelector("[data-live]");
      if (!fresh) return;
      formatTimes(fresh);
      const focused = document.activeElement;
      morph(region, fresh);
      // A row moved to another place loses focus in the move: give it back.
      if (focused && focused !== document.activeElement && focused.isConnected) {
        focused.focus({ preventScroll: true });
      }
      countSelection();
      if (region.dataset.active === "true") setTimeout(tick, seconds * 1000);
    };
    setTimeout(tick, seconds * 1000);
  }

  // --- the role page: selection and the one confirmation of a bulk action -------------------

  const BULK = {
    cancel: {
      title: "Cancel campaigns?",
      note: "No more messages will be sent in a cancelled campaign. Messages already sent stay with the candidates. This cannot be undone.",
      confirm: "Cancel campaigns",
      danger: true,
    },
    pause: {
      title: "Pause campaigns?",
      note: "Nothing is sent while a campaign is paused, until you resume it; each still ends 30 days after it started.",
      confirm: "Pause campaigns",
    },
    resume: {
      title: "Resume campaigns?",
      note: "Each paused campaign goes on; a message that fell due meanwhile goes out first.",
      confirm: "Resume campaigns",
    },
  };

  function picked() {
    return [...document.querySelectorAll('input[type="checkbox"][name="candidate"]:checked')];
  }

  function countSelection() {
    const boxes = document.querySelectorAll('input[type="checkbox"][name="candidate"]');
    const count = picked().length;
    for (const element of document.querySelectorAll("[data-selected-count]")) {
      element.textContent = String(count);
    }
    const all = document.getElementById("pick-all");
    if (all) {
      all.checked = boxes.length > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
    }
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  function openBulk(button) {
    const dialog = document.getElementById("bulk-dialog");
    const form = document.getElementById("bulk");
    if (!dialog || !form) return;
    const action = button.dataset.bulkAction;
    const words = BULK[action];
    const field = (name) => form.querySelector(`[data-bulk-field="${name}"]`);
    const selected = picked().length;
    const matching = Number(button.dataset.filterCount) || 0;
    field("action").value = action;
    field("title").textContent = words.title;
    field("note").textContent = words.note;
    field("selected-label").textContent = `The ${plural(selected, "selected candidate")}`;
    field("filter-label").textContent =
      `All ${plural(matching, "campaign")} this filter matches that this changes, on every page`;
    field("selected").disabled = selected === 0;
    field("filter").disabled = matching === 0;
    field(selected > 0 ? "selected" : "filter").checked = true;
    const confirm = field("confirm");
    confirm.textContent = words.confirm;
    confirm.classList.toggle("button--danger", Boolean(words.danger));
    confirm.disabled = selected === 0 && matching === 0;
    dialog.showModal();
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "pick-all") {
      for (const box of document.querySelectorAll('input[type="checkbox"][name="candidate"]')) {
        box.checked = target.checked;
      }
    }
    if (target.matches?.('input[type="checkbox"]')) countSelection();
  });

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) document.getElementById(opener.dataset.openDialog)?.showModal();
    const bulk = event.target.closest("[data-bulk-action]");
    if (bulk) openBulk(bulk);
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog")?.close();
  });

  formatTimes(document);
  countSelection();
  document.querySelectorAll("[data-live]").forEach(watch);
  setInterval(() => formatTimes(document), 20000);
})();
