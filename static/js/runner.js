// Function runner: a keyboard-friendly code editor and the starter/event pickers.
// Everything here is an enhancement; without it the form still loads starters and runs code.
(function () {
  "use strict";

  function templateText(id) {
    var template = document.getElementById(id);
    return template ? template.content.textContent || template.innerHTML : null;
  }

  // Tab inserts spaces; Escape, then Tab, moves focus on (WCAG 2.1.2: no keyboard trap).
  function enhanceEditor(textarea) {
    var leaving = false;
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        leaving = true;
        return;
      }
      if (event.key !== "Tab" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) {
        leaving = false;
        return;
      }
      if (leaving) {
        leaving = false;
        return;
      }
      event.preventDefault();
      var start = textarea.selectionStart;
      var end = textarea.selectionEnd;
      var indent = "    ";
      textarea.setRangeText(indent, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    });
    textarea.addEventListener("blur", function () {
      leaving = false;
    });
  }

  function enhanceRunner(root) {
    root.querySelectorAll("[data-no-js-only]").forEach(function (element) {
      element.hidden = true;
    });
    root.querySelectorAll("textarea[data-code-editor]").forEach(enhanceEditor);
    var form = root.querySelector("[data-runner-form]");
    if (!form) return;
    var code = form.querySelector("textarea[name=code]");
    var eventText = form.querySelector("textarea[name=event]");
    var runtime = form.querySelector("select[name=runtime]");
    var starterSelect = form.querySelector("[data-starter-select]");
    var eventSelect = form.querySelector("[data-event-select]");

    if (eventSelect) {
      eventSelect.addEventListener("change", function () {
        var text = templateText("event-" + eventSelect.value);
        if (text !== null) eventText.value = text;
      });
    }
    if (starterSelect) {
      starterSelect.addEventListener("change", function () {
        var option = starterSelect.selectedOptions[0];
        var text = templateText("starter-" + starterSelect.value);
        if (text === null || !option) return;
        code.value = text;
        runtime.value = option.dataset.runtime;
        if (eventSelect) {
          eventSelect.value = option.dataset.event;
          eventSelect.dispatchEvent(new Event("change"));
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The runner, and any other page with code editors (labs, the artefact checker).
    document.querySelectorAll(".runner, [data-editor-root]").forEach(enhanceRunner);
  });
})();
