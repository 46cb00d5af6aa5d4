// The Book of Shaders, saved on Windows: the file starts with a byte-order mark.
#ifdef GL_ES
precision mediump float;
#endif

uniform vec2 u_resolution;
uniform float u_time;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution.xy;
    float pulse = 0.1 + 0.05 * sin(u_time * 3.0);
    float disc = 1.0 - step(pulse, distance(st, vec2(0.5)));
    gl_FragColor = vec4(mix(vec3(st.x, 0.2, 0.6), vec3(1.0), disc), 1.0);
}
