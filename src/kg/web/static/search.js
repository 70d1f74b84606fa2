// The front page's search box: type-ahead from /search/suggest, results from /search, in English
// or Chinese. Everything it fetches comes from this service; hits link to the entity pages.
(function () {
  "use strict";
  const box = document.getElementById("search");
  if (!box) return;
  const input = document.getElementById("search-q");
  const list = document.getElementById("search-suggestions");
  const results = document.getElementById("search-results");
  const NAMESPACE = "https://w3id.org/scad/";
  const TEXT = {
    en: { found: (n) => `${n} result${n === 1 ? "" : "s"}`, none: "Nothing found.", more: "More results",
          failed: "The search failed: " },
    zh: { found: (n) => `共 ${n} 条结果`, none: "没有找到。", more: "更多结果", failed: "搜索失败:" },
  };
  let lang = (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  // The latest requests: older answers arriving late are dropped (a search also drops the
  // suggestions still on their way).
  let suggestAsked = 0;
  let searchAsked = 0;
  let active = -1;
  let timer = null;

  function entityHref(iri) {
    if (!iri.startsWith(NAMESPACE)) return iri;
    return "/scad/" + iri.slice(NAMESPACE.length) + (lang === "zh" ? "?lang=zh" : "");
  }

  function hitParts(hit) {
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = hit.label;
    const type = document.createElement("span");
    type.className = "type";
    type.textContent = hit.type || "";
    const snippet = document.createElement("span");
    snippet.className = "snippet";
    snippet.innerHTML = hit.snippet; // escaped by the service, matches in <mark>
    if (snippet.textContent === hit.label) { // the label itself matched: mark it there
      label.innerHTML = hit.snippet;
      snippet.replaceChildren();
    }
    return [label, type, snippet];
  }

  async function ask(url, params) {
    const query = new URLSearchParams({ ...params, lang });
    const response = await fetch(url + "?" + query, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function setLang(value) {
    lang = value;
    for (const el of box.querySelectorAll("[data-" + lang + "]")) el.textContent = el.dataset[lang];
    for (const b of box.querySelectorAll(".search-lang button")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    }
    document.documentElement.lang = lang === "zh" ? "zh" : "en";
  }

  function closeList() {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function choose(hit) {
    window.location.href = entityHref(hit.iri);
  }

  async function suggest() {
    const q = input.value.trim();
    const mine = ++suggestAsked;
    if (!q) return closeList();
    let body;
    try {
      body = await ask(box.dataset.suggest, { q });
    } catch (error) {
      return closeList();
    }
    if (mine !== suggestAsked) return;
    list.replaceChildren();
    active = -1;
    body.hits.forEach((hit, n) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = "search-suggestion-" + n;
      item.dataset.iri = hit.iri;
      item.append(...hitParts(hit));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(hit); });
      item.hit = hit;
      list.append(item);
    });
    list.hidden = body.hits.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
  }

  function move(step) {
    const items = list.querySelectorAll("li");
    if (!items.length) return;
    active = (active + step + items.length) % items.length;
    items.forEach((item, n) => item.setAttribute("aria-selected", String(n === active)));
    input.setAttribute("aria-activedescendant", items[active].id);
  }

  async function search(offset) {
    const q = input.value.trim();
    if (!q) return;
    clearTimeout(timer);
    suggestAsked++;
    closeList();
    const mine = ++searchAsked;
    let body;
    try {
      body = await ask(box.dataset.search, { q, limit: 20, offset });
    } catch (error) {
      results.textContent = TEXT[lang].failed + error.message;
      return;
    }
    if (mine !== searchAsked) return;
    if (offset === 0) results.replaceChildren();
    let ol = results.querySelector("ol");
    if (!ol) {
      const count = document.createElement("p");
      count.className = "count";
      count.textContent = body.total ? TEXT[lang].found(body.total) : TEXT[lang].none;
      ol = document.createElement("ol");
      results.append(count, ol);
    }
    for (const hit of body.hits) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = entityHref(hit.iri);
      const [label, type, snippet] = hitParts(hit);
      link.append(label);
      item.append(link, " ", type, document.createElement("br"), snippet);
      ol.append(item);
    }
    results.querySelector("button.more")?.remove();
    const shown = offset + body.hits.length;
    if (shown < body.total) {
      const more = document.createElement("button");
      more.type = "button";
      more.className = "more";
      more.textContent = TEXT[lang].more;
      more.addEventListener("click", () => search(shown));
      results.append(more);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 60);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") closeList();
    else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(list.querySelectorAll("li")[active].hit);
    }
  });
  input.addEventListener("blur", () => setTimeout(closeList, 150));
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search(0);
  });
  for (const b of box.querySelectorAll(".search-lang button")) {
    b.addEventListener("click", () => { setLang(b.dataset.lang); if (input.value.trim()) suggest(); });
  }
  setLang(lang);
})();
