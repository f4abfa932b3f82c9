/* "Copy" buttons: shown only when this script runs (without it the text can still be selected by hand). */
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-from"));
    var status = document.querySelector("[data-copy-status]");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      var done = function () {
        if (status) status.textContent = button.getAttribute("data-copied-text");
        button.textContent = button.getAttribute("data-copied-text");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
      } else {
        // Plain HTTP (a closed network without TLS): select the key so Ctrl+C copies it.
        selectText(source);
        try { if (document.execCommand("copy")) done(); } catch (error) { /* selected: the user copies */ }
      }
    });
  });
})();
