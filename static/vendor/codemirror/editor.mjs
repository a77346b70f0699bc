// The course's code editor: CodeMirror 6 over a <textarea>, which stays the form field and the
// no-JS fallback. Bundled by build.sh into codemirror.min.js; static/js/runner.js attaches it.
import { EditorState, Compartment, Prec } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentMore, indentLess } from "@codemirror/commands";
import {
  bracketMatching, indentOnInput, syntaxHighlighting, HighlightStyle, indentUnit,
} from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { python } from "@codemirror/lang-python";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { StyleModule } from "style-mod";

// The site's Content-Security-Policy (style-src 'self') refuses the <style> element CodeMirror
// writes its CSS into. Constructed style sheets (document.adoptedStyleSheets) are not inline
// styles, and style-mod already uses them for shadow roots: give it the document as one.
const mountStyles = StyleModule.mount;
const adoptedRoots = new WeakMap();
StyleModule.mount = function (root, modules, options) {
  const doc = root;
  if (doc && doc.nodeType === 9 && doc.adoptedStyleSheets && window.CSSStyleSheet) {
    let asShadow = adoptedRoots.get(doc);
    if (!asShadow) {
      asShadow = {
        ownerDocument: doc,
        get adoptedStyleSheets() { return doc.adoptedStyleSheets; },
        set adoptedStyleSheets(sheets) { doc.adoptedStyleSheets = sheets; },
      };
      adoptedRoots.set(doc, asShadow);
    }
    return mountStyles.call(this, asShadow, modules, options);
  }
  return mountStyles.call(this, root, modules, options);
};

const LANGUAGES = {
  python: () => python(),
  nodejs: () => javascript(),
  javascript: () => javascript(),
  json: () => json(),
};

// Phones get soft wrap: a long line scrolled sideways in a small box is hard to read and edit.
const NARROW = "(max-width: 40em)";

// Colours come from site.css (--cm-*), so light and dark themes both keep WCAG AA contrast.
const highlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.moduleKeyword, tags.operatorKeyword], color: "var(--cm-keyword)", fontWeight: "600" },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: "var(--cm-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--cm-number)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "var(--cm-comment)", fontStyle: "italic" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName), tags.definition(tags.function(tags.variableName))], color: "var(--cm-function)" },
  { tag: [tags.definition(tags.variableName), tags.className, tags.typeName], color: "var(--cm-definition)" },
  { tag: [tags.propertyName], color: "var(--cm-property)" },
  { tag: tags.invalid, color: "var(--bad)" },
]);

function languageFor(name) {
  const make = LANGUAGES[name];
  return make ? make() : [];
}

export function attach(textarea, options = {}) {
  if (textarea.codeEditor) return textarea.codeEditor;
  const language = new Compartment();
  const wrapping = new Compartment();
  const narrow = window.matchMedia ? window.matchMedia(NARROW) : null;
  // Tab indents (as in today's editor); Escape, then Tab, leaves the editor (WCAG 2.1.2).
  let leaving = false;
  const tabKeys = Prec.highest(
    keymap.of([
      {
        key: "Tab",
        run: (view) => {
          if (leaving) {
            leaving = false;
            return false; // not handled: the browser moves focus on
          }
          if (view.state.selection.ranges.every((r) => r.empty)) {
            view.dispatch(view.state.replaceSelection("    "), { scrollIntoView: true, userEvent: "input" });
            return true;
          }
          return indentMore(view);
        },
        shift: (view) => {
          if (leaving) {
            leaving = false;
            return false;
          }
          return indentLess(view);
        },
      },
    ]),
  );
  const attributes = { "aria-multiline": "true" };
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  if (label) {
    if (!label.id) label.id = `${textarea.id}-label`;
    attributes["aria-labelledby"] = label.id;
    label.addEventListener("click", () => view.focus());
  }
  const describedBy = textarea.getAttribute("aria-describedby");
  if (describedBy) attributes["aria-describedby"] = describedBy;
  if (textarea.readOnly) attributes["aria-readonly"] = "true";

  let mirroring = false;
  const view = new EditorView({
    parent: textarea.parentNode,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of("    "),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        syntaxHighlighting(highlightStyle),
        tabKeys,
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
        language.of(languageFor(options.language || textarea.dataset.language)),
        wrapping.of(narrow && narrow.matches ? EditorView.lineWrapping : []),
        EditorState.readOnly.of(textarea.readOnly),
        EditorView.contentAttributes.of(attributes),
        EditorView.domEventHandlers({
          keydown(event) {
            if (event.key === "Escape") leaving = true;
            else if (event.key !== "Tab" && event.key !== "Shift") leaving = false;
            return false;
          },
          blur() {
            leaving = false;
            return false;
          },
        }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged || mirroring) return;
          textarea.value = update.state.doc.toString();
          // htmx autosave and the page's own scripts listen to the textarea, as before.
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }),
      ],
    }),
  });
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  view.dom.classList.add("code-editor-cm");
  textarea.hidden = true;
  textarea.dataset.enhanced = "codemirror";
  if (narrow && narrow.addEventListener) {
    narrow.addEventListener("change", () =>
      view.dispatch({ effects: wrapping.reconfigure(narrow.matches ? EditorView.lineWrapping : []) }),
    );
  }
  const editor = {
    view,
    // Text set by a script (a starter, a sample event) replaces the document without an echo.
    setText(text) {
      mirroring = true;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      mirroring = false;
      textarea.value = text;
    },
    setLanguage(name) {
      view.dispatch({ effects: language.reconfigure(languageFor(name)) });
    },
  };
  textarea.codeEditor = editor;
  return editor;
}

window.CourseEditor = { attach };
