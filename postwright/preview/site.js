// postwright preview: shows, hides and filters what index.html already holds. It never builds HTML
// from data (post text is user content) and makes no request. Routes, in the address's #fragment:
//   #<post-id>                  a post (its first account that passes the filters)
//   #<post-id>.<lang>/<account> a post as one account gets it
//   #calendar/month/2026-12     #calendar/week/2026-11-30 (the Monday)
"use strict";
(() => {
  const all = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const one = (selector, root = document) => root.querySelector(selector);
  const body = document.body;
  const form = one("#filters");

  function criteria() {
    return Object.fromEntries(new FormData(form).entries());
  }

  function passes(element, wanted) {
    const data = element.dataset;
    return (
      (!wanted.platform || data.platform === wanted.platform) &&
      (!wanted.account || data.account === wanted.account) &&
      (!wanted.status || data.status === wanted.status) &&
      (!wanted.from || data.date >= wanted.from) &&
      (!wanted.to || data.date <= wanted.to)
    );
  }

  function applyFilters() {
    const wanted = criteria();
    for (const element of all("[data-entry]")) element.hidden = !passes(element, wanted);
    const visible = (root) => one("[data-entry]:not([hidden])", root) !== null;
    for (const group of all("[data-group]")) group.hidden = !visible(group);
    const items = all(".post-list li[data-post]");
    let shown = 0;
    for (const item of items) {
      item.hidden = !visible(item);
      shown += item.hidden ? 0 : 1;
    }
    one("#shown").textContent = `${shown} of ${items.length} posts`;
    one(".post-list .empty").hidden = shown > 0;
    const post = one("article.post:not([hidden])");
    const listed = post && items.find((item) => item.dataset.post === post.id);
    if (!post || (listed && listed.hidden)) {
      // the open post no longer passes: open the first one that does (or none)
      const first = items.find((item) => !item.hidden);
      showPost(first ? document.getElementById(first.dataset.post) : null, null);
    } else {
      const current = one('[role="tab"][aria-selected="true"]', post);
      if (!current || current.hidden) selectTab(post, null);
    }
  }

  function selectTab(post, key) {
    const tabs = all('[role="tab"]', post);
    let tab = tabs.find((candidate) => candidate.dataset.key === key);
    if (!tab) tab = tabs.find((candidate) => !candidate.hidden) || tabs[0];
    for (const candidate of tabs) {
      const on = candidate === tab;
      candidate.setAttribute("aria-selected", String(on));
      candidate.tabIndex = on ? 0 : -1;
      document.getElementById(candidate.dataset.key).hidden = !on;
    }
    return tab;
  }

  function showPost(post, key) {
    for (const article of all("article.post")) article.hidden = article !== post;
    for (const item of all(".post-list li[data-post]")) {
      const on = post !== null && item.dataset.post === post.id;
      item.classList.toggle("current", on);
      if (on) item.firstElementChild.setAttribute("aria-current", "true");
      else item.firstElementChild.removeAttribute("aria-current");
    }
    if (post) selectTab(post, key);
  }

  function showView(name, period) {
    for (const view of ["posts", "month", "week"]) one(`#view-${view}`).hidden = view !== name;
    for (const link of all("[data-view-link]")) {
      if (link.dataset.viewLink === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (name === "posts") return;
    const periods = all(".period", one(`#view-${name}`));
    const fallback = body.dataset[name === "month" ? "defaultMonth" : "defaultWeek"];
    const chosen = periods.find((p) => p.dataset.period === period) ? period : fallback;
    for (const element of periods) element.hidden = element.dataset.period !== chosen;
  }

  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const calendar = /^calendar\/(month|week)\/(.*)$/.exec(hash);
    if (calendar) return showView(calendar[1], calendar[2]);
    showView("posts");
    const target = hash ? document.getElementById(hash) : null;
    const post = target && target.closest("article.post");
    if (!post) return showPost(document.getElementById(body.dataset.defaultPost), null);
    showPost(post, target === post ? null : hash);
    post.scrollIntoView({ block: "start" }); // the post's title and tabs, not the middle of a tab
  }

  document.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (!tab) return;
    history.replaceState(null, "", `#${encodeURI(tab.dataset.key)}`);
    selectTab(tab.closest("article.post"), tab.dataset.key);
  });
  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest('[role="tab"]');
    if (!tab || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
    const tabs = all('[role="tab"]:not([hidden])', tab.parentElement);
    const step = (event.key === "ArrowRight") === (document.dir !== "rtl") ? 1 : -1;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    next.focus();
    next.click();
  });
  // How far the sticky filter bar reaches down (it wraps to more lines on narrower screens): the post
  // list sticks below it and a post opened from a link scrolls to just below it, not under it.
  function measureStickyBar() {
    const sticky = getComputedStyle(form).position === "sticky";
    document.documentElement.style.setProperty("--sticky", `${sticky ? form.offsetHeight : 0}px`);
  }
  measureStickyBar();
  new ResizeObserver(measureStickyBar).observe(form);
  form.addEventListener("input", applyFilters);
  form.addEventListener("change", applyFilters);
  form.addEventListener("reset", () => setTimeout(applyFilters));
  window.addEventListener("hashchange", route);
  // The browser scrolls to the #fragment's element after this script has run: bring the post's title
  // and tabs back into view once it has.
  window.addEventListener("load", () => {
    const post = one("article.post:not([hidden])");
    if (location.hash && post && !one("#view-posts").hidden) post.scrollIntoView({ block: "start" });
  });
  route();
  applyFilters();
})();
