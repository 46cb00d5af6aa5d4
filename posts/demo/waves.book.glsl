// The Book of Shaders convention (WebGL1, GLSL ES 1.00): main() with u_resolution and u_time,
// writing gl_FragColor. A cyan disc in the middle of diagonal teal waves.
#ifdef GL_ES
precision mediump float;
#endif

uniform vec2 u_resolution;
uniform float u_time;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution.xy;
    vec2 p = st - 0.5;
    p.x *= u_resolution.x / u_resolution.y;
    float wave = 0.5 + 0.5 * sin(12.0 * (p.x + p.y) + 2.0 * u_time);
    vec3 sea = vec3(0.0, 0.2 + 0.25 * wave, 0.3 + 0.2 * wave);
    vec3 cyan = vec3(0.0, 1.0, 1.0);
    gl_FragColor = vec4(mix(cyan, sea, smoothstep(0.12, 0.14, length(p))), 1.0);
}
