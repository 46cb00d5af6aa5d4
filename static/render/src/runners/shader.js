import { capture, post } from "../post.js";
import { FRAME_MS } from "../clock.js";
import { onFrame, ready } from "../frames.js";
import { fail } from "../report.js";
import { ShaderError, readShader, targetsFor } from "../shader/dialect.js";
import { fragmentShader, mapLog, undeclaredConventions, vertexShader, webglExtension } from "../shader/source.js";
import { frameUniforms, readsTime, trackPointer, uniformSetter } from "../shader/uniforms.js";
import { keepsMoving } from "../advance.js";

// GLSL ES 1.00 runs on WebGL1, as The Book of Shaders and GLSL Sandbox run it (WebGL2 refuses
// its derivatives extension); GLSL ES 3.00 on WebGL2, as Shadertoy runs it.
const CONTEXT = { es100: "webgl", es300: "webgl2" };
// Opaque like Shadertoy's canvas; capture mode keeps the one frame it draws for the screenshot.
const OPTIONS = { alpha: false, antialias: false, depth: false, preserveDrawingBuffer: capture };

// shader: a fragment shader in any of the conventions of shader/ drawn over the whole viewport.
export function runShader() {
  let built;
  try {
    built = build(readShader(post.code));
  } catch (problem) {
    if (problem instanceof ShaderError) return fail(problem.kind, problem.message);
    throw problem;
  }
  const { canvas, gl, program } = built;

  // One triangle that covers the viewport.
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);

  gl.useProgram(program);
  const setUniforms = uniformSetter(gl, program);
  const feedback = bindSamplers(gl, program) ? previousFrame(gl) : null;
  if (feedback || readsTime(gl, program)) keepsMoving(); // else every frame is the first: a still
  const mouse = trackPointer(canvas);
  let frame = 0;
  let lastTime = null;
  let drawnAt = null;

  function draw(timeMs, { deltaMs, count, show = true }) {
    gl.useProgram(program);
    setUniforms(frameUniforms({ width: canvas.width, height: canvas.height, timeMs, deltaMs, frame: count, mouse }));
    if (feedback) feedback.draw(canvas, show);
    else {
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    }
    mouse.clicked = false;
    drawnAt = timeMs;
  }

  function drawLive(timeMs) {
    if (canvas.width !== window.innerWidth || canvas.height !== window.innerHeight) {
      canvas.width = window.innerWidth;
      canvas.height = window.innerHeight;
    }
    draw(timeMs, { deltaMs: lastTime === null ? FRAME_MS : timeMs - lastTime, count: frame });
    frame += 1;
    lastTime = timeMs;
  }

  // Capture mode: the frame at timeMs, as 60 frames a second would have reached it. A shader
  // that reads its previous frame (backbuffer) draws every frame from 0; any other draws only
  // that one, since software GL can take seconds for a frame of a heavy shader.
  function drawCapture(timeMs) {
    const last = Math.max(0, Math.ceil(timeMs / FRAME_MS - 1e-6));
    if (!feedback) return draw(timeMs, { deltaMs: FRAME_MS, count: Math.round(timeMs / FRAME_MS) });
    feedback.clear(canvas);
    for (let n = 0; n <= last; n++) draw(n === last ? timeMs : n * FRAME_MS, { deltaMs: FRAME_MS, count: n, show: n === last });
  }

  canvas.addEventListener("webglcontextlost", () => fail("webgl", "The WebGL context was lost."));

  if (capture) {
    drawCapture(post.capture_time * 1000);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); // wait for the GPU
    // advance() ends at the capture time, where the frame is drawn already; anywhere else, draw it.
    onFrame((timeMs) => {
      if (Math.abs(timeMs - drawnAt) > 1e-3) drawCapture(timeMs);
    });
  } else {
    onFrame(drawLive);
  }
  ready();
}

// The first of the source's GLSL versions that compiles (see targetsFor); if none does, the
// first one's error.
function build(shader) {
  const targets = targetsFor(shader);
  const errors = [];
  for (const target of targets) {
    const canvas = document.createElement("canvas");
    canvas.id = "canvas";
    canvas.width = window.innerWidth;
    canvas.height = window.innerHeight;
    document.body.appendChild(canvas);
    const gl = canvas.getContext(CONTEXT[target], OPTIONS);
    try {
      if (gl) return { canvas, gl, program: link(gl, shader, target) };
    } catch (problem) {
      if (!(problem instanceof ShaderError)) throw problem;
      errors.push(problem);
    }
    if (gl) gl.getExtension("WEBGL_lose_context")?.loseContext();
    canvas.remove();
  }
  if (errors.length) throw errors[0];
  if (!targets.includes("es100")) {
    throw new ShaderError("webgl", `This shader is #version ${shader.version.text}, which needs WebGL2; this browser has only WebGL1.`);
  }
  throw new ShaderError("webgl", "WebGL is not available in this browser.");
}

function link(gl, shader, target) {
  const declare = new Set();
  let firstLog = null;
  for (;;) {
    const fragment = fragmentShader(shader, target, declare);
    if (!fragment.es300) fragment.extensions.forEach((name) => gl.getExtension(webglExtension(name)));
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, vertexShader(fragment)));
    const fragmentPart = gl.createShader(gl.FRAGMENT_SHADER);
    gl.shaderSource(fragmentPart, fragment.text);
    gl.compileShader(fragmentPart);
    if (!gl.getShaderParameter(fragmentPart, gl.COMPILE_STATUS)) {
      const log = gl.getShaderInfoLog(fragmentPart) || "unknown error";
      firstLog = firstLog || { log, fragment };
      // A convention's name the reader took for declared (say, a parameter of the same name elsewhere).
      const more = undeclaredConventions(log).filter((name) => !declare.has(name));
      if (more.length) {
        more.forEach((name) => declare.add(name));
        continue;
      }
      throw new ShaderError("compile", mapLog(firstLog.log, firstLog.fragment, shader));
    }
    gl.attachShader(program, fragmentPart);
    gl.bindAttribLocation(program, 0, "imagesite_position");
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new ShaderError("link", mapLog(gl.getProgramInfoLog(program) || "unknown error", fragment, shader));
    }
    return program;
  }
}

function compile(gl, type, text) {
  const part = gl.createShader(type);
  gl.shaderSource(part, text);
  gl.compileShader(part);
  if (!gl.getShaderParameter(part, gl.COMPILE_STATUS)) {
    throw new ShaderError("compile", `Vertex shader: ${(gl.getShaderInfoLog(part) || "unknown error").trim()}`);
  }
  return part;
}

// Give every sampler a texture unit of its own: GLSL Sandbox's backbuffer unit 0 (the previous
// frame), any other a black texture (there are no inputs here). Returns whether backbuffer is read.
function bindSamplers(gl, program) {
  let unit = 1;
  let backbuffer = false;
  for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
    const info = gl.getActiveUniform(program, i);
    if (!SAMPLERS.some((name) => gl[name] === info.type)) continue;
    const location = gl.getUniformLocation(program, info.name);
    if (info.name === "backbuffer" && info.type === gl.SAMPLER_2D) {
      backbuffer = true;
      gl.uniform1i(location, 0);
      continue;
    }
    gl.uniform1i(location, unit);
    if (info.type === gl.SAMPLER_2D) {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 1, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array([0, 0, 0, 255]));
    }
    unit += 1;
  }
  gl.activeTexture(gl.TEXTURE0);
  return backbuffer;
}

const SAMPLERS = [
  ...["SAMPLER_2D", "SAMPLER_CUBE", "SAMPLER_3D", "SAMPLER_2D_ARRAY", "SAMPLER_2D_SHADOW", "SAMPLER_CUBE_SHADOW"],
  ...["SAMPLER_2D_ARRAY_SHADOW", "INT_SAMPLER_2D", "INT_SAMPLER_3D", "INT_SAMPLER_CUBE", "INT_SAMPLER_2D_ARRAY"],
  ...["UNSIGNED_INT_SAMPLER_2D", "UNSIGNED_INT_SAMPLER_3D", "UNSIGNED_INT_SAMPLER_CUBE", "UNSIGNED_INT_SAMPLER_2D_ARRAY"],
];

const COPY_VERTEX = "attribute vec2 p; varying vec2 uv; void main() { gl_Position = vec4(p, 0.0, 1.0); uv = p * 0.5 + 0.5; }";
const COPY_FRAGMENT = "precision mediump float; uniform sampler2D frame; varying vec2 uv; void main() { gl_FragColor = texture2D(frame, uv); }";

// GLSL Sandbox's backbuffer: each frame is drawn into a texture the size of the canvas, then
// copied onto it, and the next frame reads it as backbuffer.
function previousFrame(gl) {
  const copy = gl.createProgram();
  gl.attachShader(copy, compile(gl, gl.VERTEX_SHADER, COPY_VERTEX));
  const fragment = gl.createShader(gl.FRAGMENT_SHADER);
  gl.shaderSource(fragment, COPY_FRAGMENT);
  gl.compileShader(fragment);
  gl.attachShader(copy, fragment);
  gl.bindAttribLocation(copy, 0, "p");
  gl.linkProgram(copy);
  let frames = [];
  let current = 0;
  let size = "";

  function fit(canvas) {
    if (size === `${canvas.width}x${canvas.height}`) return;
    size = `${canvas.width}x${canvas.height}`;
    frames.forEach(({ texture, framebuffer }) => {
      gl.deleteTexture(texture);
      gl.deleteFramebuffer(framebuffer);
    });
    frames = [0, 1].map(() => {
      const texture = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, canvas.width, canvas.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      const framebuffer = gl.createFramebuffer();
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
      return { texture, framebuffer };
    });
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  }

  return {
    clear(canvas) {
      fit(canvas);
      for (const { framebuffer } of frames) {
        gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
        gl.clearColor(0, 0, 0, 0);
        gl.clear(gl.COLOR_BUFFER_BIT);
      }
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    },
    // Draw the post's program (in use, its uniforms set) into the current texture, reading the other.
    draw(canvas, show) {
      fit(canvas);
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, frames[1 - current].texture);
      gl.bindFramebuffer(gl.FRAMEBUFFER, frames[current].framebuffer);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      if (show) {
        gl.useProgram(copy);
        gl.bindTexture(gl.TEXTURE_2D, frames[current].texture);
        gl.drawArrays(gl.TRIANGLES, 0, 3);
      }
      current = 1 - current;
    },
  };
}
