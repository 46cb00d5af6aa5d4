import { guarded } from "../errors.js";

// The page a canvas or three.js sketch was written for. Its own HTML comes with the post (the
// html field, like CodePen's HTML panel); without it, the elements such a page would have are
// made up when the code looks for them, so code pasted unchanged still finds them.

// The post's HTML fragment, first in the body, inside the same sandbox. Parsed as a fragment,
// so nothing in it can reach past it; its scripts are removed (the CSP would block them anyway).
export function insertHtml(html) {
  if (!html) return;
  const template = document.createElement("template");
  template.innerHTML = html;
  template.content.querySelectorAll("script").forEach((script) => script.remove());
  document.body.prepend(template.content);
}

const SIMPLE_SELECTOR = /^\s*([a-z][a-z0-9-]*)?((?:[#.][\w-]+)+)\s*$/i;

// An element looked up by id or class that the page does not have (its #info line, the
// <div id="container"> its renderer goes in, its <canvas id="c">) is made on the spot: a
// full-viewport canvas, hidden until drawn on, that passes what is put in it on to the page,
// so it serves as the sketch's canvas, as a container, or as a line nobody sees.
export function provideStandIns() {
  const byId = document.getElementById.bind(document);
  const query = document.querySelector.bind(document);
  const byClass = document.getElementsByClassName.bind(document);
  document.getElementById = function getElementById(id) {
    return byId(id) || (String(id) ? standIn({ id: String(id) }) : null);
  };
  document.querySelector = function querySelector(selectors) {
    const found = query(selectors);
    const simple = !found && SIMPLE_SELECTOR.exec(String(selectors));
    if (!simple) return found;
    const parts = simple[2].match(/[#.][\w-]+/g);
    const ids = parts.filter((part) => part[0] === "#").map((part) => part.slice(1));
    if (ids.length > 1) return null;
    const classes = parts.filter((part) => part[0] === ".").map((part) => part.slice(1));
    return standIn({ tag: simple[1], id: ids[0], classes });
  };
  document.getElementsByClassName = function getElementsByClassName(names) {
    const found = byClass(names);
    const name = String(names).trim();
    if (!found.length && /^[\w-]+$/.test(name)) standIn({ classes: [name] });
    return found; // a live collection: it holds the stand-in now
  };
}

export function isStandIn(element) {
  return element.hasAttribute("data-imagesite-stand-in");
}

function standIn({ tag = "canvas", id, classes = [] }) {
  const element = document.createElement(tag);
  if (id) element.id = id;
  if (classes.length) element.classList.add(...classes);
  element.setAttribute("data-imagesite-stand-in", "");
  if (element instanceof HTMLCanvasElement) {
    element.width = window.innerWidth;
    element.height = window.innerHeight;
    const getContext = element.getContext;
    element.getContext = function (...args) {
      element.setAttribute("data-imagesite-stand-in", "drawn"); // shown from now on
      return getContext.apply(this, args);
    };
    passChildrenOn(element);
  }
  document.body.appendChild(element);
  return element;
}

// A canvas shows none of its children: what the code puts in the stand-in goes into a box right
// after it that lays its children out as the body's (display: contents).
function passChildrenOn(canvas) {
  let box = null;
  const holder = () => {
    if (!box) {
      box = document.createElement("div");
      box.style.display = "contents";
      canvas.after(box);
    }
    return box;
  };
  canvas.appendChild = (node) => holder().appendChild(node);
  canvas.append = (...nodes) => holder().append(...nodes);
  canvas.prepend = (...nodes) => holder().prepend(...nodes);
  canvas.insertBefore = (node, child) => holder().insertBefore(node, child && child.parentNode === box ? child : null);
  canvas.replaceChildren = (...nodes) => holder().replaceChildren(...nodes);
}

// Code that runs after the page has loaded (three.js posts run on DOMContentLoaded; a live frame
// may wait for its size) still gets its DOMContentLoaded and load listeners called, once its
// synchronous part is over, as jQuery's ready() does.
export function callLateLoadListeners() {
  const late = [];
  const call = () => {
    while (late.length) {
      const { target, type, listener } = late.shift();
      const event = new Event(type);
      guarded(() => (typeof listener === "function" ? listener.call(target, event) : listener.handleEvent(event)));
    }
  };
  const add = (entry) => late.push(entry) === 1 && queueMicrotask(call); // or sooner: see the return value
  const passed = (type) =>
    (type === "DOMContentLoaded" && document.readyState !== "loading") || (type === "load" && document.readyState === "complete");
  for (const target of [window, document]) {
    const addEventListener = target.addEventListener;
    target.addEventListener = function (type, listener, ...rest) {
      const on = this ?? window; // a bare addEventListener(...) in a sketch calls this with no `this`
      if ((on === window || on === document) && passed(type) && listener) add({ target: on, type, listener });
      return addEventListener.call(this, type, listener, ...rest);
    };
  }
  const onload = Object.getOwnPropertyDescriptor(window, "onload") || Object.getOwnPropertyDescriptor(Window.prototype, "onload");
  Object.defineProperty(window, "onload", {
    configurable: true,
    get: () => onload.get.call(window),
    set(listener) {
      if (passed("load") && typeof listener === "function") add({ target: window, type: "load", listener });
      onload.set.call(window, listener);
    },
  });
  return call; // to call them as soon as the post's script has run
}

// Run `then` once the page has loaded, after the post's own load listeners.
export function afterLoad(then) {
  if (document.readyState === "complete") then();
  else window.addEventListener("load", () => then(), { once: true });
}
