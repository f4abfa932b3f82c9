/* Dashboards, progressive enhancement: every figure is in a table without this script.
   With it, the charts are drawn (chart.js, served locally) from the JSON data island the page carries,
   a change of the period list shows the new period at once, and an export job's page follows its progress. */
(function () {
  "use strict";

  var language = document.documentElement.lang || "vi";
  var whole = new Intl.NumberFormat(language, { maximumFractionDigits: 0 });
  var percent = new Intl.NumberFormat(language, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var LEVEL_COLOURS = ["#1b7f3b", "#5fae6e", "#0b4f8a", "#d9822b", "#b3261e"];

  // --- progress of an export job -------------------------------------------------------------------
  var board = document.querySelector("[data-job-status-url]");
  if (board) {
    var bar = board.querySelector("[data-job-bar]");
    var poll = function () {
      fetch(board.getAttribute("data-job-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { window.setTimeout(poll, 3000); return; }
          bar.value = data.progress;
          bar.textContent = data.progress + "%";
          board.querySelector("[data-job-percent]").textContent = data.progress;
          board.querySelector("[data-job-label]").textContent = data.status_label;
          board.querySelector("[data-job-waiting]").hidden = !data.waiting;
          if (data.done) board.querySelector("[data-job-cancel]").hidden = true;
          if (data.status === "failed" || data.status === "cancelled") {
            var error = board.querySelector("[data-job-error]");
            error.textContent = data.error;
            error.hidden = false;
            window.location.reload();  // offers "Try again"
          } else if (data.status === "done") {
            var done = board.querySelector("[data-job-done]");
            done.hidden = false;
            board.querySelector("[data-job-expires]").textContent = data.expires_at;
            board.querySelector("[data-job-expiry]").hidden = !data.expires_at;
            done.querySelector("a").focus();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    if (board.getAttribute("data-job-active") === "true") window.setTimeout(poll, 500);
  }

  // --- the period list submits itself ----------------------------------------------------------------
  var filters = document.querySelector(".dashboard-filters");
  if (filters) {
    var period = filters.querySelector("select[name=period]");
    if (period) {
      period.addEventListener("change", function () {
        // A chosen period replaces a custom range.
        filters.querySelectorAll("input[type=month]").forEach(function (input) { input.value = ""; });
        filters.requestSubmit ? filters.requestSubmit() : filters.submit();
      });
    }
  }

  // --- charts --------------------------------------------------------------------------------------
  var dataNode = document.getElementById("dashboard-data");
  if (!dataNode || typeof window.Chart === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  var names = data.series;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.animation = false;
  window.Chart.defaults.maintainAspectRatio = false;

  var rateAxis = { min: 0, max: 1, ticks: { callback: function (value) { return percent.format(value).replace(/[.,]0\s?%/, "%"); } } };
  var rateTooltip = function (context) {
    var value = context.parsed.y !== undefined && context.chart.options.indexAxis !== "y" ? context.parsed.y : context.parsed.x;
    return context.dataset.label + ": " + (value === null ? "–" : percent.format(value));
  };

  var draw = {
    trend: function (canvas) {
      return new window.Chart(canvas, {
        data: {
          labels: data.trend.labels,
          datasets: [
            { type: "line", label: names.satisfaction, data: data.trend.satisfaction, borderColor: "#0b4f8a", backgroundColor: "#0b4f8a", yAxisID: "rate", spanGaps: true, tension: 0.2 },
            { type: "line", label: names.adjusted, data: data.trend.adjusted, borderColor: "#1b7f3b", backgroundColor: "#1b7f3b", borderDash: [6, 4], yAxisID: "rate", spanGaps: true, tension: 0.2 },
            { type: "bar", label: names.ratings, data: data.trend.ratings, backgroundColor: "rgba(11, 79, 138, 0.18)", yAxisID: "count" }
          ]
        },
        options: {
          interaction: { mode: "index", intersect: false },
          plugins: {
            tooltip: {
              callbacks: {
                label: function (context) {
                  if (context.dataset.yAxisID === "count") return context.dataset.label + ": " + whole.format(context.parsed.y);
                  return context.dataset.label + ": " + (context.parsed.y === null ? "–" : percent.format(context.parsed.y));
                }
              }
            }
          },
          scales: {
            rate: Object.assign({ position: "left" }, rateAxis),
            count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { callback: function (value) { return whole.format(value); } } }
          }
        }
      });
    },
    units: function (canvas) {
      if (!data.units) return null;
      canvas.parentNode.style.height = Math.max(220, 60 + 34 * data.units.labels.length) + "px";
      return new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.units.labels,
          datasets: [
            { label: names.adjusted, data: data.units.adjusted, backgroundColor: "#0b4f8a", borderRadius: 3, maxBarThickness: 22 },
            { label: names.satisfaction, data: data.units.satisfaction, backgroundColor: "#9bb8d3", borderRadius: 3, maxBarThickness: 22 }
          ]
        },
        options: {
          indexAxis: "y",
          plugins: { tooltip: { callbacks: { label: rateTooltip } } },
          scales: { x: rateAxis, y: { ticks: { autoSkip: false } } }
        }
      });
    },
    levels: function (canvas) {
      return new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.levels.labels,
          datasets: [{ label: names.ratings, data: data.levels.counts, backgroundColor: LEVEL_COLOURS, borderRadius: 3 }]
        },
        options: {
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (context) { return whole.format(context.parsed.y); } } } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0, callback: function (value) { return whole.format(value); } } } }
        }
      });
    },
    cases: function (canvas) {
      if (!data.cases) return null;
      return new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.trend.labels,
          datasets: [
            { label: names.on_time, data: data.cases.on_time, backgroundColor: "#1b7f3b", stack: "answers" },
            { label: names.overdue, data: data.cases.overdue, backgroundColor: "#b3261e", stack: "answers" },
            { label: names.opened, data: data.cases.opened, backgroundColor: "#9bb8d3", stack: "opened" }
          ]
        },
        options: {
          interaction: { mode: "index", intersect: false },
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
        }
      });
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var painter = draw[canvas.getAttribute("data-chart")];
    if (painter) painter(canvas);
  });
})();
