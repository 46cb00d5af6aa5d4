// The uniforms each shader convention reads, and their values in one frame. Shadertoy's are
// declared for the post; The Book of Shaders' the post declares itself, with any vector size.

export const SHADERTOY_DECLARATIONS = [
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

// Values by name for a frame at timeMs; deltaMs since the previous one, frame its number.
export function frameUniforms({ width, height, timeMs, deltaMs, frame, mouse }) {
  const seconds = timeMs / 1000;
  const date = new Date(); // virtual in capture mode
  const midnight = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const size = [width, height];
  return {
    iResolution: [...size, 1],
    iTime: [seconds],
    iTimeDelta: [deltaMs / 1000],
    iFrameRate: [60],
    iFrame: [frame],
    iMouse: [mouse.dragX, mouse.dragY, mouse.down ? mouse.downX : -mouse.downX, mouse.clicked ? mouse.downY : -mouse.downY],
    iDate: [date.getFullYear(), date.getMonth(), date.getDate(), (date - midnight) / 1000],
    iSampleRate: [44100],
    u_resolution: size,
    u_time: [seconds],
    u_mouse: [mouse.x, mouse.y],
  };
}

// A function setting the program's active uniforms from such values, by the type the shader
// declared each with, so a Book of Shaders post that says vec3 u_resolution still gets a value.
export function uniformSetter(gl, program) {
  const uniforms = [];
  for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
    const info = gl.getActiveUniform(program, i);
    uniforms.push({ name: info.name, type: info.type, location: gl.getUniformLocation(program, info.name) });
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

// The pointer in canvas pixels, origin bottom-left. Shadertoy's iMouse: xy while a button is
// down, zw where it went down (z < 0 once released, w < 0 after the first frame).
export function trackPointer(canvas) {
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
  return mouse;
}
