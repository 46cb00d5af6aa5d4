import { FRAME_MS } from "../clock.js";

// Every name a shader host feeds its shaders, in one table: Shadertoy's single pass, GLSL Sandbox,
// The Book of Shaders / glslCanvas / glslViewer. A shader that uses a name without declaring it
// gets the declaration; every shader gets the values, whether it declared the name or we did,
// each set by the type it was declared with. docs/posting.md shows this table to posters.
//   uniform: declared as `uniform <type> <name>`; value(frame) gives its numbers
//   input:   a varying (`in` in GLSL ES 3.00) our vertex shader writes (see vertexShader)
//   define:  a macro
//   moves:   changes from frame to frame: a shader that reads it is an animation
export const CONVENTIONS = {
  // Shadertoy
  iResolution: { uniform: "vec3", value: (f) => [f.width, f.height, 1] },
  iTime: { uniform: "float", value: (f) => [f.seconds], moves: true },
  iGlobalTime: { uniform: "float", value: (f) => [f.seconds], moves: true }, // Shadertoy's name for iTime before 2017
  iTimeDelta: { uniform: "float", value: (f) => [f.delta] },
  iFrameRate: { uniform: "float", value: () => [1000 / FRAME_MS] },
  iFrame: { uniform: "int", value: (f) => [f.frame], moves: true },
  iMouse: { uniform: "vec4", value: (f) => f.mouse.shadertoy() },
  iDate: { uniform: "vec4", value: (f) => f.date, moves: true },
  iSampleRate: { uniform: "float", value: () => [44100] },
  iChannelTime: { uniform: "float[4]" }, // zeros: there are no input channels here
  iChannelResolution: { uniform: "vec3[4]" },
  iChannel0: { uniform: "sampler2D" }, // black
  iChannel1: { uniform: "sampler2D" },
  iChannel2: { uniform: "sampler2D" },
  iChannel3: { uniform: "sampler2D" },
  // 0, Shadertoy's value on low-end hardware: capture runs on software GL, and the live view
  // shows what was captured.
  HW_PERFORMANCE: { define: "0" },
  // GLSL Sandbox
  time: { uniform: "float", value: (f) => [f.seconds], moves: true },
  resolution: { uniform: "vec2", value: (f) => [f.width, f.height] },
  mouse: { uniform: "vec2", value: (f) => f.mouse.normalized() },
  surfacePosition: { input: "vec2" },
  backbuffer: { uniform: "sampler2D", moves: true }, // the previous frame
  // The Book of Shaders, glslCanvas, glslViewer
  u_resolution: { uniform: "vec2", value: (f) => [f.width, f.height] },
  u_time: { uniform: "float", value: (f) => [f.seconds], moves: true },
  u_mouse: { uniform: "vec2", value: (f) => f.mouse.pixels() },
  u_delta: { uniform: "float", value: (f) => [f.delta] },
  u_date: { uniform: "vec4", value: (f) => f.date, moves: true },
  u_frame: { uniform: "int", value: (f) => [f.frame], moves: true },
  v_texcoord: { input: "vec2" },
};

// The GLSL line declaring a convention's name, in GLSL ES 1.00 or 3.00.
export function declaration(name, es300) {
  const entry = CONVENTIONS[name];
  if (entry.define) return `#define ${name} ${entry.define}`;
  if (entry.input) return `${es300 ? "in" : "varying"} ${entry.input} ${name};`;
  const [, type, size] = /^(\w+)(\[\d+\])?$/.exec(entry.uniform);
  return `uniform ${type} ${name}${size || ""};`;
}

// The values of one frame at timeMs, deltaMs after the one before, by name.
export function frameUniforms({ width, height, timeMs, deltaMs, frame, mouse }) {
  const date = new Date(); // virtual in capture mode
  const midnight = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const values = {
    width,
    height,
    seconds: timeMs / 1000,
    delta: deltaMs / 1000,
    frame,
    mouse,
    date: [date.getFullYear(), date.getMonth(), date.getDate(), (date - midnight) / 1000],
  };
  const named = { imagesite_surface: [width / height / 2, 0.5] }; // GLSL Sandbox's surface: 1 high, centred
  for (const [name, entry] of Object.entries(CONVENTIONS)) {
    if (entry.value) named[name] = entry.value(values);
  }
  return named;
}

// A function setting the program's active uniforms from such values, by the type the shader
// declared each with, so a post that says vec3 u_resolution or float iFrame still gets a value.
export function uniformSetter(gl, program) {
  const uniforms = [];
  for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
    const info = gl.getActiveUniform(program, i);
    const name = info.name.replace(/\[0\]$/, "");
    uniforms.push({ name, type: info.type, location: gl.getUniformLocation(program, info.name) });
  }
  return (values) => {
    for (const uniform of uniforms) {
      const v = values[uniform.name];
      if (!v) continue;
      if (uniform.type === gl.FLOAT) gl.uniform1f(uniform.location, v[0]);
      else if (uniform.type === gl.FLOAT_VEC2) gl.uniform2f(uniform.location, v[0], v[1]);
      else if (uniform.type === gl.FLOAT_VEC3) gl.uniform3f(uniform.location, v[0], v[1], v[2] ?? 1);
      else if (uniform.type === gl.FLOAT_VEC4) gl.uniform4f(uniform.location, v[0], v[1], v[2] ?? 0, v[3] ?? 0);
      else if (uniform.type === gl.INT) gl.uniform1i(uniform.location, v[0]);
    }
  };
}

// Whether the linked program reads a name that changes from frame to frame (its time, frame
// count, date or previous frame): the compiler drops the uniforms a shader never reads.
export function readsTime(gl, program) {
  for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
    if (CONVENTIONS[gl.getActiveUniform(program, i).name.replace(/\[0\]$/, "")]?.moves) return true;
  }
  return false;
}

// The pointer in canvas pixels, origin bottom-left, and each convention's view of it.
export function trackPointer(canvas) {
  const mouse = {
    x: 0,
    y: 0,
    moved: false,
    dragX: 0,
    dragY: 0,
    downX: 0,
    downY: 0,
    down: false,
    clicked: false,
    // Shadertoy's iMouse: xy while a button is down, zw where it went down (z < 0 once released,
    // w < 0 after the first frame).
    shadertoy: () => [mouse.dragX, mouse.dragY, mouse.down ? mouse.downX : -mouse.downX, mouse.clicked ? mouse.downY : -mouse.downY],
    // GLSL Sandbox: 0..1, the centre until the pointer moves (its page starts there too).
    normalized: () => (mouse.moved ? [mouse.x / canvas.width, mouse.y / canvas.height] : [0.5, 0.5]),
    pixels: () => [mouse.x, mouse.y],
  };
  function pointer(event) {
    mouse.x = (event.clientX * canvas.width) / window.innerWidth;
    mouse.y = canvas.height - (event.clientY * canvas.height) / window.innerHeight;
    mouse.moved = true;
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
  return mouse;
}
