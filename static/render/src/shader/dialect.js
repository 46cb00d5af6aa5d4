// What a fragment shader's source says about itself, read from the code alone: its #version line,
// its entry point (Shadertoy's mainImage or a main of its own), its #extension lines, and which
// identifiers it uses and declares. Comments are blanked first, keeping every line in its place.

export class ShaderError {
  constructor(kind, message) {
    this.kind = kind;
    this.message = message;
  }
}

const TYPES = new Set(
  [
    "void bool int uint float double",
    "vec2 vec3 vec4 ivec2 ivec3 ivec4 uvec2 uvec3 uvec4 bvec2 bvec3 bvec4 dvec2 dvec3 dvec4",
    "mat2 mat3 mat4 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4 dmat2 dmat3 dmat4",
    "sampler1D sampler2D sampler3D samplerCube sampler2DArray sampler2DShadow samplerCubeShadow",
    "sampler2DArrayShadow samplerExternalOES isampler2D isampler3D isamplerCube isampler2DArray",
    "usampler2D usampler3D usamplerCube usampler2DArray sampler2DRect",
  ]
    .join(" ")
    .split(" "),
);
const QUALIFIERS = new Set(
  "const uniform varying attribute in out inout highp mediump lowp flat smooth centroid invariant noperspective".split(" "),
);

// Desktop GLSL versions: 110 and 120 read like GLSL ES 1.00, the later ones like GLSL ES 3.00.
const DESKTOP_ES100 = new Set([110, 120]);
const DESKTOP_ES300 = new Set([130, 140, 150, 330, 400, 410, 420, 430, 440, 450, 460]);

function blankComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, " "));
}

// Read a fragment shader's source; throws ShaderError for what no translation can fix.
export function readShader(source) {
  const lines = blankComments(source).split("\n");
  const shader = {
    source,
    version: null, // {text, line, es300, desktop}
    extensions: [], // {name, line, text}
    used: new Set(),
    declared: new Set(),
    inputs: [], // global varying/in declarations: {name, type, line}
    main: false,
    mainImage: false,
  };
  const code = [];
  lines.forEach((text, index) => {
    const directive = /^\s*#\s*(\w+)\s*(.*)$/.exec(text);
    if (!directive) return code.push({ text, line: index + 1 });
    const [, name, rest] = directive;
    if (name === "version") shader.version = readVersion(rest.trim(), index + 1, shader.version);
    else if (name === "extension") shader.extensions.push({ name: rest.split(":")[0].trim(), line: index + 1, text });
    else if (name === "define") {
      const defined = /^(\w+)/.exec(rest);
      if (defined) shader.declared.add(defined[1]);
      for (const word of rest.slice(defined ? defined[0].length : 0).match(/[A-Za-z_]\w*/g) || []) shader.used.add(word);
    } else {
      for (const word of rest.match(/[A-Za-z_]\w*/g) || []) shader.used.add(word);
    }
  });
  readDeclarations(shader, tokenize(code));
  const text = code.map((part) => part.text).join("\n");
  shader.main = /\bvoid\s+main\s*\(\s*(void)?\s*\)/.test(text);
  shader.mainImage = /\bvoid\s+mainImage\s*\(/.test(text);
  if (!shader.main && !shader.mainImage) {
    throw new ShaderError(
      "compile",
      "The shader needs a mainImage(out vec4, in vec2) (Shadertoy) or a main() (The Book of Shaders, GLSL Sandbox).",
    );
  }
  return shader;
}

function readVersion(text, line, earlier) {
  if (earlier) throw new ShaderError("compile", `Line ${line}: a second #version line (the first is on line ${earlier.line}).`);
  const match = /^(\d+)\s*(\w*)$/.exec(text);
  const number = match ? Number(match[1]) : NaN;
  const profile = match ? match[2] : "";
  if (number === 100 && !profile) return { text, line, es300: false, desktop: false };
  if ([300, 310, 320].includes(number) && profile === "es") return { text, line, es300: true, desktop: number !== 300 };
  if (DESKTOP_ES100.has(number) && !profile) return { text, line, es300: false, desktop: true };
  if (DESKTOP_ES300.has(number) && ["", "core", "compatibility"].includes(profile)) return { text, line, es300: true, desktop: true };
  throw new ShaderError(
    "compile",
    `Line ${line}: "#version ${text}" is not a GLSL version WebGL can run: write "#version 300 es", or leave the line out for GLSL ES 1.00.`,
  );
}

function tokenize(code) {
  const tokens = [];
  for (const { text, line } of code) {
    for (const match of text.matchAll(/[A-Za-z_]\w*|\d[\w.]*|\.\d[\w]*|\S/g)) tokens.push({ text: match[0], line });
  }
  return tokens;
}

const isName = (token) => token && /^[A-Za-z_]/.test(token.text);

// Which identifiers the code uses (not as a .field) and which it declares: after a type name (a
// variable, a parameter, a function), or later in a declaration list (`uniform vec2 a, b;`).
function readDeclarations(shader, tokens) {
  const types = new Set(TYPES);
  let depth = 0; // of braces and parentheses: inputs are declared at depth 0
  tokens.forEach((token, index) => {
    const before = tokens[index - 1];
    if (token.text === "{" || token.text === "(") depth += 1;
    else if (token.text === "}" || token.text === ")") depth -= 1;
    if (!isName(token)) return;
    if (TYPES.has(token.text) || QUALIFIERS.has(token.text)) return shader.used.add(token.text); // varying, in ES 3.00
    if (before && before.text === "struct") {
      types.add(token.text);
      shader.declared.add(token.text);
      return;
    }
    if (before && before.text === ".") return;
    shader.used.add(token.text);
    const start = before && (types.has(before.text) || (before.text === "," && declarationStart(tokens, index - 1)));
    if (!start) return;
    shader.declared.add(token.text);
    const first = before.text === "," ? declarationStart(tokens, index - 1) : null;
    const qualifiers = qualifiersBefore(tokens, first ?? index - 1);
    if (depth === 0 && (qualifiers.has("varying") || qualifiers.has("in"))) {
      shader.inputs.push({ name: token.text, type: tokens[first ?? index - 1].text, line: token.line });
    }
  });
  function declarationStart(list, comma) {
    // Walk back over the declaration's earlier declarators to its type, at the same nesting.
    let depth = 0;
    for (let i = comma - 1; i >= 0; i--) {
      const text = list[i].text;
      if (text === ")" || text === "]") depth += 1;
      else if (text === "(" || text === "[") {
        if (depth === 0) return null; // inside a call's or a parameter list's parentheses
        depth -= 1;
      } else if (depth === 0 && (text === ";" || text === "{" || text === "}")) {
        return null;
      } else if (depth === 0 && types.has(text) && (i === 0 || [";", "{", "}"].includes(list[i - 1].text) || QUALIFIERS.has(list[i - 1].text))) {
        return i;
      }
    }
    return null;
  }
}

// The qualifiers right before a declaration's type: `varying highp vec2 uv` -> varying, highp.
function qualifiersBefore(tokens, typeIndex) {
  const found = new Set();
  for (let i = typeIndex - 1; i >= 0 && QUALIFIERS.has(tokens[i].text); i--) found.add(tokens[i].text);
  return found;
}

// What the source is written in, and so which GLSL ES versions to try, first choice first: what
// its #version line says; without one, GLSL ES 1.00 for a main() and 3.00 for Shadertoy's
// mainImage (as Shadertoy runs it), then the other (a missing "#version 300 es" line, or an old
// Shadertoy post written for WebGL1).
export function targetsFor(shader) {
  if (shader.version) return [shader.version.es300 ? "es300" : "es100"];
  return shader.main ? ["es100", "es300"] : ["es300", "es100"];
}
