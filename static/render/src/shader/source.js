import { SHADERTOY_DECLARATIONS } from "./uniforms.js";

const PRECISION = ["precision highp float;", "precision highp int;"];

export class ShaderError {
  constructor(kind, message) {
    this.kind = kind;
    this.message = message;
  }
}

// Wrap the post's source into a complete fragment shader, in the convention found from the code:
// Shadertoy (mainImage) or The Book of Shaders (main). The post's lines keep their place (a
// moved #version or #extension line becomes blank), so a driver line number n is the post's
// line n - headerLines.
export function fragmentShader(source, webgl2) {
  const lines = source.split("\n");
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*/g, "");
  // A source with its own main() is complete, even if main() calls a mainImage() of its own.
  const bookOfShaders = /\bvoid\s+main\s*\(\s*(void)?\s*\)/.test(code);
  const shadertoy = !bookOfShaders && /\bvoid\s+mainImage\s*\(/.test(code);
  let es300 = false;
  const extensions = [];
  lines.forEach((line, index) => {
    if (/^\s*#\s*version\b/.test(line)) {
      es300 = /\b300\s+es\b/.test(line);
      if (!es300) throw new ShaderError("compile", `Line ${index + 1}: only "#version 300 es" is supported.`);
      lines[index] = "";
    } else if (/^\s*#\s*extension\b/.test(line)) {
      extensions.push(line); // must come before any declaration, i.e. before our header
      lines[index] = "";
    }
  });
  if (!shadertoy && !bookOfShaders) {
    throw new ShaderError("compile", "The shader needs a mainImage(out vec4, in vec2) (Shadertoy) or a main() (The Book of Shaders).");
  }
  // Shadertoy code is written for GLSL ES 3.00: use it whenever WebGL2 is there.
  if (shadertoy && webgl2) es300 = true;
  if (es300 && !webgl2) throw new ShaderError("webgl", "This shader is #version 300 es, which needs WebGL2; this browser has only WebGL1.");

  const header = es300 ? ["#version 300 es", ...extensions, ...PRECISION] : [...extensions, ...PRECISION];
  let footer = [];
  if (shadertoy) {
    header.push(...SHADERTOY_DECLARATIONS);
    if (es300) header.push("out vec4 imagesite_fragColor;");
    else header.push("#define texture texture2D"); // Shadertoy's GLSL 3 name, for WebGL1
    const output = es300 ? "imagesite_fragColor" : "gl_FragColor";
    footer = [`void main() { vec4 color = vec4(0.0, 0.0, 0.0, 1.0); mainImage(color, gl_FragCoord.xy); ${output} = color; }`];
  }
  return { text: [...header, ...lines, ...footer].join("\n"), es300, shadertoy, headerLines: header.length, postLines: lines.length };
}

// "ERROR: 0:12: 'x' : undeclared identifier" -> "ERROR: line 3: 'x' : undeclared identifier".
export function mapLog(log, shader) {
  return log.replace(/(ERROR|WARNING): 0:(\d+):/g, (all, level, number) => {
    const line = Number(number) - shader.headerLines;
    if (line > shader.postLines) return `${level}: after your last line (a missing "}"?):`;
    return line >= 1 ? `${level}: line ${line}:` : `${level}: in the harness's header:`;
  });
}
