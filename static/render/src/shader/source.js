import { ShaderError } from "./dialect.js";
import { CONVENTIONS, declaration } from "./uniforms.js";

const PRECISION = ["precision highp float;", "precision highp int;"];

// Built into GLSL ES 3.00: these #extension lines are dropped there (WebGL2 refuses them).
const BUILT_IN_ES300 = new Set(["GL_OES_standard_derivatives", "GL_EXT_shader_texture_lod", "GL_EXT_frag_depth", "GL_EXT_draw_buffers"]);
// GLSL ES 1.00 functions that need an extension line, which WebGL1 code often leaves out.
const EXTENSION_OF = {
  dFdx: "GL_OES_standard_derivatives",
  dFdy: "GL_OES_standard_derivatives",
  fwidth: "GL_OES_standard_derivatives",
  texture2DLodEXT: "GL_EXT_shader_texture_lod",
  texture2DProjLodEXT: "GL_EXT_shader_texture_lod",
  textureCubeLodEXT: "GL_EXT_shader_texture_lod",
  texture2DGradEXT: "GL_EXT_shader_texture_lod",
};
// Names one GLSL ES version has for the other's functions (and qualifier), for code written in
// either: defined as macros when the code uses them and does not declare them itself.
const RENAMED = {
  es100: { texture: "texture2D", textureLod: "texture2DLodEXT" },
  es300: {
    texture2D: "texture",
    texture2DProj: "textureProj",
    texture2DLod: "textureLod",
    texture2DLodEXT: "textureLod",
    textureCube: "texture",
    textureCubeLod: "textureLod",
    textureCubeLodEXT: "textureLod",
    varying: "in",
  },
};
const OUTPUT = "imagesite_fragColor";

// The complete fragment shader for the post's source read by readShader, as GLSL ES 1.00 or 3.00
// ("es100", "es300"). The post's lines keep their place (a moved #version or #extension line
// becomes blank), so a driver line number n is the post's line n - headerLines. `declare` names
// conventions to declare even though the code seemed to declare them (the compiler said not).
export function fragmentShader(shader, target, declare = new Set()) {
  const es300 = target === "es300";
  const missing = (name) => (shader.used.has(name) && !shader.declared.has(name)) || declare.has(name);
  const lines = shader.source.split("\n");
  if (shader.version) lines[shader.version.line - 1] = "";
  shader.extensions.forEach((extension) => (lines[extension.line - 1] = ""));

  const extensions = shader.extensions.filter((extension) => !(es300 && BUILT_IN_ES300.has(extension.name))).map((e) => e.name);
  const renamed = Object.entries(RENAMED[target]).filter(([from]) => missing(from));
  if (!es300) {
    const needs = [...Object.keys(EXTENSION_OF).filter((name) => shader.used.has(name)), ...renamed.map(([, to]) => to)];
    for (const name of needs) {
      if (EXTENSION_OF[name] && !extensions.includes(EXTENSION_OF[name])) extensions.push(EXTENSION_OF[name]);
    }
  }
  const header = [
    ...(es300 ? ["#version 300 es"] : []),
    ...extensions.map((name) => `#extension ${name} : enable`),
    ...PRECISION,
    ...renamed.map(([from, to]) => `#define ${from} ${to}`),
    ...Object.keys(CONVENTIONS)
      .filter(missing)
      .map((name) => declaration(name, es300)),
  ];
  const shadertoy = shader.mainImage && !shader.main;
  if (es300 && (shadertoy || shader.used.has("gl_FragColor"))) header.push(`out vec4 ${OUTPUT};`);
  if (es300 && !shadertoy && shader.used.has("gl_FragColor")) header.push(`#define gl_FragColor ${OUTPUT}`);
  const footer = shadertoy
    ? [`void main() { vec4 color = vec4(0.0, 0.0, 0.0, 1.0); mainImage(color, gl_FragCoord.xy); ${es300 ? OUTPUT : "gl_FragColor"} = color; }`]
    : [];
  const inputs = [
    ...shader.inputs,
    ...Object.keys(CONVENTIONS)
      .filter((name) => CONVENTIONS[name].input && missing(name))
      .map((name) => ({ name, type: CONVENTIONS[name].input, line: 0 })),
  ];
  return {
    text: [...header, ...lines, ...footer].join("\n"),
    target,
    es300,
    extensions,
    inputs,
    headerLines: header.length,
    postLines: lines.length,
  };
}

// The vertex shader: one triangle over the frame, writing each input the fragment shader reads.
// GLSL Sandbox's surfacePosition is its surface (1 high, centred on 0); any other vec2 input
// (v_texcoord, three.js's vUv...) is the 0..1 position across the frame.
export function vertexShader(fragment) {
  const es300 = fragment.es300;
  const outputs = [];
  const writes = [];
  for (const input of fragment.inputs) {
    if (input.type !== "vec2") {
      throw new ShaderError(
        "link",
        `Line ${input.line}: nothing gives the input "${input.type} ${input.name}" a value here. A shader post is drawn ` +
          "as one rectangle over the frame, which gives a vec2 input its 0..1 position across it; compute the rest from gl_FragCoord.",
      );
    }
    outputs.push(`${es300 ? "out" : "varying"} vec2 ${input.name};`);
    writes.push(`${input.name} = ${input.name === "surfacePosition" ? "imagesite_position * imagesite_surface" : "imagesite_position * 0.5 + 0.5"};`);
  }
  return [
    ...(es300 ? ["#version 300 es", "in vec2 imagesite_position;"] : ["attribute vec2 imagesite_position;"]),
    "uniform vec2 imagesite_surface;",
    ...outputs,
    `void main() { gl_Position = vec4(imagesite_position, 0.0, 1.0); ${writes.join(" ")} }`,
  ].join("\n");
}

// The extension WebGL1 must enable before a shader may name it in an #extension line.
export function webglExtension(name) {
  return name === "GL_EXT_draw_buffers" ? "WEBGL_draw_buffers" : name.replace(/^GL_/, "");
}

const HINTS = [
  [/cannot convert from '[\w ]*\bint' to '[\w ]*\bfloat'/, "GLSL ES never turns an int into a float by itself: write 1.0 rather than 1, or float(n)."],
  [/'uniform' :\s*cannot initialize/, "GLSL ES uniforms cannot be given a value in the shader: make it a const."],
];

// "ERROR: 0:12: 'x' : undeclared identifier" -> "ERROR: line 3: 'x' : undeclared identifier", with
// a sentence on the fix for the mistakes desktop GLSL and WebGL1 habits make most.
export function mapLog(log, fragment, shader) {
  const mapped = log.replace(/(ERROR|WARNING): 0:(\d+):/g, (all, level, number) => {
    const line = Number(number) - fragment.headerLines;
    if (line > fragment.postLines) return `${level}: after your last line (a missing "}"?):`;
    return line >= 1 ? `${level}: line ${line}:` : `${level}: in the harness's header:`;
  });
  const notes = HINTS.filter(([pattern]) => pattern.test(mapped)).map(([, hint]) => hint);
  if (shader.version && shader.version.desktop) {
    const dialect = fragment.es300 ? "GLSL ES 3.00" : "GLSL ES 1.00";
    notes.unshift(`Line ${shader.version.line}: "#version ${shader.version.text}" was run as ${dialect}, the GLSL WebGL has; what is left to change is above.`);
  }
  return [mapped.trim(), ...notes].join("\n");
}

// The convention names a compile log says are undeclared (the reader missed a use).
export function undeclaredConventions(log) {
  return [...log.matchAll(/'(\w+)' : undeclared identifier/g)].map((match) => match[1]).filter((name) => name in CONVENTIONS);
}
