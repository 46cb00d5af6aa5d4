import { capture, post } from "../post.js";
import { FRAME_MS } from "../clock.js";
import { onFrame, ready } from "../frames.js";
import { fail } from "../report.js";
import { ShaderError, fragmentShader, mapLog } from "../shader/source.js";
import { frameUniforms, trackPointer, uniformSetter } from "../shader/uniforms.js";

const VERTEX_300 = "#version 300 es\nin vec2 position;\nvoid main() { gl_Position = vec4(position, 0.0, 1.0); }";
const VERTEX_100 = "attribute vec2 position;\nvoid main() { gl_Position = vec4(position, 0.0, 1.0); }";

// shader: a GLSL ES fragment shader (see shader/source.js) drawn over the whole viewport, on
// WebGL2 when available (#version 300 es sources too), WebGL1 otherwise.
export function runShader() {
  const canvas = document.createElement("canvas");
  canvas.id = "canvas";
  canvas.width = window.innerWidth;
  canvas.height = window.innerHeight;
  document.body.appendChild(canvas);
  // Opaque like Shadertoy's canvas; capture mode keeps the one frame it draws for the screenshot.
  const options = { alpha: false, antialias: false, depth: false, preserveDrawingBuffer: capture };
  const gl = canvas.getContext("webgl2", options) || canvas.getContext("webgl", options);
  if (!gl) return fail("webgl", "WebGL is not available in this browser.");

  let program;
  try {
    program = build(gl);
  } catch (problem) {
    if (problem instanceof ShaderError) return fail(problem.kind, problem.message);
    throw problem;
  }
  gl.useProgram(program);

  // One triangle that covers the viewport.
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);

  const setUniforms = uniformSetter(gl, program);
  const mouse = trackPointer(canvas);
  let frame = 0;
  let lastTime = null;
  let drawnAt = null;

  function draw(timeMs) {
    if (!capture && (canvas.width !== window.innerWidth || canvas.height !== window.innerHeight)) {
      canvas.width = window.innerWidth;
      canvas.height = window.innerHeight;
    }
    // In capture mode this is the only frame, so frame count and delta are what 60 fps would give.
    const deltaMs = capture || lastTime === null ? FRAME_MS : timeMs - lastTime;
    const count = capture ? Math.round(timeMs / FRAME_MS) : frame;
    setUniforms(frameUniforms({ width: canvas.width, height: canvas.height, timeMs, deltaMs, frame: count, mouse }));
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    mouse.clicked = false;
    frame += 1;
    lastTime = timeMs;
    drawnAt = timeMs;
  }

  canvas.addEventListener("webglcontextlost", () => fail("webgl", "The WebGL context was lost."));

  if (capture) {
    // Software GL can take seconds for one frame of a heavy shader, so capture mode draws exactly
    // one: at the capture time, now, and again only if advance() ends somewhere else.
    draw(post.capture_time * 1000);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); // wait for the GPU
    onFrame((timeMs) => {
      if (Math.abs(timeMs - drawnAt) > 1e-3) draw(timeMs);
    });
  } else {
    onFrame(draw);
  }
  ready();
}

function build(gl) {
  const webgl2 = typeof WebGL2RenderingContext !== "undefined" && gl instanceof WebGL2RenderingContext;
  const fragment = fragmentShader(post.code, webgl2);
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, fragment.es300 ? VERTEX_300 : VERTEX_100, (log) => `Vertex shader: ${log}`));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, fragment.text, (log) => mapLog(log, fragment)));
  gl.bindAttribLocation(program, 0, "position");
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    throw new ShaderError("link", mapLog(gl.getProgramInfoLog(program) || "unknown error", fragment).trim());
  }
  return program;
}

function compile(gl, type, text, describe) {
  const shader = gl.createShader(type);
  gl.shaderSource(shader, text);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new ShaderError("compile", describe(gl.getShaderInfoLog(shader) || "unknown error").trim());
  }
  return shader;
}
