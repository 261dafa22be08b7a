// The dashboard's only script: local times, live refresh while campaigns run, the cancel dialog.
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

  // A live region polls its own URL while it says something is active, and is replaced by
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
      region.replaceWith(fresh);
      region = fresh;
      if (region.dataset.active === "true") setTimeout(tick, seconds * 1000);
    };
    setTimeout(tick, seconds * 1000);
  }

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) document.getElementById(opener.dataset.openDialog)?.showModal();
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog")?.close();
  });

  formatTimes(document);
  document.querySelectorAll("[data-live]").forEach(watch);
  setInterval(() => formatTimes(document), 20000);
})();
