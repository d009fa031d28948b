// postwright preview: a small index.html that draws the post list and the calendars from preview/index.js
// (data, put on the page with textContent only: post text is user content) and loads a post's page (HTML
// escaped when it was built) from preview/posts/<day>.js when it opens. Loads with <script src>, which
// works from file:// where fetch() does not; makes no other request. Only what is on screen is in the
// page: a window of the list, one month or week, one post. Routes, in the address's #fragment:
//   #<post-id>                  a post (its first account that passes the filters)
//   #<post-id>.<lang>/<account> a post as one account gets it
//   #calendar/month/2026-12     #calendar/week/2026-11-30 (the Monday)
"use strict";
(() => {
  const LIST_PAGE = 200; // posts the list shows at a time ("Show more" adds as many)
  const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const all = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const one = (selector, root = document) => root.querySelector(selector);
  const pages = new Map(); // post id -> its page's HTML, once its day's file has loaded
  const loads = new Map(); // day -> Promise of its file
  let data = null;
  let posts = [];
  let entries = [];
  let postById = new Map();
  let entryByKey = new Map();
  let matching = []; // posts with an entry that passes the filters
  let listed = LIST_PAGE;
  let opening = 0; // the latest post asked for: an earlier one that loads later is not shown
  let currentPost = null; // the post open, or being opened

  function rows(fields, table) {
    // a plain loop: at 20,000 rows, Object.fromEntries' pairs took a tenth of the page's opening
    return table.map((row) => {
      const made = {};
      for (let index = 0; index < fields.length; index++) made[fields[index]] = row[index];
      return made;
    });
  }

  function element(tag, attributes = {}, ...children) {
    const made = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined && value !== false) made.setAttribute(name, value);
    }
    made.append(...children.filter((child) => child !== null));
    return made;
  }

  function criteria() {
    return Object.fromEntries(new FormData(one("#filters")).entries());
  }

  function passes(entry, wanted) {
    return (
      (!wanted.platform || entry.platform === wanted.platform) &&
      (!wanted.account || entry.account === wanted.account) &&
      (!wanted.status || entry.status === wanted.status) &&
      (!wanted.from || entry.date >= wanted.from) &&
      (!wanted.to || entry.date <= wanted.to)
    );
  }

  function entryAttributes(entry, wanted, extra) {
    return {
      ...extra,
      "data-entry": "",
      "data-platform": entry.platform,
      "data-account": entry.account,
      "data-status": entry.status,
      "data-date": entry.date,
      hidden: !passes(entry, wanted),
    };
  }

  function chipTitle(entry) {
    const title = `${data.platforms[entry.platform]} · ${entry.account} · ${entry.lang} · ${entry.status}`;
    return entry.problems ? `${title} · ${entry.problems} problem(s)` : title;
  }

  function chipClass(base, entry) {
    return `${base} p-${entry.platform} s-${entry.status} ${entry.worst}`.trim();
  }

  // The post list ------------------------------------------------------------------------------------

  function listItem(post, wanted) {
    const chips = post.entries.map((entry) =>
      element("span", entryAttributes(entry, wanted, { class: chipClass("chip", entry), title: chipTitle(entry) }), entry.account),
    );
    const link = element(
      "a",
      { href: `#${post.id}` },
      element("span", { class: "when" }, element("time", { datetime: post.iso }, post.when)),
      element("bdi", { class: "title" }, post.title),
      element("span", { class: "chips" }, ...chips),
    );
    return element("li", { "data-post": post.id }, link);
  }

  function drawList() {
    const wanted = criteria();
    const shownPosts = matching.slice(0, listed);
    one(".post-list ol").replaceChildren(...shownPosts.map((post) => listItem(post, wanted)));
    const more = one(".post-list .more");
    const rest = matching.length - shownPosts.length;
    more.hidden = rest <= 0;
    more.textContent = `Show ${Math.min(rest, LIST_PAGE)} more (${rest} not shown)`;
    one("#shown").textContent = `${matching.length} of ${posts.length} posts`;
    one(".post-list .empty").hidden = matching.length > 0;
    markCurrent();
  }

  function markCurrent() {
    for (const item of all(".post-list li[data-post]")) {
      const on = currentPost !== null && item.dataset.post === currentPost.id;
      item.classList.toggle("current", on);
      if (on) item.firstElementChild.setAttribute("aria-current", "true");
      else item.firstElementChild.removeAttribute("aria-current");
    }
  }

  function match() {
    const wanted = criteria();
    matching = posts.filter((post) => post.entries.some((entry) => passes(entry, wanted)));
    listed = LIST_PAGE;
  }

  function applyFilters() {
    match();
    drawList();
    redrawCalendar();
    const article = one("article.post");
    if (!currentPost || !matching.includes(currentPost)) {
      // the open post no longer passes: open the first one that does (or none)
      openPost(matching[0] || null, null, false);
    } else if (article && article.id === currentPost.id) {
      filterTabs(article);
      const current = one('[role="tab"][aria-selected="true"]', article);
      if (!current || current.hidden) selectTab(article, null);
    }
  }

  // A post -------------------------------------------------------------------------------------------

  function loadDay(day) {
    if (!loads.has(day)) {
      loads.set(
        day,
        new Promise((resolve, reject) => {
          const script = element("script", { src: `preview/posts/${day}.js` });
          script.onload = resolve;
          script.onerror = () => reject(new Error(`cannot load ${script.src}`));
          document.head.append(script);
        }),
      );
    }
    return loads.get(day);
  }

  function unchangedPage(post) {
    // a pull request's preview gives pages to the posts it changes only: the others link to their file
    const where = /^https?:\/\//.test(post.source)
      ? element("a", { href: post.source, rel: "noopener noreferrer", target: "_blank" }, post.source)
      : element("code", {}, post.source);
    return element(
      "article",
      { class: "post unchanged", id: post.id },
      element("header", {}, element("h2", { dir: "auto" }, post.title)),
      element("p", { class: "meta" }, "Not changed by this pull request, so not shown in full here: ", where),
    );
  }

  async function pageOf(post) {
    if (post.chunk === null) return unchangedPage(post);
    await loadDay(post.chunk);
    const template = document.createElement("template");
    template.innerHTML = pages.get(post.id); // rendered and escaped when the preview was built (page.py)
    return template.content.firstElementChild;
  }

  async function openPost(post, key, scroll) {
    const ticket = ++opening;
    const detail = one(".post-detail");
    currentPost = post;
    markCurrent();
    if (post === null) {
      detail.replaceChildren();
      markCurrent();
      return;
    }
    const current = one("article.post");
    const article = current && current.id === post.id ? current : await pageOf(post);
    if (ticket !== opening) return;
    if (article !== current) detail.replaceChildren(article);
    filterTabs(article);
    selectTab(article, key);
    markCurrent();
    if (scroll) article.scrollIntoView({ block: "start" }); // its title and tabs, not the middle of a tab
  }

  function filterTabs(article) {
    const wanted = criteria();
    for (const tab of all('[role="tab"]', article)) {
      const entry = entryByKey.get(tab.dataset.key);
      tab.hidden = entry ? !passes(entry, wanted) : false;
    }
  }

  function selectTab(article, key) {
    const tabs = all('[role="tab"]', article);
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

  // The calendars ------------------------------------------------------------------------------------

  function parseDay(text) {
    const [year, month, day] = text.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, day));
  }

  function dayKey(day) {
    return day.toISOString().slice(0, 10);
  }

  function dayLabel(day) {
    return `${DAY_NAMES[(day.getUTCDay() + 6) % 7]} ${day.getUTCDate()} ${MONTH_NAMES[day.getUTCMonth()]}`;
  }

  function addDays(day, count) {
    return new Date(day.getTime() + count * 86400000);
  }

  function periodNav(periods, index, view) {
    const [, label] = periods[index];
    const previous = index > 0 ? periods[index - 1][0] : null;
    const next = index + 1 < periods.length ? periods[index + 1][0] : null;
    return element(
      "div",
      { class: "period-nav" },
      previous && element("a", { href: `#calendar/${view}/${previous}`, rel: "prev" }, "‹ previous"),
      element("h2", {}, label),
      next && element("a", { href: `#calendar/${view}/${next}`, rel: "next" }, "next ›"),
    );
  }

  function entriesBetween(first, last) {
    return entries.filter((entry) => entry.date >= first && entry.date <= last);
  }

  function drawMonth(key) {
    const index = Math.max(0, data.months.findIndex(([candidate]) => candidate === key));
    const period = one("#view-month .period");
    if (!data.months.length) return period.replaceChildren();
    const [monthKey] = data.months[index];
    const first = parseDay(`${monthKey}-01`);
    const start = addDays(first, -((first.getUTCDay() + 6) % 7));
    const month = first.getUTCMonth();
    const weekCount = Math.ceil(((first.getTime() - start.getTime()) / 86400000 + daysIn(first)) / 7);
    const end = addDays(start, weekCount * 7 - 1);
    const wanted = criteria();
    const byDay = new Map();
    const found = entriesBetween(dayKey(start), dayKey(end)).sort(
      (a, b) => a.t - b.t || compare(a.postId, b.postId) || compare(a.lang, b.lang) || a.order - b.order,
    );
    for (const entry of found) {
      const groups = byDay.get(entry.date) || new Map();
      byDay.set(entry.date, groups);
      const group = `${entry.t} ${entry.postId} ${entry.lang}`;
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(entry);
    }
    const weeks = [];
    for (let week = 0; week < weekCount; week++) {
      const cells = [];
      for (let offset = 0; offset < 7; offset++) {
        const day = addDays(start, week * 7 + offset);
        const key = dayKey(day);
        const classes = ["day", day.getUTCMonth() === month ? "" : "out", key === data.today ? "today" : ""];
        const groups = [...(byDay.get(key) || new Map()).values()].map((group) => monthGroup(group, wanted));
        cells.push(
          element(
            "td",
            { class: classes.filter(Boolean).join(" "), "data-date": key, "data-label": dayLabel(day) },
            element("span", { class: "num" }, String(day.getUTCDate())),
            groups.length ? element("ul", {}, ...groups) : null,
          ),
        );
      }
      weeks.push(element("tr", {}, ...cells));
    }
    const head = element("tr", {}, ...DAY_NAMES.map((name) => element("th", { scope: "col" }, name)));
    period.dataset.period = monthKey;
    period.replaceChildren(
      periodNav(data.months, index, "month"),
      element("table", { class: "month" }, element("thead", {}, head), element("tbody", {}, ...weeks)),
    );
  }

  function daysIn(first) {
    return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  }

  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function monthGroup(group, wanted) {
    group.sort((a, b) => a.order - b.order);
    const chips = group.map((entry) =>
      element(
        "a",
        entryAttributes(entry, wanted, { class: chipClass("chip", entry), href: `#${entry.key}`, title: chipTitle(entry) }),
        entry.problems ? `${entry.account} !` : entry.account,
      ),
    );
    const title = element(
      "a",
      { class: "title", href: `#${group[0].key}` },
      element("time", {}, group[0].time),
      " ",
      element("bdi", {}, group[0].title),
    );
    return element(
      "li",
      { class: "group", "data-group": "", hidden: !group.some((entry) => passes(entry, wanted)) },
      title,
      element("span", { class: "chips" }, ...chips),
    );
  }

  function drawWeek(key) {
    const index = Math.max(0, data.weeks.findIndex(([candidate]) => candidate === key));
    const period = one("#view-week .period");
    if (!data.weeks.length) return period.replaceChildren();
    const [weekKey] = data.weeks[index];
    const days = [0, 1, 2, 3, 4, 5, 6].map((offset) => addDays(parseDay(weekKey), offset));
    const keys = days.map(dayKey);
    const wanted = criteria();
    const found = entriesBetween(keys[0], keys[6]).sort((a, b) => a.t - b.t || compare(a.key, b.key));
    const head = element(
      "tr",
      {},
      element("th", { scope: "col" }, "Account"),
      ...days.map((day, at) =>
        element("th", { scope: "col", class: keys[at] === data.today ? "today" : null }, dayLabel(day)),
      ),
    );
    const lines = data.accounts.map(([account, platform]) => {
      const mine = found.filter((entry) => entry.account === account);
      const cells = keys.map((key, at) =>
        element(
          "td",
          { "data-label": dayLabel(days[at]) },
          ...mine
            .filter((entry) => entry.date === key)
            .map((entry) =>
              element(
                "a",
                entryAttributes(entry, wanted, { class: `item s-${entry.status} ${entry.worst}`.trim(), href: `#${entry.key}` }),
                element("time", {}, entry.time),
                " ",
                element("bdi", {}, entry.title),
                entry.problems ? " " : null,
                entry.problems ? element("span", { class: "mark" }, "!") : null,
              ),
            ),
        ),
      );
      return element(
        "tr",
        { class: `p-${platform}` },
        element("th", { scope: "row" }, element("span", { class: "dot" }), account),
        ...cells,
      );
    });
    period.dataset.period = weekKey;
    period.replaceChildren(
      periodNav(data.weeks, index, "week"),
      element("table", { class: "week" }, element("thead", {}, head), element("tbody", {}, ...lines)),
    );
  }

  let calendarShown = null; // [view, period] on screen, drawn again when the filters change

  function redrawCalendar() {
    if (calendarShown) (calendarShown[0] === "month" ? drawMonth : drawWeek)(calendarShown[1]);
  }

  function showView(name, period) {
    for (const view of ["posts", "month", "week"]) one(`#view-${view}`).hidden = view !== name;
    for (const link of all("[data-view-link]")) {
      if (link.dataset.viewLink === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (name === "posts") {
      calendarShown = null;
      for (const view of ["month", "week"]) one(`#view-${view} .period`).replaceChildren();
      return;
    }
    const periods = name === "month" ? data.months : data.weeks;
    const fallback = name === "month" ? data.defaultMonth : data.defaultWeek;
    const chosen = periods.some(([key]) => key === period) ? period : fallback;
    calendarShown = [name, chosen];
    redrawCalendar();
  }

  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    const calendar = /^calendar\/(month|week)\/(.*)$/.exec(hash);
    if (calendar) return showView(calendar[1], calendar[2]);
    showView("posts");
    const entry = entryByKey.get(hash);
    const post = entry ? posts[entry.post] : postById.get(hash);
    if (!post) return openPost(postById.get(data.defaultPost) || null, null, false);
    return openPost(post, entry ? entry.key : null, true);
  }

  function start(index) {
    data = index;
    posts = rows(data.fields.post, data.posts);
    entries = rows(data.fields.entry, data.entries);
    for (const post of posts) post.entries = [];
    entries.forEach((entry, order) => {
      entry.order = order;
      entry.postId = posts[entry.post].id;
      posts[entry.post].entries.push(entry);
    });
    postById = new Map(posts.map((post) => [post.id, post]));
    entryByKey = new Map(entries.map((entry) => [entry.key, entry]));
    const form = one("#filters");
    // How far the sticky filter bar reaches down (it wraps to more lines on narrower screens): the post
    // list sticks below it and a post opened from a link scrolls to just below it, not under it.
    const measureStickyBar = () => {
      const sticky = getComputedStyle(form).position === "sticky";
      document.documentElement.style.setProperty("--sticky", `${sticky ? form.offsetHeight : 0}px`);
    };
    measureStickyBar();
    new ResizeObserver(measureStickyBar).observe(form);
    form.addEventListener("input", applyFilters);
    form.addEventListener("change", applyFilters);
    form.addEventListener("reset", () => setTimeout(applyFilters));
    one(".post-list .more").addEventListener("click", () => {
      listed += LIST_PAGE;
      drawList();
    });
    window.addEventListener("hashchange", route);
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
    match(); // the browser may have kept the filters of a previous visit
    drawList();
    route();
  }

  window.postwright = {
    index: start, // preview/index.js
    posts: (found) => {
      // preview/posts/<day>.js
      for (const [id, html] of Object.entries(found)) pages.set(id, html);
    },
  };
})();
