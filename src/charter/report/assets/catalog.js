// Catalog filters: every row carries its facets as data attributes; filtering only hides rows, so the page
// reads the same without scripts.
"use strict";
(function () {
  const form = document.getElementById("filters");
  const table = document.getElementById("catalog");
  if (!form || !table) {
    return;
  }
  const rows = Array.from(table.tBodies[0].rows);
  const shown = document.getElementById("shown");
  const none = document.getElementById("no-match");

  function matches(row, wanted) {
    if (wanted.kind && row.dataset.kind !== wanted.kind) return false;
    if (wanted.owner && row.dataset.owner !== wanted.owner) return false;
    if (wanted.status && row.dataset.status !== wanted.status) return false;
    if (wanted.tag && JSON.parse(row.dataset.tags || "[]").indexOf(wanted.tag) < 0) return false;
    const words = wanted.text.toLowerCase().split(/\s+/).filter(Boolean);
    return words.every((word) => row.dataset.text.indexOf(word) >= 0);
  }

  function apply() {
    const data = new FormData(form);
    const wanted = {
      text: String(data.get("text") || ""),
      kind: String(data.get("kind") || ""),
      owner: String(data.get("owner") || ""),
      tag: String(data.get("tag") || ""),
      status: String(data.get("status") || ""),
    };
    let count = 0;
    for (const row of rows) {
      const visible = matches(row, wanted);
      row.hidden = !visible;
      if (visible) count += 1;
    }
    shown.textContent = count + " of " + rows.length + " entries";
    none.hidden = count > 0;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", (event) => event.preventDefault());
  // Filters can be linked: index.html#kind=model&tag=sepsis
  const initial = new URLSearchParams(window.location.hash.slice(1));
  for (const [name, value] of initial) {
    if (form.elements[name]) form.elements[name].value = value;
  }
  form.hidden = false;
  apply();
})();
