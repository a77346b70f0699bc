// Function runner: a keyboard-friendly code editor and the starter/event pickers.
// Everything here is an enhancement; without it the form still loads starters and runs code.
(function () {
  "use strict";

  function templateText(id) {
    var template = document.getElementById(id);
    return template ? template.content.textContent || template.innerHTML : null;
  }

  // Tab inserts spaces; Escape, then Tab, moves focus on (WCAG 2.1.2: no keyboard trap). This
  // is the plain textarea's behaviour until the full editor arrives, and without it.
  function enhanceTextarea(textarea) {
    var leaving = false;
    textarea.addEventListener("keydown", function (event) {
      if (textarea.codeEditor) return;
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

  // The full editor (CodeMirror, static/vendor/codemirror) is about 170 KB compressed, more than
  // a whole page's budget, so it is fetched when a learner first reaches for a code box (hover,
  // touch or keyboard focus), not with the page; until then the textarea above does the job.
  var editorScript = document.currentScript && document.currentScript.dataset.editorSrc;
  var editorLoading = null;

  function loadEditor() {
    if (window.CourseEditor) return Promise.resolve(window.CourseEditor);
    if (!editorScript) return Promise.reject(new Error("no editor"));
    if (!editorLoading) {
      editorLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = editorScript;
        script.onload = function () {
          window.CourseEditor ? resolve(window.CourseEditor) : reject(new Error("no editor"));
        };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return editorLoading;
  }

  function upgrade(textarea) {
    if (textarea.codeEditor || textarea.dataset.upgrading) return;
    textarea.dataset.upgrading = "1";
    loadEditor().then(
      function (CourseEditor) {
        // Focus and selection move over as they were, so keys pressed while the editor was
        // loading, and those after, land where the learner meant (a select-all stays one).
        var hadFocus = document.activeElement === textarea;
        var start = textarea.selectionStart || 0;
        var end = textarea.selectionEnd || start;
        var editor = CourseEditor.attach(textarea, { language: languageOf(textarea) });
        if (hadFocus) {
          var length = editor.view.state.doc.length;
          editor.view.dispatch({
            selection: { anchor: Math.min(start, length), head: Math.min(end, length) },
          });
          editor.view.focus();
        }
      },
      function () {
        delete textarea.dataset.upgrading; // the plain textarea keeps working
      }
    );
  }

  function languageOf(textarea) {
    if (textarea.dataset.language) return textarea.dataset.language;
    var form = textarea.form;
    var runtime = form && form.querySelector("select[name=runtime]");
    return runtime ? editorLanguage(runtime.value) : "";
  }

  // Every Node.js runtime (nodejs, nodejs24) is JavaScript to the editor.
  function editorLanguage(runtime) {
    return runtime.indexOf("nodejs") === 0 ? "nodejs" : runtime;
  }

  function enhanceEditor(textarea) {
    if (textarea.dataset.editorReady) return;
    textarea.dataset.editorReady = "1";
    enhanceTextarea(textarea);
    ["pointerover", "touchstart", "focus"].forEach(function (type) {
      textarea.addEventListener(type, function () { upgrade(textarea); }, { once: true, passive: true });
    });
    if (textarea.hasAttribute("data-editor-eager")) upgrade(textarea);
  }

  // Scripts that replace a code box's text go through here, so the full editor shows it too.
  function setText(textarea, text) {
    if (textarea.codeEditor) textarea.codeEditor.setText(text);
    else textarea.value = text;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
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

    if (runtime) {
      runtime.addEventListener("change", function () {
        if (code.codeEditor) code.codeEditor.setLanguage(editorLanguage(runtime.value));
      });
    }
    if (eventSelect) {
      eventSelect.addEventListener("change", function () {
        var text = templateText("event-" + eventSelect.value);
        if (text !== null) setText(eventText, text);
      });
    }
    if (starterSelect) {
      starterSelect.addEventListener("change", function () {
        var option = starterSelect.selectedOptions[0];
        var text = templateText("starter-" + starterSelect.value);
        if (text === null || !option) return;
        runtime.value = option.dataset.runtime;
        runtime.dispatchEvent(new Event("change"));
        setText(code, text);
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
    // Code boxes that htmx swaps in (a function's test events) get the editor too.
    document.body.addEventListener("htmx:load", function (event) {
      var root = event.detail && event.detail.elt;
      if (!root || !root.querySelectorAll) return;
      root.querySelectorAll("textarea[data-code-editor]").forEach(enhanceEditor);
    });
  });
})();
