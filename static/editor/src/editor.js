// The upload form's code editor: CodeMirror 6 (pinned in package-lock.json, bundled by esbuild into
// var/frontend/editor/editor.js) laid over a form's textarea. The textarea stays the form field: the
// editor writes every change back into it (and fires "input" on it, as typing would), and reads it
// again when a script changes it and fires "imagesite:set". Without this script the textarea works.
import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  StreamLanguage,
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
  HighlightStyle,
} from "@codemirror/language";
import { shader } from "@codemirror/legacy-modes/mode/clike";
import { javascript } from "@codemirror/lang-javascript";
import { xml } from "@codemirror/lang-xml";
import { tags } from "@lezer/highlight";

// Each render model's language; a model not listed gets plain text.
const LANGUAGES = {
  svg: () => xml(),
  canvas: () => javascript(),
  three: () => javascript(),
  p5: () => javascript(),
  shader: () => StreamLanguage.define(shader),
  html: () => xml(),
};

// The site's dark palette (static/site/site.css).
const theme = EditorView.theme(
  {
    "&": { backgroundColor: "var(--input-bg, #0b0d12)", color: "var(--text, #e6e8ee)", fontSize: "0.875rem" },
    ".cm-content": { fontFamily: "var(--mono, ui-monospace, monospace)", caretColor: "#fff" },
    ".cm-gutters": { backgroundColor: "transparent", color: "#6b7280", border: "none" },
    ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "rgba(255, 255, 255, 0.04)" },
    "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": { backgroundColor: "rgba(129, 140, 248, 0.35)" },
    "&.cm-focused": { outline: "none" },
    ".cm-scroller": { overflow: "auto" },
  },
  { dark: true },
);

const colours = HighlightStyle.define([
  { tag: [tags.keyword, tags.modifier, tags.controlKeyword], color: "#c084fc" },
  { tag: [tags.string, tags.attributeValue], color: "#86efac" },
  { tag: [tags.number, tags.bool, tags.null], color: "#fbbf24" },
  { tag: [tags.comment, tags.meta], color: "#8b93a7", fontStyle: "italic" },
  { tag: [tags.typeName, tags.tagName], color: "#7dd3fc" },
  { tag: [tags.attributeName, tags.propertyName], color: "#fda4af" },
  { tag: [tags.definition(tags.variableName), tags.function(tags.variableName)], color: "#93c5fd" },
]);

// Lay an editor over `textarea`, in the language of `model` (a render model, or "html").
function attach(textarea, model) {
  const language = new Compartment();
  const view = new EditorView({
    parent: textarea.parentElement,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        indentOnInput(),
        bracketMatching(),
        indentUnit.of("  "),
        // Tab and Shift-Tab indent; Escape then Tab leaves the editor, as CodeMirror documents.
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        language.of(LANGUAGES[model]?.() ?? []),
        syntaxHighlighting(colours),
        theme,
        EditorView.contentAttributes.of(contentAttributes(textarea)),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          textarea.value = update.state.doc.toString();
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
        }),
      ],
    }),
  });
  textarea.after(view.dom);
  view.dom.classList.add("code-editor");
  view.dom.style.minHeight = `${Math.max(4, textarea.rows) * 1.45}em`;
  // The textarea stays in the form, out of sight; the browser's "required" check cannot point at
  // a hidden field, so the server's error summary says it instead.
  textarea.hidden = true;
  textarea.required = false;
  textarea.addEventListener("imagesite:set", () => {
    const text = textarea.value;
    if (text !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  });
  textarea.addEventListener("focus", () => view.focus());
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  label?.addEventListener("click", () => view.focus());
  return {
    view,
    setModel: (next) => view.dispatch({ effects: language.reconfigure(LANGUAGES[next]?.() ?? []) }),
  };
}

function contentAttributes(textarea) {
  const attributes = { spellcheck: "false", autocapitalize: "off", autocorrect: "off" };
  const label = textarea.id && document.querySelector(`label[for="${textarea.id}"]`);
  if (label) {
    label.id ||= `${textarea.id}_label`;
    attributes["aria-labelledby"] = label.id;
  }
  const described = textarea.getAttribute("aria-describedby");
  if (described) attributes["aria-describedby"] = described;
  if (textarea.getAttribute("aria-invalid")) attributes["aria-invalid"] = textarea.getAttribute("aria-invalid");
  return attributes;
}

window.imagesiteEditor = Object.freeze({ attach });
