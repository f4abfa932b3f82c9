/* CDCI pages, progressive enhancement: the figures are all in tables without this script.
   With it, the computation page follows a run's progress (polling its JSON every second), and the
   ranking pages draw the bar chart of totals (chart.js, served locally) from the data of the table. */
(function () {
  "use strict";

  var language = document.documentElement.lang || "vi";

  // --- progress of a computation ---------------------------------------------------------------
  var board = document.querySelector("[data-run-status-url]");
  if (board) {
    var bar = board.querySelector("[data-run-bar]");
    var percent = board.querySelector("[data-run-percent]");
    var label = board.querySelector("[data-run-label]");
    var errorLine = board.querySelector("[data-run-error]");
    var doneLine = board.querySelector("[data-run-done]");
    var poll = function () {
      fetch(board.getAttribute("data-run-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { window.setTimeout(poll, 3000); return; }
          bar.value = data.progress;
          bar.textContent = data.progress + "%";
          percent.textContent = data.progress;
          label.textContent = data.status_label;
          board.querySelector("[data-run-waiting]").hidden = !data.waiting;
          if (data.done) board.querySelector("[data-run-cancel]").hidden = true;
          if (data.status === "failed" || data.status === "cancelled") {
            errorLine.textContent = data.error;
            errorLine.hidden = false;
          } else if (data.status === "done") {
            doneLine.hidden = false;
            doneLine.querySelector("a").focus();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }

  // --- bar chart of totals -----------------------------------------------------------------------
  var dataNode = document.getElementById("cdci-chart-data");
  var canvas = document.getElementById("cdci-chart");
  if (!dataNode || !canvas || typeof window.Chart === "undefined") return;
  var data = JSON.parse(dataNode.textContent);
  // The box's height grows with the number of units; set here, since the policy allows no inline style.
  var box = canvas.parentNode;
  if (box.dataset.height) box.style.height = box.dataset.height + "px";
  var numbers = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ data: data.totals, backgroundColor: "#0b4f8a", borderRadius: 3, maxBarThickness: 28 }]
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: function (context) {
              var i = context.dataIndex;
              var text = numbers.format(context.parsed.x);
              if (data.low[i] !== null) text += " (" + numbers.format(data.low[i]) + "–" + numbers.format(data.high[i]) + ")";
              return text;
            }
          }
        }
      },
      scales: {
        x: { min: 0, max: 100, ticks: { callback: function (value) { return numbers.format(value).replace(/[.,]00$/, ""); } } },
        y: { ticks: { autoSkip: false } }
      }
    }
  });
})();
