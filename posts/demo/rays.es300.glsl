#version 300 es
// GLSL ES 3.00 (WebGL2) with main() and its own `out vec4`, using The Book of Shaders' uniforms
// u_resolution and u_time. An orange disc in the middle of turning black and gold rays.
precision highp float;

uniform vec2 u_resolution;
uniform float u_time;

out vec4 outColor;

void main() {
    vec2 p = (gl_FragCoord.xy - 0.5 * u_resolution) / u_resolution.y;
    float angle = atan(p.y, p.x) + 0.5 * u_time;
    float ray = step(0.0, sin(12.0 * angle));
    vec3 rays = mix(vec3(0.05), vec3(0.85, 0.65, 0.1), ray);
    vec3 orange = vec3(1.0, 0.5, 0.0);
    outColor = vec4(mix(orange, rays, step(0.15, length(p))), 1.0);
}
