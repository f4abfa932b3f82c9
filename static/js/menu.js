// The header menu on small screens: collapsed behind a "Menu" button (aria-expanded tells its state).
// The page works without this file: the button stays hidden and the menu stays open.
(function () {
  "use strict";
  const button = document.querySelector(".menu-toggle");
  const nav = document.getElementById("main-nav");
  if (!button || !nav) {
    return;
  }
  document.documentElement.classList.add("menu-collapsible");
  button.hidden = false;

  function setOpen(open) {
    button.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  }

  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the open menu and gives the focus back to its button.
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      setOpen(false);
      button.focus();
    }
  });
})();
