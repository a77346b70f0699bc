// "Copy link" buttons: data-copy-link names the input whose value is copied. Without this
// script the buttons stay hidden and the read-only field still shows the link to copy by hand.
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll("[data-copy-link]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copyLink);
    var status = button.closest("div").querySelector("[data-copy-status]");
    if (!source) return;
    var done = function () {
      if (!status) return;
      status.textContent = "Link copied";
      status.dataset.copied = source.value;
    };
    var fallback = function () {
      // Clipboard API refused (insecure origin, no permission): select the text instead.
      source.focus();
      source.select();
      if (status) status.textContent = "Link selected: press Ctrl+C (⌘C) to copy";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.value).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-link]");
    if (button) copy(button);
  });
  document.addEventListener("DOMContentLoaded", function () {
    reveal(document);
  });
  // htmx swaps in a new result (and a new, hidden button) as the learner types.
  document.addEventListener("htmx:load", function (event) {
    reveal(event.target);
    // A different link replaced the copied one: "Link copied" no longer describes it. (Leaving
    // a field to press the button re-sends the same inputs, so the same link comes back.)
    if (event.target.id) {
      var button = document.querySelector('[data-copy-link="' + event.target.id + '"]');
      var status = button && button.closest("div").querySelector("[data-copy-status]");
      if (status && status.dataset.copied !== event.target.value) status.textContent = "";
    }
  });
})();
