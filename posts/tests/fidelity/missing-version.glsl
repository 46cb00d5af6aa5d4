// GLSL ES 3.00 with its "#version 300 es" line left out: its own out vec4, and round().
precision highp float;
uniform vec2 u_resolution;
out vec4 fragColor;

void main() {
    vec2 st = gl_FragCoord.xy / u_resolution;
    float bands = round(st.x * 4.0) / 4.0;
    fragColor = vec4(bands, 0.2, 1.0 - bands, 1.0);
}
