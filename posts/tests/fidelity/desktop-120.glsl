#version 120
uniform vec2 u_resolution;
uniform float u_time;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution;
    float right = step(0.5, st.x);
    gl_FragColor = vec4(right, 0.4, 1.0 - right, 1.0);
}
