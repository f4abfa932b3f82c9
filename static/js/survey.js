/* Survey pages, progressive enhancement: the questionnaire works the same without this script.
   With it, a page that failed to save puts the focus on its error summary, and the monitoring page
   refreshes its figures every 30 seconds while the campaign is open. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  var board = document.querySelector("[data-progress-url]");
  if (!board) return;
  var language = document.documentElement.lang || "vi";
  var numbers = new Intl.NumberFormat(language);
  var percents = new Intl.NumberFormat(language, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var small = board.getAttribute("data-small");

  function lookup(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value === undefined || value === null ? undefined : value[key];
    }, data);
  }

  function show(data) {
    board.querySelectorAll("[data-figure]").forEach(function (cell) {
      var value = lookup(data, cell.getAttribute("data-figure"));
      if (value === undefined) return;
      if (cell.hasAttribute("data-rate")) {
        cell.textContent = value === null ? "–" : percents.format(value);
      } else {
        cell.textContent = value === null ? small : numbers.format(value);
      }
    });
    var line = board.querySelector("[data-summary]");
    if (line) line.textContent = data.summary;
    var stamp = board.querySelector("[data-updated]");
    if (stamp) stamp.textContent = new Date(data.updated_at).toLocaleTimeString(language);
    return data.is_open;
  }

  function poll() {
    fetch(board.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && !show(data)) return;
        window.setTimeout(poll, 30000);
      })
      .catch(function () { window.setTimeout(poll, 30000); });
  }

  if (board.getAttribute("data-open") === "true") window.setTimeout(poll, 30000);
})();
