/* Rating form, progressive enhancement: without this script every row shows its reasons and the
   form works the same. With it, a row's reasons appear only for level 1 or 2 (hidden reasons are
   disabled, so they are not sent), the comment shows a live character counter, and the error
   summary takes the focus after a failed send. */
(function () {
  "use strict";

  var DISSATISFIED = ["1", "2"];

  function syncReasons(row) {
    var reasons = row.querySelector("[data-reasons]");
    if (!reasons) return;
    var checked = row.querySelector(".level-input:checked");
    var show = checked !== null && DISSATISFIED.indexOf(checked.value) !== -1;
    reasons.hidden = !show;
    reasons.disabled = !show;
  }

  document.querySelectorAll("[data-rating-row]").forEach(function (row) {
    syncReasons(row);
    row.querySelectorAll(".level-input").forEach(function (radio) {
      radio.addEventListener("change", function () { syncReasons(row); });
    });
  });

  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!field) return;
    var count = counter.querySelector("[data-count]");
    var live = counter.parentNode.querySelector("[data-counter-live]");
    var max = parseInt(field.getAttribute("maxlength"), 10);
    var timer = null;
    field.addEventListener("input", function () {
      count.textContent = String(field.value.length);
      counter.classList.toggle("near-limit", max - field.value.length <= 100);
      if (!live) return;
      // Screen readers hear the count once typing pauses, not at every key.
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        live.textContent = live.getAttribute("data-template").replace("LEFT", String(max - field.value.length));
      }, 1000);
    });
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
