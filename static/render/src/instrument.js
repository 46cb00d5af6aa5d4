import { parse } from "acorn";
import { ancestor } from "acorn-walk";

const LOOPS = ["ForStatement", "ForInStatement", "ForOfStatement", "WhileStatement", "DoWhileStatement"];

// The post's code with a call to `guard` in every loop (see loop-guard.js), or null when it does not
// parse (it then runs as it is, and the browser reports its syntax error). Each loop becomes
//   {let G_n = G.enter(); label: for (...) {if (--G_n.left <= 0) G.check(G_n, line); ...}}
// (the countdown inline: a call per iteration doubled the cost of a tight per-pixel loop).
// Nothing inserted holds a newline, so every line keeps its number: in the errors the browser
// reports and in the line the guard names.
export function guardLoops(code, guard) {
  let program;
  try {
    program = parse(code, { ecmaVersion: "latest", sourceType: "script", locations: true, allowHashBang: true });
  } catch {
    return null;
  }
  const loops = [];
  const visit = (loop, _state, ancestors) => {
    // A labelled loop keeps its label next to it: the entry goes before the outermost label.
    let statement = loop;
    for (let i = ancestors.length - 2; i >= 0 && ancestors[i].type === "LabeledStatement"; i--) statement = ancestors[i];
    loops.push({ loop, statement });
  };
  ancestor(program, Object.fromEntries(LOOPS.map((type) => [type, visit])));
  // Outer loops first, so that where two insertions meet, the outer one opens first.
  loops.sort((a, b) => a.statement.start - b.statement.start || b.statement.end - a.statement.end);

  const inserts = [];
  const open = (at, text) => inserts.push({ at, text, order: inserts.length + 1 });
  const close = (at) => inserts.push({ at, text: "}", order: 0 }); // a block ending here closes before one opens
  loops.forEach(({ loop, statement }, n) => {
    const state = `${guard}_${n}`;
    const check = `if(--${state}.left<=0)${guard}.check(${state},${loop.loc.start.line});`;
    open(statement.start, `{let ${state}=${guard}.enter();`);
    close(statement.end);
    if (loop.body.type === "BlockStatement") {
      open(loop.body.start + 1, check);
    } else {
      open(loop.body.start, `{${check}`);
      close(loop.body.end);
    }
  });
  inserts.sort((a, b) => a.at - b.at || a.order - b.order);
  let result = "";
  let from = 0;
  for (const { at, text } of inserts) {
    result += code.slice(from, at) + text;
    from = at;
  }
  return result + code.slice(from);
}
