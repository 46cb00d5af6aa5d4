// shader: a GLSL ES fragment shader in either common convention, found from the source:
// Shadertoy (mainImage, iResolution, iTime, ...) or The Book of Shaders (main, u_resolution, ...).
// WebGL2 when available (#version 300 es sources too), WebGL1 otherwise.
(function (harness) {
  "use strict";

  const canvas = document.createElement("canvas");
  canvas.id = "canvas";
  canvas.width = window.innerWidth;
  canvas.height = window.innerHeight;
  document.body.appendChild(canvas);
  // Opaque like Shadertoy's canvas; capture mode keeps the one frame it draws for the screenshot.
  const options = { alpha: false, antialias: false, depth: false, preserveDrawingBuffer: harness.capture };
  const gl = canvas.getContext("webgl2", options) || canvas.getContext("webgl", options);
  if (!gl) return harness.fail("webgl", "WebGL is not available in this browser.");
  const webgl2 = typeof WebGL2RenderingContext !== "undefined" && gl instanceof WebGL2RenderingContext;

  const SHADERTOY_UNIFORMS = [
    "uniform vec3 iResolution;",
    "uniform float iTime;",
    "uniform float iTimeDelta;",
    "uniform float iFrameRate;",
    "uniform int iFrame;",
    "uniform vec4 iMouse;",
    "uniform vec4 iDate;",
    "uniform float iSampleRate;",
    "uniform vec3 iChannelResolution[4];",
    "uniform float iChannelTime[4];",
    "uniform sampler2D iChannel0;", // no inputs here: they read black
    "uniform sampler2D iChannel1;",
    "uniform sampler2D iChannel2;",
    "uniform sampler2D iChannel3;",
  ];
  const PRECISION = ["precision highp float;", "precision highp int;"];

  // Wrap the post's source into a complete fragment shader. The post's lines keep their place
  // (a moved #version or #extension line becomes blank), so a driver line number n is the post's
  // line n - headerLines.
  function fragmentShader(source) {
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
      header.push(...SHADERTOY_UNIFORMS);
      if (es300) header.push("out vec4 imagesite_fragColor;");
      else header.push("#define texture texture2D"); // Shadertoy's GLSL 3 name, for WebGL1
      const output = es300 ? "imagesite_fragColor" : "gl_FragColor";
      footer = [`void main() { vec4 color = vec4(0.0, 0.0, 0.0, 1.0); mainImage(color, gl_FragCoord.xy); ${output} = color; }`];
    }
    return { text: [...header, ...lines, ...footer].join("\n"), es300, shadertoy, headerLines: header.length, postLines: lines.length };
  }

  function ShaderError(kind, message) {
    this.kind = kind;
    this.message = message;
  }

  // "ERROR: 0:12: 'x' : undeclared identifier" -> "ERROR: line 3: 'x' : undeclared identifier".
  function mapLog(log, shader) {
    return log.replace(/(ERROR|WARNING): 0:(\d+):/g, (all, level, number) => {
      const line = Number(number) - shader.headerLines;
      if (line > shader.postLines) return `${level}: after your last line (a missing "}"?):`;
      return line >= 1 ? `${level}: line ${line}:` : `${level}: in the harness's header:`;
    });
  }

  function compile(type, text, describe) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, text);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
      throw new ShaderError("compile", describe(gl.getShaderInfoLog(shader) || "unknown error").trim());
    }
    return shader;
  }

  function build() {
    const fragment = fragmentShader(harness.post.code);
    const vertexText = fragment.es300
      ? "#version 300 es\nin vec2 position;\nvoid main() { gl_Position = vec4(position, 0.0, 1.0); }"
      : "attribute vec2 position;\nvoid main() { gl_Position = vec4(position, 0.0, 1.0); }";
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, vertexText, (log) => `Vertex shader: ${log}`));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragment.text, (log) => mapLog(log, fragment)));
    gl.bindAttribLocation(program, 0, "position");
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new ShaderError("link", mapLog(gl.getProgramInfoLog(program) || "unknown error", fragment).trim());
    }
    return program;
  }

  let program;
  try {
    program = build();
  } catch (problem) {
    if (problem instanceof ShaderError) return harness.fail(problem.kind, problem.message);
    throw problem;
  }
  gl.useProgram(program);

  // One triangle that covers the viewport.
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);

  // Set uniforms by the type the shader declared them with, so a Book of Shaders post that says
  // vec3 u_resolution still gets a value.
  const uniforms = [];
  for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
    const info = gl.getActiveUniform(program, i);
    uniforms.push({ name: info.name, type: info.type, location: gl.getUniformLocation(program, info.name) });
  }
  function setUniforms(values) {
    for (const uniform of uniforms) {
      const v = values[uniform.name];
      if (!v) continue;
      if (uniform.type === gl.FLOAT) gl.uniform1f(uniform.location, v[0]);
      else if (uniform.type === gl.FLOAT_VEC2) gl.uniform2f(uniform.location, v[0], v[1]);
      else if (uniform.type === gl.FLOAT_VEC3) gl.uniform3f(uniform.location, v[0], v[1], v[2] ?? 1);
      else if (uniform.type === gl.FLOAT_VEC4) gl.uniform4f(uniform.location, v[0], v[1], v[2] ?? 0, v[3] ?? 0);
      else if (uniform.type === gl.INT) gl.uniform1i(uniform.location, v[0]);
    }
  }

  // The pointer in canvas pixels, origin bottom-left. Shadertoy's iMouse: xy while a button is
  // down, zw where it went down (z < 0 once released, w < 0 after the first frame).
  const mouse = { x: 0, y: 0, dragX: 0, dragY: 0, downX: 0, downY: 0, down: false, clicked: false };
  function pointer(event) {
    mouse.x = (event.clientX * canvas.width) / window.innerWidth;
    mouse.y = canvas.height - (event.clientY * canvas.height) / window.innerHeight;
  }
  window.addEventListener("pointermove", (event) => {
    pointer(event);
    if (mouse.down) [mouse.dragX, mouse.dragY] = [mouse.x, mouse.y];
  });
  window.addEventListener("pointerdown", (event) => {
    pointer(event);
    Object.assign(mouse, { down: true, clicked: true, dragX: mouse.x, dragY: mouse.y, downX: mouse.x, downY: mouse.y });
  });
  window.addEventListener("pointerup", () => (mouse.down = false));

  let frame = 0;
  let lastTime = null;
  let drawnAt = null;

  function draw(timeMs) {
    if (!harness.capture && (canvas.width !== window.innerWidth || canvas.height !== window.innerHeight)) {
      canvas.width = window.innerWidth;
      canvas.height = window.innerHeight;
    }
    const seconds = timeMs / 1000;
    // In capture mode this is the only frame, so frame count and delta are what 60 fps would give.
    const delta = harness.capture || lastTime === null ? harness.FRAME_MS / 1000 : (timeMs - lastTime) / 1000;
    const count = harness.capture ? Math.round(timeMs / harness.FRAME_MS) : frame;
    const date = new Date(); // virtual in capture mode
    const midnight = new Date(date.getFullYear(), date.getMonth(), date.getDate());
    const size = [canvas.width, canvas.height];
    setUniforms({
      iResolution: [...size, 1],
      iTime: [seconds],
      iTimeDelta: [delta],
      iFrameRate: [60],
      iFrame: [count],
      iMouse: [mouse.dragX, mouse.dragY, mouse.down ? mouse.downX : -mouse.downX, mouse.clicked ? mouse.downY : -mouse.downY],
      iDate: [date.getFullYear(), date.getMonth(), date.getDate(), (date - midnight) / 1000],
      iSampleRate: [44100],
      u_resolution: size,
      u_time: [seconds],
      u_mouse: [mouse.x, mouse.y],
    });
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    mouse.clicked = false;
    frame += 1;
    lastTime = timeMs;
    drawnAt = timeMs;
  }

  canvas.addEventListener("webglcontextlost", () => harness.fail("webgl", "The WebGL context was lost."));

  if (harness.capture) {
    // Software GL can take seconds for one frame of a heavy shader, so capture mode draws exactly
    // one: at the capture time, now, and again only if advance() ends somewhere else.
    draw(harness.post.capture_time * 1000);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); // wait for the GPU
    harness.onFrame((timeMs) => {
      if (Math.abs(timeMs - drawnAt) > 1e-3) draw(timeMs);
    });
  } else {
    harness.onFrame(draw);
  }
  harness.ready();
})(window.__renderHarness);
